"""How fast the staff commands answer, each as staff run it: a separate process on the demo database.

    python scripts/bench_cli.py [RUNS]        # RUNS timed runs per command (default 5)

It makes the demo folder in a temporary directory (``intake demo --dir …``), then prints for each
command the median wall time of RUNS runs (after one untimed run that warms the file cache), and
the median CPU time (user + system, which other work on the machine changes less):
``intake --help``, ``queue``, ``show CASE``, ``outbox``, ``unlock`` up to its prompt (standard
input closed, so it quits at the prompt), ``status`` and ``audit``; then, for comparison, a
process that only imports what every database command needs (typer, rich, pydantic, SQLModel and
SQLAlchemy, the tables, the configuration). Last, the ten imports of
``python -X importtime -m intake queue`` with the largest cumulative time.

Timing lives here, never in tests.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
FLOOR = "import typer, rich.console, rich.table, pydantic, sqlmodel, intake.db.tables, intake.config"
SCRIPT = Path(sys.executable).with_name("intake")  # the command staff type, next to this Python
INTAKE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "intake"]
ENV = {**os.environ, "COLUMNS": "120"}


def run(command: list[str], *, expect: str = "") -> tuple[float, float]:
    """One run of ``command`` with standard input closed: its wall and CPU time in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ENV, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or expect not in done.stdout:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_times(command: list[str], *, expect: str = "") -> str:
    """``wall s (cpu s)``, the medians of RUNS runs."""
    run(command, expect=expect)  # warm the file cache
    walls, cpus = zip(*(run(command, expect=expect) for _ in range(RUNS)), strict=True)
    return f"{statistics.median(walls):6.3f} s  (cpu {statistics.median(cpus):5.3f} s)"


def top_imports(args: list[str], count: int = 10) -> list[tuple[int, str]]:
    """The imports with the largest cumulative time (µs) in ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "intake", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ENV, check=True,
    )  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        folder = Path(tmp) / "demo"
        subprocess.run([*INTAKE, "demo", "--dir", str(folder)], capture_output=True, check=True, env=ENV)
        cli = ["--config", str(folder / "config.toml")]
        commands = [
            ("intake --help", ["--help"], "Usage"),
            ("intake queue", [*cli, "queue"], "KYOGIKAI-2026-0001"),
            ("intake show KYOGIKAI-2026-0001", [*cli, "show", "KYOGIKAI-2026-0001"], "history"),
            ("intake outbox", [*cli, "outbox"], "outbox"),
            ("intake unlock (to the prompt)", [*cli, "unlock"], "which one?"),
            ("intake status", [*cli, "status"], "mail servers"),
            ("intake audit", [*cli, "audit"], "audit"),
        ]
        print(
            f"wall time, median of {RUNS} runs (each a new process, demo database; "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs)"
        )
        for title, args, expect in commands:
            print(f"  {title:<34} {median_times([*INTAKE, *args], expect=expect)}", flush=True)
        print(f"  {'(only the imports they all need)':<34} {median_times([sys.executable, '-c', FLOOR])}")
        print("\npython -X importtime -m intake queue: the 10 largest cumulative import times")
        for cumulative, name in top_imports([*cli, "queue"]):
            print(f"  {cumulative / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
