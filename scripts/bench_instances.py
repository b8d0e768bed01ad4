"""Messages per second with one and with two ``intake run`` instances on one PostgreSQL database,
on a real Dovecot, and how long the survivor takes to go on when one instance is killed.

    python scripts/bench_instances.py [N]     # N messages per mailbox (default 500)

Two IMAP mailboxes (anken, kyogikai) of N plain Japanese incident reports each, replies held (no
SMTP). Each run starts the instances on a fresh database, waits until the first says it is
polling, and counts until every message is a case. One mailbox is polled by one instance at a time
(its cursor row is the lock), so a second instance adds throughput only across mailboxes; what it
adds above all is that the work goes on when one host fails — the last line measures that: one of
two instances is killed with SIGKILL in the middle of a poll, and the time until every mailbox
with work left has a new case (the survivor took the dead one's over) is printed.

Needs PostgreSQL installed (``bash scripts/bootstrap``); a throwaway cluster is started and removed.
Timing lives here, never in tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlalchemy import create_engine, text  # noqa: E402

from support import postgres  # noqa: E402
from support.dovecot import Dovecot, ImapAccount  # noqa: E402
from support.mailfactory import make_mail  # noqa: E402

MAILBOX = """[[mailbox]]
name = "{name}"
profile = "incident"
address = "{name}@example.jp"
case_prefix = "{prefix}"
source = "imap"
host = "127.0.0.1"
port = {port}
security = "none"
username = "{user}"
password_env = "{env}"
"""


def reports(name: str, count: int) -> list[bytes]:
    return [
        make_mail(
            sender=f"報告者{i} <reporter{i}@corp{i % 50}.example.co.jp>",
            to=f"{name}@example.jp",
            subject=f"不審メールのご報告 {i}",
            body="本日、取引先を装った不審なメールが届きました。添付ファイルは開いておりません。\n" * 3,
        )
        for i in range(count)
    ]


def workspace(folder: Path, accounts: dict[str, ImapAccount]) -> tuple[Path, dict[str, str], str]:
    database = postgres.cluster().create_database()
    env: dict[str, str] = {}
    text_ = f'poll_interval = 2\n[storage]\ndatabase = "{database}"\narchive_dir = "{folder}/messages"\n'
    text_ += '[replies]\nmode = "hold"\n'
    for prefix, (name, account) in zip(("CSC", "KYO"), accounts.items(), strict=True):
        env[f"BENCH_{name.upper()}"] = account.password
        text_ += MAILBOX.format(
            name=name, prefix=prefix, port=account.port, user=account.username, env=f"BENCH_{name.upper()}"
        )
    config = folder / "config.toml"
    config.write_text(text_, encoding="utf-8")
    env = {**os.environ, **env, "INTAKE_CONFIG": str(config)}
    subprocess.run([sys.executable, "-m", "intake", "init"], env=env, check=True, capture_output=True)
    return config, env, database


def per_mailbox(database: str) -> dict[str, int]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text('SELECT mailbox, count(*) FROM "case" GROUP BY mailbox')).all())
    finally:
        engine.dispose()


def cases(database: str) -> int:
    return sum(per_mailbox(database).values())


def moved_on(database: str, before: dict[str, int], count: int) -> bool:
    """Every mailbox that had work left has a new case since ``before``."""
    now = per_mailbox(database)
    return all(now.get(name, 0) > done for name, done in before.items() if done < count)


def start(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "intake", "run"], env=env, stdout=out, stderr=out)


def wait(predicate, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def run(server: Dovecot, count: int, instances: int, *, kill: bool = False) -> tuple[float, float | None]:
    folder = Path(tempfile.mkdtemp(prefix="bench-instances-"))
    accounts = {name: server.add_account() for name in ("anken", "kyogikai")}
    for name, account in accounts.items():
        account.append(reports(name, count))
    _config, env, database = workspace(folder, accounts)
    logs = [folder / f"instance{n}.log" for n in range(instances)]
    processes = [start(env, log) for log in logs]
    wait(lambda: any("polling" in log.read_text() for log in logs if log.exists()))
    started = time.perf_counter()
    takeover = None
    try:
        if kill:
            wait(lambda: cases(database) >= count // 2)
            victim = processes.pop(0)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed_at, before = time.perf_counter(), per_mailbox(database)
            before = {name: before.get(name, 0) for name in accounts}
            wait(lambda: moved_on(database, before, count))
            takeover = time.perf_counter() - killed_at
        wait(lambda: cases(database) == 2 * count)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    return 2 * count / elapsed, takeover


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    postgres.use("postgresql")
    server = Dovecot().start()
    try:
        for instances in (1, 2):
            rate, _ = run(server, count, instances)
            print(f"{instances} instance(s), PostgreSQL, 2 mailboxes × {count}: {rate:6.1f} messages/s")
        _, takeover = run(server, count, 2, kill=True)
        print(f"one of two instances killed mid-poll: every mailbox moved on again after {takeover:.2f} s")
    finally:
        server.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
