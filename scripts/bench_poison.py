"""What one long report costs the poller, and what a desk write waits meanwhile.

    python scripts/bench_poison.py [SIZES_MB…]        # default: 1 4 16

For each size, a report whose body is one paragraph of short lines (the shape that once made the
reader quadratic) goes into a Maildir with an ordinary report behind it, and one poll runs in this
process on a fresh SQLite database. It prints the CPU and wall seconds of the long report, the
ratio to the smallest size, whether the ordinary report was processed in the same poll, and the
longest a desk-like write (a staff note) waited while the poll ran in another thread.

Timing lives here, never in tests.
"""

from __future__ import annotations

import mailbox
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlmodel import Session  # noqa: E402

from intake.config import load_config  # noqa: E402
from intake.db import make_engine, upgrade  # noqa: E402
from intake.runner.poller import Poller  # noqa: E402
from support.longmail import MB, SHAPES, long_report  # noqa: E402
from support.mailfactory import make_mail  # noqa: E402

CONFIG = """[storage]
database = "sqlite:///{root}/intake.db"
archive_dir = "{root}/messages"
[replies]
mode = "hold"
[[mailbox]]
name = "anken"
profile = "incident"
address = "csc-anken@example.jp"
case_prefix = "CSC"
source = "maildir"
path = "{root}/maildir"
"""


def one(size_mb: float) -> tuple[float, float, bool, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        box = mailbox.Maildir(root / "maildir", create=True)
        for i, raw in enumerate(
            [long_report(SHAPES[0], int(size_mb * MB)), make_mail(to="csc-anken@example.jp")]
        ):
            key = box.add(raw)
            os.utime(root / "maildir" / "new" / key, (time.time() - 10 + i,) * 2)
        (root / "config.toml").write_text(CONFIG.format(root=root), encoding="utf-8")
        config = load_config(root / "config.toml")
        engine = make_engine(config.storage.database)
        upgrade(engine)
        marks = [(time.process_time(), time.perf_counter())]
        poller = Poller(
            config=config,
            engine=engine,
            progress=lambda *_: marks.append((time.process_time(), time.perf_counter())),
        )
        waits: list[float] = []
        done = threading.Event()
        thread = threading.Thread(target=lambda: (poller.poll(config.get_mailbox("anken")), done.set()))
        thread.start()
        desk = make_engine(config.storage.database)
        while not done.is_set():
            start = time.perf_counter()
            with Session(desk) as session:
                session.connection()  # BEGIN IMMEDIATE: the write lock a desk note waits for
                session.rollback()
            waits.append(time.perf_counter() - start)
            time.sleep(0.05)
        thread.join()
        cpu, wall = marks[1][0] - marks[0][0], marks[1][1] - marks[0][1]
        return cpu, wall, len(marks) == 3, max(waits, default=0.0)


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:]] or [1, 4, 16]
    first = None
    print(f"{'size':>6} {'cpu s':>7} {'wall s':>7} {'× first':>8}  next report  longest desk wait")
    for size in sizes:
        cpu, wall, next_done, wait = one(size)
        first = first or cpu
        print(
            f"{size:>4g}MB {cpu:7.2f} {wall:7.2f} {cpu / first:8.1f}  {'yes' if next_done else 'NO':>11}  {wait:.3f} s"
        )


if __name__ == "__main__":
    main()
