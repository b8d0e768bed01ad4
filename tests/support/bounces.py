"""Bounces as real mail servers write them, built around a reply of ours (its raw bytes).

Each builder follows the layout one server writes — the same parts, headers and wording as the
samples in ../shared/corpus/emails_autoreply_bounce (Postfix, Exim, Exchange / Outlook NDRs, Gmail,
qmail), which the project never copies — with invented hosts and addresses. ``status`` is the RFC
3463 code the server reports, ``reason`` its words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import format_datetime, make_msgid

STATUS = "5.1.1"


def _headers(original: bytes) -> str:
    """The original's header block, as a server quotes it."""
    head = original.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in original else original.split(b"\n\n", 1)[0]
    return head.decode("utf-8", "replace").replace("\r\n", "\n")


def _to(original: bytes) -> str:
    return message_from_bytes(original, policy=policy.default)["To"].addresses[0].addr_spec


def _envelope(sender: str, to: str, subject: str, content_type: str, extra: str = "") -> str:
    date = format_datetime(datetime.now(UTC))
    return (
        f"Return-Path: <>\nFrom: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date}\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\nMIME-Version: 1.0\n{extra}"
        f"Content-Type: {content_type}\n\n"
    )


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def postfix(original: bytes, reason: str = "User unknown in virtual mailbox table") -> bytes:
    rcpt, ours = _to(original), message_from_bytes(original)["From"]
    head = _envelope(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", ours, "Undelivered Mail Returned to Sender",
        'multipart/report; report-type=delivery-status; boundary="B1"', "Auto-Submitted: auto-replied\n",
    )  # fmt: skip
    return _crlf(
        head + "--B1\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you that your message"
        " could not\nbe delivered to one or more recipients. It's attached below.\n\n"
        f"<{rcpt}>: host mail.example.com[192.0.2.25] said: 550 {STATUS}\n    <{rcpt}>: Recipient address"
        f" rejected: {reason} (in reply to RCPT TO command)\n\n"
        "--B1\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\nX-Postfix-Queue-ID: 4F2A81C0042\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nOriginal-Recipient: rfc822;{rcpt}\nAction: failed\nStatus: {STATUS}\n"
        f"Remote-MTA: dns; mail.example.com\nDiagnostic-Code: smtp; 550 {STATUS} <{rcpt}>: Recipient address\n"
        f"    rejected: {reason}\n\n"
        "--B1\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
        + original.decode("utf-8", "replace").replace("\r\n", "\n")
        + "\n--B1--\n"
    )


def exim(original: bytes) -> bytes:
    """Exim's classic bounce: no report parts, the failure in prose, the original below a line."""
    rcpt, ours = _to(original), message_from_bytes(original)["From"]
    head = _envelope(
        "Mail Delivery System <Mailer-Daemon@relay.example.org>", ours,
        "Mail delivery failed: returning message to sender", "text/plain; charset=us-ascii",
        "X-Failed-Recipients: " + rcpt + "\nAuto-Submitted: auto-replied\n",
    )  # fmt: skip
    return _crlf(
        head + "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\nrecipients. This is a"
        " permanent error. The following address(es) failed:\n\n"
        f"  {rcpt}\n    SMTP error from remote mail server after RCPT TO:<{rcpt}>:\n"
        f"    host mail.example.com [192.0.2.25]: 550 {STATUS} <{rcpt}>... User unknown\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        + original.decode("utf-8", "replace").replace("\r\n", "\n")
    )


def exchange(original: bytes) -> bytes:
    """An Exchange / Outlook non-delivery report (NDR)."""
    rcpt, ours = _to(original), message_from_bytes(original)["From"]
    subject = "Undeliverable: " + message_from_bytes(original, policy=policy.default)["Subject"]
    head = _envelope(
        "postmaster@corp.example.com", ours, subject,
        'multipart/report; report-type=delivery-status; boundary="NDR"',
        "X-MS-Exchange-Message-Is-Ndr:\nContent-Language: en-US\n",
    )  # fmt: skip
    return _crlf(
        head + "--NDR\nContent-Type: text/plain; charset=us-ascii\n\nDelivery has failed to these recipients"
        f" or groups:\n\n{rcpt}\nThe email address you entered couldn't be found.\n\nDiagnostic information"
        f" for administrators:\n\nGenerating server: EXCH01.corp.example.com\n\n{rcpt}\nRemote Server returned"
        f" '550 {STATUS} RESOLVER.ADR.RecipNotFound; not found'\n\n"
        "--NDR\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;EXCH01.corp.example.com\n"
        "Received-From-MTA: dns;mx.example.jp\n\n"
        f"Final-Recipient: rfc822;{rcpt}\nAction: failed\nStatus: {STATUS}\n"
        f"Diagnostic-Code: smtp;550 {STATUS} RESOLVER.ADR.RecipNotFound; not found\n\n"
        "--NDR\nContent-Type: message/rfc822\n\n"
        + original.decode("utf-8", "replace").replace("\r\n", "\n")
        + "\n--NDR--\n"
    )


def gmail(original: bytes) -> bytes:
    """Gmail's "Address not found", with only the original's headers returned."""
    rcpt, ours = _to(original), message_from_bytes(original)["From"]
    head = _envelope(
        "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", ours,
        "Delivery Status Notification (Failure)",
        'multipart/report; boundary="G1"; report-type=delivery-status',
    )  # fmt: skip
    return _crlf(
        head + "--G1\nContent-Type: text/plain; charset=UTF-8\n\n** Address not found **\n\nYour message"
        f" wasn't delivered to {rcpt} because the address couldn't be found, or is unable to receive mail.\n\n"
        "--G1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; googlemail.com\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: {STATUS}\nRemote-MTA: dns; mail.example.com.\n"
        f"Diagnostic-Code: smtp; 550-{STATUS} The email account that you tried to reach does not exist.\n\n"
        "--G1\nContent-Type: text/rfc822-headers\n\n" + _headers(original) + "\n\n--G1--\n"
    )


def qmail(original: bytes) -> bytes:
    """qmail's "failure notice": prose, then the original below a line."""
    rcpt, ours = _to(original), message_from_bytes(original)["From"]
    head = _envelope("MAILER-DAEMON@mx.example.org", ours, "failure notice", "text/plain; charset=us-ascii")
    return _crlf(
        head + "Hi. This is the qmail-send program at mx.example.org.\nI'm afraid I wasn't able to deliver"
        " your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it"
        f" didn't work out.\n\n<{rcpt}>:\n192.0.2.25 does not like recipient.\nRemote host said: 550"
        f" {STATUS} <{rcpt}>: Recipient address rejected: User unknown\nGiving up on 192.0.2.25.\n\n"
        "--- Below this line is a copy of the message.\n\n"
        + original.decode("utf-8", "replace").replace("\r\n", "\n")
    )


def out_of_office(original: bytes) -> bytes:
    """An out-of-office answer to our reply (RFC 3834), in Japanese."""
    parsed = message_from_bytes(original, policy=policy.default)
    rcpt = parsed["To"].addresses[0].addr_spec
    head = (
        f"From: {rcpt}\nTo: {parsed['From']}\nSubject: =?UTF-8?B?5LiN5Zyo6YCa55+l?=\n"
        f"Date: {format_datetime(datetime.now(UTC))}\nMessage-ID: {make_msgid(domain='example.co.jp')}\n"
        f"In-Reply-To: {parsed['Message-ID']}\nReferences: {parsed['Message-ID']}\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    )
    return _crlf(head + "12月3日まで出張のため不在にしております。戻り次第ご連絡いたします。\n")


FORMATS = {"postfix": postfix, "exim": exim, "exchange": exchange, "gmail": gmail, "qmail": qmail}
