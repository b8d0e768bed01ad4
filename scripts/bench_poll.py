"""How fast a poll clears a backlog: N small Japanese messages through the whole pipeline
(archive, parse, case, checks, reply planning, commit in batches, mark at the source).

    python scripts/bench_poll.py [N]          # Maildir, and a real Dovecot if it is installed

Prints messages per second and per minute for each source. Timing lives here, never in tests.
"""

from __future__ import annotations

import mailbox
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from intake.config import parse_config  # noqa: E402
from intake.db import make_engine, upgrade  # noqa: E402
from intake.runner.poller import Poller  # noqa: E402
from support.dovecot import Dovecot  # noqa: E402
from support.mailfactory import numbered_mails  # noqa: E402


def run(root: Path, mailbox_config: dict, count: int) -> None:
    config = parse_config(
        {
            "storage": {"database": f"sqlite:///{root}/bench.db", "archive_dir": str(root / "messages")},
            "replies": {"mode": "hold"},
            "mailbox": [mailbox_config],
        },
        source="bench",
    )
    engine = make_engine(config.storage.database)
    upgrade(engine)
    started = time.perf_counter()
    report = Poller(config=config, engine=engine).poll(config.mailbox[0])
    seconds = time.perf_counter() - started
    rate = report.fetched / seconds
    print(
        f"{mailbox_config['source']:8} {report.fetched} messages, {report.created} cases in {seconds:.1f} s: "
        f"{rate:.0f} msg/s, {rate * 60:,.0f} msg/min"
    )
    assert report.created == count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    mails = numbered_mails(count, to="csc-anken@example.jp")
    base = {"name": "anken", "profile": "incident", "address": "csc-anken@example.jp", "case_prefix": "CSC"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        box = mailbox.Maildir(root / "maildir", create=True)
        for raw in mails:
            box.add(raw)
        run(root / "m", {**base, "source": "maildir", "path": str(root / "maildir")}, count)
    if shutil.which("dovecot") is None:
        print("imap     skipped: dovecot is not installed")
        return
    server = Dovecot().start()
    try:
        account = server.add_account()
        account.append(mails)
        os.environ["INTAKE_BENCH_PASSWORD"] = account.password
        with tempfile.TemporaryDirectory() as tmp:
            run(
                Path(tmp),
                {
                    **base,
                    "source": "imap",
                    "host": account.host,
                    "port": account.port,
                    "security": "none",
                    "username": account.username,
                    "password_env": "INTAKE_BENCH_PASSWORD",
                },
                count,
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
