"""The benchmark: `python -m bench.run` times the portal beside plain floors, into RESULTS.md."""
