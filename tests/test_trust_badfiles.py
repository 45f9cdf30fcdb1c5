"""Bombs and oversized uploads: a clear message within seconds, bounded memory, store unchanged.

Each case runs in a process of its own (tests/trust_badfile_worker.py) so that its memory is
the process's own: the worker notes its resident memory once warm, resets the kernel's peak
mark, hands the file to the portal's import or PDF upload and reports the peak above that.
The rest of the bad-file corpus is tests/test_import_badfiles.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trust_badfile_worker import CASES
from tests.trust_figures import record

ROOT = Path(__file__).resolve().parent.parent
# What the user reads for each: it must say what is wrong with the file.
MESSAGES = {"xlsx zip bomb": "zip bomb", "xlsx grid bomb": "spreadsheet bomb",
            "xlsx zip bomb with false sizes": "spreadsheet bomb",
            "oversized export": "the limit is 200 MB", "pdf zip bomb": "larger than 25 MB",
            "pdf zip bomb with false sizes": "damaged"}
# Far above what a refusal needs, far below what expanding any of these files would take.
MEMORY_BOUND_MB = 64


def test_every_case_has_its_message() -> None:
    assert set(MESSAGES) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_upload_is_refused_quickly_in_bounded_memory(case: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tests.trust_badfile_worker", case,
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert MESSAGES[case] in found["message"], found
    assert found["unchanged"], found
    assert found["peak_above_baseline_mb"] < MEMORY_BOUND_MB, found
    record("badfiles", hostile_uploads=1, refused=1, stores_unchanged=1,
           max_seconds=round(found["seconds"], 3),
           max_memory_mb=round(found["peak_above_baseline_mb"], 1))
