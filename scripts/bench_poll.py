"""How fast a poll clears a backlog, against the floor any poller pays, on a real Dovecot.

    python scripts/bench_poll.py [N]        # N messages (default 2000; run it at 2000 and 10000)

The mix: 70 % plain Japanese incident reports (anken), 30 % membership mails carrying a 40 kB
application form (kyogikai), each from its own organisation (its own 法人番号). In one run it prints:

* raw: IMAPClient fetching every message in batches plus Python's own parse of every part — the
  floor any poller pays;
* intake poll: ``intake poll`` as staff run it (a separate process), archive, parse, cases, checks,
  forms, reply planning, the search index, commits and marks included — and its ratio to raw, the
  CPU time the process used (user + system), which other work on the machine disturbs less, the
  SQL statements it sent per message, and its peak RSS;
* plain only: the same two on the reports alone;
* idle: a poll with nothing new on a mailbox of 1,000 and of 20,000 processed messages.

Timing lives here, never in tests.
"""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import tempfile
import time
from email import policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from imapclient import IMAPClient  # noqa: E402

from intake.checks.corporate import check_digit  # noqa: E402
from intake.config import load_config  # noqa: E402
from intake.db import make_engine  # noqa: E402
from intake.db.tables import SourceCursor  # noqa: E402
from intake.forms import write_application  # noqa: E402
from intake.runner.poller import Poller  # noqa: E402
from support.dovecot import Dovecot, ImapAccount  # noqa: E402
from support.mailfactory import DOCX_TYPE, make_mail  # noqa: E402
from support.samples import application  # noqa: E402

REPORT = (
    "お世話になっております。株式会社サンプルの情報システム部です。\n"
    "本日、当社の複数の従業員宛てに、取引先を装った不審なメールが届きました。\n"
    "添付ファイルは開いておらず、現在ネットワークからの隔離を進めています。\n" * 3
)
MAILBOX = """[[mailbox]]
name = "{name}"
profile = "{profile}"
address = "{address}"
case_prefix = "{prefix}"
source = "imap"
host = "127.0.0.1"
port = {port}
security = "none"
username = "{user}"
password_env = "{env}"
"""


def reports(count: int) -> list[bytes]:
    return [
        make_mail(
            sender=f"報告者{i} <reporter{i}@corp{i % 50}.example.co.jp>",
            to="csc-anken@example.jp",
            subject=f"不審メールのご報告 {i}",
            body=REPORT,
        )
        for i in range(count)
    ]


def applications(count: int) -> list[bytes]:
    mails = []
    for i in range(count):
        base = f"{7_000_000_000 + i:012d}"  # each organisation its own 法人番号, as in real mail
        form = write_application(
            application(
                org_name=f"試験工業{i:05d}株式会社",
                corporate_number=f"{check_digit(base)}{base}",
                poc_email=f"poc{i}@org{i}.example.co.jp",
            )
        )
        mails.append(
            make_mail(
                sender=f"担当 {i} <poc{i}@org{i}.example.co.jp>",
                attachments=[(f"協議会加入申込書（試験工業{i:05d}株式会社）.docx", form, DOCX_TYPE)],
            )
        )
    return mails


def raw_rate(accounts: list[ImapAccount], batch: int = 100) -> tuple[int, float]:
    """Fetch every message in batches and parse every part, as any poller must."""
    started, count = time.perf_counter(), 0
    for account in accounts:
        with IMAPClient(account.host, port=account.port, ssl=False) as client:
            client.login(account.username, account.password)
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            for start in range(0, len(uids), batch):
                for item in client.fetch(uids[start : start + batch], [b"BODY.PEEK[]"]).values():
                    message = email.message_from_bytes(item[b"BODY[]"], policy=policy.default)
                    for part in message.walk():
                        if not part.is_multipart():
                            part.get_content()
                    count += 1
    return count, time.perf_counter() - started


def workspace(root: Path, accounts: dict[str, ImapAccount]) -> dict[str, str]:
    boxes = {
        "anken": ("incident", "csc-anken@example.jp", "CSC"),
        "kyogikai": ("membership", "kyogikai-shomu@example.jp", "KYOGIKAI"),
    }
    env = {"INTAKE_CONFIG": str(root / "config.toml")}
    text = f'[storage]\ndatabase = "sqlite:///{root}/intake.db"\narchive_dir = "{root}/messages"\n'
    text += '[replies]\nmode = "hold"\n[membership]\nrecruitment_periods = [{start = "2026-01-01", end = "2027-12-31"}]\n'
    for name, account in accounts.items():
        profile, address, prefix = boxes[name]
        env[f"BENCH_{name.upper()}"] = account.password
        text += MAILBOX.format(
            name=name,
            profile=profile,
            address=address,
            prefix=prefix,
            port=account.port,
            user=account.username,
            env=f"BENCH_{name.upper()}",
        )
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(text, encoding="utf-8")
    return {**os.environ, **env}


# `intake poll --json`, then the process's own peak RSS and the SQL statements it sent on stderr.
# VmHWM, not getrusage: a child's ru_maxrss starts from its parent's size at fork (Linux keeps it
# across exec), and this script holds every generated message in memory. An executemany counts once.
POLL_WITH_PEAK = """
import runpy, sys
from sqlalchemy import Engine, event
sent = [0]
event.listen(Engine, "before_cursor_execute", lambda *args: sent.__setitem__(0, sent[0] + 1))
sys.argv = ["intake", "poll", "--json"]
try:
    runpy.run_module("intake", run_name="__main__")
finally:
    print("statements", sent[0], file=sys.stderr)
    import resource
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print("peak-rss-kb", peak.split()[1], file=sys.stderr)
    used = resource.getrusage(resource.RUSAGE_SELF)
    print("cpu-seconds", used.ru_utime + used.ru_stime, file=sys.stderr)
"""


def intake_rate(root: Path, accounts: dict[str, ImapAccount]) -> tuple[int, float]:
    env = workspace(root, accounts)
    subprocess.run([sys.executable, "-m", "intake", "init"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", POLL_WITH_PEAK], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"intake poll failed: {done.stderr}")
    fetched = sum(m["fetched"] for m in json.loads(done.stdout)["mailboxes"])
    peak = int(done.stderr.rpartition("peak-rss-kb ")[2].split()[0]) / 1024
    cpu = float(done.stderr.rpartition("cpu-seconds ")[2].split()[0])
    statements = int(done.stderr.rpartition("statements ")[2].split()[0])
    print(f"  intake poll SQL statements: {statements / fetched:.1f} a message")
    print(f"  intake poll peak RSS: {peak:.0f} MB (target < 200 MB at 10,000 with forms)")
    print(
        f"  intake poll CPU time: {cpu:.1f} s, {cpu / fetched * 1000:.1f} ms a message (a busy machine disturbs it less)"
    )
    return fetched, seconds


def idle_cost(server: Dovecot, size: int, root: Path) -> float:
    """A poll with nothing new on a mailbox of ``size`` processed messages (best of 5)."""
    account = server.add_account()
    account.append(reports(min(size, 500)) * (size // min(size, 500)))
    with account.client() as client:
        uids = client.search("ALL")
        client.add_flags(f"1:{max(uids)}", [b"$IntakeProcessed"], silent=True)
        uidvalidity = client.folder_status("INBOX", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
    env = workspace(root, {"anken": account})
    os.environ.update(env)
    subprocess.run([sys.executable, "-m", "intake", "init"], env=env, check=True, capture_output=True)
    config = load_config(root / "config.toml")
    engine = make_engine(config.storage.database)
    from sqlmodel import Session

    with Session(engine) as session:  # as if intake had processed them all
        session.add(
            SourceCursor(mailbox="anken", folder="INBOX", uidvalidity=uidvalidity, last_uid=max(uids))
        )
        session.commit()
    poller, times = Poller(config=config, engine=engine), []
    for _ in range(5):
        started = time.perf_counter()
        report = poller.poll(config.mailbox[0])
        times.append(time.perf_counter() - started)
        assert report.fetched == 0
    return min(times)


def line(label: str, count: int, seconds: float) -> float:
    rate = count / seconds
    print(f"  {label:28} {count:6} messages in {seconds:6.1f} s: {rate:7.0f} msg/s")
    return rate


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    plain, forms = reports(total * 7 // 10), applications(total - total * 7 // 10)
    server = Dovecot().start()
    try:
        anken, kyogikai, alone = server.add_account(), server.add_account(), server.add_account()
        anken.append(plain)
        kyogikai.append(forms)
        alone.append(plain)
        with tempfile.TemporaryDirectory() as tmp:
            print(
                f"mix: {len(plain)} reports + {len(forms)} membership mails with a {len(write_application(application())) // 1000} kB form"
            )
            raw = line("raw fetch + parse", *raw_rate([anken, kyogikai]))
            polled = line(
                "intake poll", *intake_rate(Path(tmp) / "mix", {"anken": anken, "kyogikai": kyogikai})
            )
            print(f"  ratio intake / raw: {polled / raw:.2f} (target ≥ 0.25)")
            print("plain reports only:")
            raw = line("raw fetch + parse", *raw_rate([alone]))
            fresh = server.add_account()
            fresh.append(plain)
            polled = line("intake poll", *intake_rate(Path(tmp) / "plain", {"anken": fresh}))
            print(f"  ratio intake / raw: {polled / raw:.2f} (target ≥ 0.35)")
            small = idle_cost(server, 1000, Path(tmp) / "idle1k")
            large = idle_cost(server, 20000, Path(tmp) / "idle20k")
            print(
                f"poll with nothing new: 1,000 messages {small * 1000:.0f} ms, 20,000 messages {large * 1000:.0f} ms "
                f"(ratio {large / small:.2f}, target ≤ 1.2)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
