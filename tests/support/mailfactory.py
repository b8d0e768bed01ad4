"""Invented test mail (example.jp / example.com addresses, invented people)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

JST = timezone(timedelta(hours=9))
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_mail(
    *,
    subject: str = "協議会加入申込書の提出について",
    sender: str = "山田 太郎 <yamada@example.co.jp>",
    to: str = "kyogikai-shomu@example.jp",
    body: str = "お世話になっております。\n申込書を送付いたします。\n",
    attachments: list[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    when: datetime | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime.now(JST))
    msg["Message-ID"] = message_id or make_msgid(domain="example.co.jp")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def numbered_mails(count: int, **kwargs) -> list[bytes]:
    return [make_mail(subject=f"ご相談 {i + 1}", body=f"本文 {i + 1}\n", **kwargs) for i in range(count)]
