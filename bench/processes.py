"""The processes around a load test: a running portal, and where the machine's CPU time went."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT


class Portal:
    """`streamlit run portal_app.py` on a free loopback port and a data folder (the benchmark's
    store, or a browser test's); its output goes to `log` (by default beside the folder)."""

    def __init__(self, data_dir: str | Path, log: Path | None = None) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_BASE_URL": self.url}
        self.log = (log or Path(data_dir).parent / f"portal-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "portal_app.py", "--server.headless",
             "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the portal did not start: see {self.log.name}")

    def peak_mb(self) -> float:
        """The portal process's peak resident memory so far."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        """End the portal process (ours, by its own handle) and close its log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class CpuMeter:
    """CPU seconds used while it runs, by the portal, by the browser, and by other programs.

    A thread samples /proc twice a second: each process's CPU time only grows, so its last
    sample minus its first is what it used in the window (a process that lives under half a
    second escapes it). The portal and the browser share the machine's cores: this says which
    of them the time went to.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, portal_pid: int) -> None:
        self.portal_pid, self.first, self.last = portal_pid, {}, {}  # type: ignore[var-annotated]
        self.stop_event = threading.Event()
        self.busy_start, self.wall = self._machine_busy(), time.perf_counter()
        self.thread = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self.thread.start()

    @staticmethod
    def _machine_busy() -> float:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        idle = int(fields[3]) + int(fields[4])
        return (sum(int(f) for f in fields[:8]) - idle) / CpuMeter.TICK

    def _sample(self) -> None:
        parents, used = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(stat[1])
            used[int(entry.name)] = (int(stat[11]) + int(stat[12])) / self.TICK
        for pid, seconds in used.items():
            group = self._group(pid, parents)
            if group:
                self.first.setdefault(pid, (group, seconds))
                self.last[pid] = (group, seconds)

    def _group(self, pid: int, parents: dict[int, int]) -> str | None:
        """'portal' or 'browser' for our own descendants, None for other programs."""
        while pid > 1:
            if pid == self.portal_pid:
                return "portal"
            if parents.get(pid) == os.getpid():
                return "browser"
            pid = parents.get(pid, 0)
        return None

    def _sample_until_stopped(self) -> None:
        while not self.stop_event.is_set():
            self._sample()
            self.stop_event.wait(0.5)

    def stop(self) -> dict[str, float]:
        """End the sampling; CPU seconds per group, other programs', and the wall time."""
        self.stop_event.set()
        self.thread.join()
        totals = {"portal": 0.0, "browser": 0.0}
        for pid, (group, seconds) in self.last.items():
            totals[group] += seconds - self.first[pid][1]
        busy = self._machine_busy() - self.busy_start
        totals["other programs"] = max(0.0, busy - totals["portal"] - totals["browser"])
        totals["wall"] = time.perf_counter() - self.wall
        return totals
