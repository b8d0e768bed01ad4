"""Arrival → reply: how long a report waits between reaching the IMAP server and its reply reaching
the SMTP server, with ``intake run`` waiting on IMAP IDLE (target: under 2 s on this machine).

    python scripts/bench_idle.py [N]       # N reports, one at a time (default 20)

A real Dovecot and a real aiosmtpd on loopback; the scheduled poll is an hour away, so every reply
is IDLE's doing. Prints the median, 90th percentile and worst. Timing lives here, never in tests.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.dovecot import Dovecot  # noqa: E402
from support.mailfactory import make_mail  # noqa: E402
from support.smtp_server import smtp_server  # noqa: E402

CONFIG = """poll_interval = 3600
[storage]
database = "sqlite:///{root}/intake.db"
archive_dir = "{root}/messages"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
[replies]
max_per_sender_per_day = 0
[[mailbox]]
name = "anken"
profile = "incident"
address = "csc-anken@example.jp"
case_prefix = "CSC"
source = "imap"
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{user}"
password_env = "INTAKE_BENCH_PASSWORD"
"""


def measure(count: int, root: Path, account, sink) -> list[float]:
    (root / "config.toml").write_text(
        CONFIG.format(root=root, smtp_port=sink.port, imap_port=account.port, user=account.username)
    )
    env = {
        **os.environ,
        "INTAKE_CONFIG": str(root / "config.toml"),
        "INTAKE_BENCH_PASSWORD": account.password,
    }
    subprocess.run([sys.executable, "-m", "intake", "init"], env=env, check=True, capture_output=True)
    service = subprocess.Popen([sys.executable, "-m", "intake", "run"], env=env, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the first round and the IDLE connection
        waits = []
        for n in range(count):
            before = len(sink.handler.received)
            mail = make_mail(sender=f"報告者 <r{n}@corp.example.co.jp>", subject=f"不審メール {n}")
            started = time.perf_counter()
            account.append([mail])
            while len(sink.handler.received) == before:
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"no reply to report {n} within 60 s")
                time.sleep(0.01)
            waits.append(time.perf_counter() - started)
        return waits
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    server = Dovecot().start()
    try:
        with smtp_server() as sink, tempfile.TemporaryDirectory() as tmp:
            waits = measure(count, Path(tmp), server.add_account(), sink)
    finally:
        server.stop()
    waits.sort()
    p90 = waits[int(len(waits) * 0.9) - 1] if len(waits) >= 10 else waits[-1]
    print(
        f"arrival → reply over IDLE, {count} reports: median {statistics.median(waits):.2f} s, "
        f"90th percentile {p90:.2f} s, worst {waits[-1]:.2f} s (target: under 2 s)"
    )


if __name__ == "__main__":
    main()
