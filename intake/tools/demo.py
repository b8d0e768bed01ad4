"""``intake demo``: the product on its embedded defaults — SQLite, local Maildirs, no servers.

It writes a configuration into a demo folder, delivers a handful of realistic (invented) Japanese
mails into two Maildirs — a membership application with an encrypted Word form, a PDF sent by
mistake, an incident report, a bounce — and polls them like the service would. Its replies go to
a local mail sink on loopback (``[smtp]``), which ``intake demo-serve`` starts with the desk.
"""

from __future__ import annotations

import io
import mailbox
import os
import shutil
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import msoffcrypto

from intake.clock import JST
from intake.forms import write_application

MARKER = ".intake-demo"
DEMO_PASSWORD = "demo-Pa55"  # the password the applicant "phones in" for the demo form
DEMO_SMTP_PORT = 8725  # the local mail sink of `intake demo-serve`

CONFIG = """\
# Written by `intake demo`: two local Maildirs, SQLite, replies held for staff.
poll_interval = 60
log_level = "WARNING"

[storage]
database = "sqlite:///intake.db"
archive_dir = "messages"

[[mailbox]]
name = "kyogikai"
profile = "membership"
address = "kyogikai-shomu@example.jp"
case_prefix = "KYOGIKAI"
source = "maildir"
path = "maildir/kyogikai"

[[mailbox]]
name = "anken"
profile = "incident"
address = "csc-anken@example.jp"
case_prefix = "CSC"
source = "maildir"
path = "maildir/anken"

[replies]
mode = "hold"

[smtp]
# The local mail sink `intake demo-serve` starts: nothing leaves this machine.
host = "127.0.0.1"
port = {smtp_port}
security = "none"

[membership]
# The demo's recruitment period runs around today, so its application is in time.
recruitment_periods = [ {{ start = "{start}", end = "{end}" }} ]
"""


def prepare(folder: Path, *, smtp_port: int = DEMO_SMTP_PORT) -> Path:
    """A fresh demo folder with its configuration and seeded Maildirs; returns the config path."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise FileExistsError(f"{folder} exists and was not made by `intake demo`; choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by intake demo\n", encoding="utf-8")
    config = folder / "config.toml"
    today = datetime.now(JST).date()
    period = {"start": today - timedelta(days=14), "end": today + timedelta(days=14)}
    config.write_text(CONFIG.format(**period, smtp_port=smtp_port), encoding="utf-8")
    (folder / "maildir").mkdir()
    boxes = {name: mailbox.Maildir(folder / "maildir" / name, create=True) for name in ("kyogikai", "anken")}
    for box, when, raw in seed_messages():
        key = boxes[box].add(raw)
        stamp = when.timestamp()  # the file time is when the message "arrived"
        os.utime(folder / "maildir" / box / "new" / key, (stamp, stamp))
    return config


def seed_messages() -> list[tuple[str, datetime, bytes]]:
    now = datetime.now(JST)
    seeds = [
        ("kyogikai", 5, _application),
        ("kyogikai", 3, _pdf_by_mistake),
        ("anken", 2, _incident),
        ("kyogikai", 1, _bounce),
    ]
    return [(box, now - timedelta(hours=h), make(now - timedelta(hours=h))) for box, h, make in seeds]


def _base(sender: str, to: str, subject: str, when: datetime, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    msg.set_content(body)
    return msg


def _application(when: datetime) -> bytes:
    msg = _base(
        "山田 太郎 <yamada@example.co.jp>",
        "kyogikai-shomu@example.jp",
        "協議会加入申込書の提出について",
        when,
        "サイバーセキュリティ協議会事務局 御中\n\n例示商事株式会社の山田です。\n加入申込書を暗号化して送付いたします。\n"
        "パスワードは別途お電話にてお知らせいたします。\n\nよろしくお願いいたします。\n",
    )
    name = f"{when:%y%m%d}_協議会加入申込書（例示商事株式会社）.docx"
    msg.add_attachment(
        encrypted_form(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=name,
    )
    return msg.as_bytes()


def _pdf_by_mistake(when: datetime) -> bytes:
    msg = _base(
        "佐藤 花子 <sato@example.ac.jp>",
        "kyogikai-shomu@example.jp",
        "事務従事者登録届の送付",
        when,
        "お世話になっております。架空大学の佐藤です。\n事務従事者登録届を送付いたします。\n",
    )
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    msg.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"{when:%y%m%d}_事務従事者登録届（架空大学）.pdf"
    )
    return msg.as_bytes()


def _incident(when: datetime) -> bytes:
    return _base(
        "鈴木 一郎 <suzuki@example.com>",
        "csc-anken@example.jp",
        "不審メールの受信について（ご相談）",
        when,
        "協議会事務局 御中\n\n本日、取引先を装った不審なメールを複数の職員が受信しました。\n添付ファイルは開いておりません。\n"
        "対応についてご相談させてください。\n",
    ).as_bytes()


def _bounce(when: datetime) -> bytes:
    msg = _base(
        "Mail Delivery System <MAILER-DAEMON@mail.example.jp>",
        "kyogikai-shomu@example.jp",
        "Undelivered Mail Returned to Sender",
        when,
        "This is the mail system at host mail.example.jp.\n\nI'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n<old-address@example.co.jp>: host said: 550 5.1.1 User unknown\n",
    )
    msg["Auto-Submitted"] = "auto-replied"
    return msg.as_bytes()


DEMO_APPLICATION = {
    "application_kind": "新規加入",
    "org_name": "例示商事株式会社",
    "org_name_kana": "れいじしょうじかぶしきがいしゃ",
    "corporate_number": "7000012050002",
    "department": None,
    "address": "東京都千代田区丸の内9-9-9",
    "representative": "代表取締役社長　例示　一郎",
    "category": "サイバー関連事業者",
    "sector": None,
    "participation": "一般の構成員",
    "receive_secrets": "希望しない",
    "early_warning_service": "登録済み",
    "roster_publication": None,  # left unticked: the reply will ask for it
    "poc": {
        "name": "山田　太郎",
        "name_kana": "やまだ　たろう",
        "title": "情報システム部 課長",
        "phone": "03-0000-1234",
        "email": "yamada@example.co.jp",
    },
}


def encrypted_form() -> bytes:
    """The demo 加入申込書 (one box left unticked), really encrypted (agile) with the demo password."""
    plain, encrypted = io.BytesIO(write_application(DEMO_APPLICATION)), io.BytesIO()
    msoffcrypto.OfficeFile(plain).encrypt(DEMO_PASSWORD, encrypted)
    return encrypted.getvalue()
