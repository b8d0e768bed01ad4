"""How fast the staff commands answer, each as staff run it (a new process), on a database of
10,000 cases: with no service running, then while ``intake run`` runs and answers them over its
socket — beside ``python -c pass``, the least a process costs.

    python scripts/bench_cli.py [RUNS] [--cases N]    # RUNS timed runs per command (default 10)

It fills a temporary SQLite database the way ``scripts/bench_queue.py`` does (N cases, default
10,000: messages, findings, audit entries, robot mail), then prints for ``queue``, ``show CASE``,
``outbox``, ``audit CASE`` and ``status`` the median wall time of RUNS runs (after one untimed run that warms the
file cache) and the median CPU time (user + system, which other work on the machine changes
less), and which path answered (``--verbose``): the running service, the database read directly,
or the full command line. ``intake --help`` and ``python -c "import intake.cli"`` (what the full
command line loads before it does anything) are there for comparison. Last, the ten imports of
``python -X importtime -m intake queue`` with the largest cumulative time, no service running.

Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_queue import fill, make_engine, upgrade, write_config

SCRIPT = Path(sys.executable).with_name("intake")  # the command staff type, next to this Python
QUICK_SCRIPT = SCRIPT.exists() and "intake.quick" in SCRIPT.read_text(errors="replace")
INTAKE = [str(SCRIPT)] if QUICK_SCRIPT else [sys.executable, "-m", "intake"]
OK = {"status": (0, 4)}  # intake status exits 4 when a case is overdue (the filled database has some)


def run(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """One run of ``command`` with standard input closed: wall and CPU seconds, standard error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr


def median_times(command: list[str], env: dict[str, str], runs: int, ok: tuple[int, ...] = (0,)) -> str:
    """``wall s (cpu s)``, the medians of ``runs`` runs, and the path that answered."""
    _, _, said = run(command, env, ok)  # warm the file cache
    walls, cpus, _ = zip(*(run(command, env, ok) for _ in range(runs)), strict=True)
    said = [line for line in said.splitlines() if "answered" in line or "read from" in line]
    path = said[0].removeprefix("intake: ").split(" (")[0] if said else ""
    return f"{statistics.median(walls):6.3f} s  (cpu {statistics.median(cpus):5.3f} s)  {path}"


@contextlib.contextmanager
def service(root: Path, env: dict[str, str]) -> Iterator[None]:
    """``intake run`` on the database, until its socket answers; stopped with SIGTERM."""
    sock = root / "storage" / "intake-run.sock"
    with (root / "run.log").open("wb") as log:
        process = subprocess.Popen([*INTAKE, "run"], env=env, stdout=log, stderr=log, cwd=root)
    try:
        deadline = time.monotonic() + 120
        while not _answers(sock) or "polled" not in (root / "run.log").read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("intake run did not start:\n" + (root / "run.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def timed(commands: list[tuple[str, list[str]]], env: dict[str, str], runs: int) -> None:
    for title, argv in commands:
        times = median_times([*INTAKE, "--verbose", *argv], env, runs, OK.get(argv[0], (0,)))
        print(f"  {'intake ' + title:<38} {times}", flush=True)


def top_imports(env: dict[str, str], count: int = 10) -> list[tuple[int, str]]:
    """The imports with the largest cumulative time (µs) in ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "intake", "queue"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=10)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        root = Path(tmp)
        config = write_config(root)
        engine = make_engine(f"sqlite:///{root}/intake.db")
        upgrade(engine)
        made = fill(engine, args.cases)
        engine.dispose()
        env = {**os.environ, "INTAKE_CONFIG": str(config), "COLUMNS": "120"}
        first = subprocess.run(
            [*INTAKE, "queue", "--json", "--limit", "1"], env=env, capture_output=True, check=True
        )
        case = json.loads(first.stdout)[0]["id"]
        commands = [
            ("queue", ["queue"]),
            (f"show {case}", ["show", case]),
            ("outbox", ["outbox"]),
            (f"audit {case}", ["audit", case]),
            ("status", ["status"]),
        ]
        print(
            f"{made['cases']:,} cases; wall time, median of {args.runs} runs, each a new process "
            f"({' '.join(Path(c).name for c in INTAKE)}; Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
        )
        floors = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("import intake.cli (the full CLI)", [sys.executable, "-c", "import intake.cli"]),
            ("intake --help", [*INTAKE, "--help"]),
        ]
        for title, argv in floors:
            print(f"  {title:<38} {median_times(argv, env, args.runs)}", flush=True)
        print("no service running:")
        timed(commands, env, args.runs)
        with service(root, env):
            print("intake run running:")
            timed(commands, env, args.runs)
        print("\npython -X importtime -m intake queue (no service): the 10 largest cumulative import times")
        for cumulative, name in top_imports(env):
            print(f"  {cumulative / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
