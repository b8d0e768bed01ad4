"""Run intake as a child whose peak memory is its own, and kill it the way a crash would.

Linux copies the *parent's* memory high-water mark into a child's ``ru_maxrss`` when the child
execs (``vfork`` shares the parent's memory; fs/exec.c), so a process started straight from
pytest would report pytest's peak. Each command therefore runs under a tiny launcher that reaps
it with ``os.wait4`` and writes the child's own ``ru_maxrss`` to a file. The launcher passes
SIGTERM on, and turns SIGUSR1 into SIGKILL for the child: ``kill -9`` of intake itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = """
import json, os, signal, subprocess, sys
child, early = None, []
def forward(signum, _frame):
    if child is None:
        early.append(signum)
    else:
        child.send_signal(signal.SIGKILL if signum == signal.SIGUSR1 else signum)
signal.signal(signal.SIGUSR1, forward)
signal.signal(signal.SIGTERM, forward)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1, signal.SIGTERM})
child = subprocess.Popen(sys.argv[2:])
with open(sys.argv[1] + ".pid", "w") as out:
    out.write(str(child.pid))
for signum in early:
    forward(signum, None)
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"maxrss_kb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status)}, out)
"""
_SIGNALS = {signal.SIGUSR1, signal.SIGTERM}


def _block_signals() -> None:
    """In the launcher before it starts: a signal sent at once waits until its handlers are set."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


@dataclass
class Measured:
    """An intake command under the launcher."""

    launcher: subprocess.Popen
    report: Path
    returncode: int | None = None
    peak_mb: float = 0.0

    @classmethod
    def start(
        cls, args: list[str], *, env: dict, cwd: Path, stdout=None, stderr=None, stdin=None
    ) -> Measured:
        report = cwd / f".rss-{time.monotonic_ns()}.json"
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(report), sys.executable, "-m", "intake", *args],
            env=env,
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=stdin,
            preexec_fn=_block_signals,
        )
        return cls(launcher, report)

    def running(self) -> bool:
        return self.launcher.poll() is None

    def opened(self, path: Path, timeout: float = 30) -> bool:
        """Wait until intake has ``path`` open (the database: its work has begun); False when it
        ended first."""
        pid_file = Path(f"{self.report}.pid")
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            if pid_file.exists() and _has_open(pid_file.read_text(), path):
                return True
            time.sleep(0.005)
        return False

    def kill(self) -> None:
        """SIGKILL for intake (through the launcher, which then reports)."""
        self.launcher.send_signal(signal.SIGUSR1)

    def terminate(self) -> None:
        self.launcher.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 300) -> int:
        """Wait for intake to end; its exit code (negative: the signal that ended it)."""
        try:
            self.launcher.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.launcher.wait(30)
        result = json.loads(self.report.read_text())
        self.report.unlink()
        Path(f"{self.report}.pid").unlink(missing_ok=True)
        self.returncode, self.peak_mb = result["exit"], result["maxrss_kb"] / 1024
        return self.returncode


def _has_open(pid: str, path: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process is gone, or a descriptor closed while we looked
        return False


def environment(config_file: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, **(extra or {}), "INTAKE_CONFIG": str(config_file), "COLUMNS": "200"}
