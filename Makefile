# The portal's two commands: `make run` starts it, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
ADDRESS ?= 0.0.0.0
STAMP := $(VENV)/.installed

.PHONY: run test demo bench report lint browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run portal_app.py --server.port $(PORT) --server.address $(ADDRESS)

demo: $(STAMP)
	$(PY) -m lib.cli demo

# Debian's Chromium for the real-browser tests (the test tool's own download cannot work here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest -p no:cacheprovider -q -n 2 --durations=15

lint: $(STAMP)
	$(PY) -m ruff check lib app_pages portal_app.py tests
	$(PY) -m mypy lib
	$(PY) -m bandit -q -r lib app_pages portal_app.py -ll

bench: $(STAMP)
	$(PY) -m bench.run

report: $(STAMP)
	$(PY) -m bench.trust_report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
