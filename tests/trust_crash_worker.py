"""A process that forks one worker per job (an import or a correction), for crash tests.

The test sends a job as one JSON line; this process forks, the child opens the store, says
"go", does the job and says "done"; the test SIGKILLs the child at a moment of its choosing and
this process reports how the child ended. Forking from a process that has already imported
everything makes each worker start in milliseconds rather than seconds.

The clock is fixed before the models are imported, so a job run to its end always leaves the
same store (the same timestamps): its content checksum is known in advance.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import lib.clock

FIXED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
lib.clock.now = lambda: FIXED_NOW  # before lib.models binds it as the default timestamp

from lib import corrections, store  # noqa: E402  # after the clock is fixed
from lib.access import Principal  # noqa: E402
from lib.imports import ImportOptions, run_import  # noqa: E402

FINANCE = Principal("fiona", "finance")


def say(**message: Any) -> None:
    """One line to the test."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _work(job: dict[str, Any]) -> None:
    url = job["url"]
    store.engine_for(url)
    say(go=os.getpid())
    if job["op"] == "import":
        outcome = run_import(url, Path(job["file"]), Path(job["file"]).name, kind="documents",
                             mapping=job["mapping"], options=ImportOptions(), actor="fiona")
        assert outcome.applied, outcome.preview.errors[:3]
    else:
        corrections.correct_documents(url, FINANCE, job["ids"], job["state"], job["note"])
    store.close_all()
    say(done=os.getpid())


def _child(job: dict[str, Any]) -> None:
    code = 0
    try:
        _work(job)
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)  # no atexit handlers or buffers inherited from the parent


def main() -> None:
    """Serve jobs until stdin closes."""
    say(ready=os.getpid())
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        say(child=pid)
        # Reap only when the test says so: until then the child's pid cannot be reused, so a
        # late SIGKILL can only reach our own (possibly finished) child.
        sys.stdin.readline()
        _, status = os.waitpid(pid, 0)
        say(exit=pid, killed=os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9,
            code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None)


if __name__ == "__main__":
    main()
