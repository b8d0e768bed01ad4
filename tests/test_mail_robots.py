"""Who never gets an automatic reply: one built message per reason, and people who must still get one."""

from __future__ import annotations

import base64

import pytest

from intake.mail import no_reply_reason, parse_message

OURS = ("kyogikai-shomu@example.jp", "csc-anken@example.jp")


def jis_word(text: str) -> str:
    """An ISO-2022-JP encoded word, as Japanese mailers write subjects."""
    return "=?ISO-2022-JP?B?" + base64.b64encode(text.encode("iso2022_jp")).decode() + "?="


def mail(
    *headers: str,
    subject: str = "協議会加入申込書の送付（テスト株式会社）",
    sender: str = "山田 太郎 <yamada@example.co.jp>",
    body: str = "お世話になっております。\r\n加入申込書を送付いたします。\r\n",
    content_type: str = "text/plain; charset=utf-8",
    payload: bytes | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        "To: kyogikai-shomu@example.jp",
        f"Subject: {jis_word(subject)}",
        "Date: Mon, 5 Oct 2026 10:12:00 +0900",
        "Message-ID: <a1@example.co.jp>",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        *headers,
    ]
    head = "\r\n".join(lines).encode("utf-8")
    return head + b"\r\n\r\n" + (payload if payload is not None else body.encode("utf-8"))


def dsn(report_type: str = "delivery-status", status_type: str = "message/delivery-status") -> bytes:
    payload = (
        "--r\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n"
        f"--r\r\nContent-Type: {status_type}\r\n\r\nReporting-MTA: dns; mx.example.jp\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--r--\r\n"
    ).encode()
    return mail(
        subject="Mail for you",
        sender="mx@example.jp",
        content_type=f'multipart/report; report-type={report_type}; boundary="r"',
        payload=payload,
    )


def forwarded_bounce() -> bytes:
    """A person forwarding a bounce they received, as an attachment: still a person."""
    inner = dsn()
    payload = (
        b"--f\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "エラーが返ってきました。確認をお願いします。".encode()
        + b"\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--f--\r\n"
    )
    return mail(subject="Fwd: Mail for you", content_type='multipart/mixed; boundary="f"', payload=payload)


POSITIVE = [
    ("own_address", mail(sender="協議会事務局 <Kyogikai-Shomu@Example.jp>", subject="Re: 申込書の件")),
    ("auto_submitted", mail("Auto-Submitted: auto-replied", subject="Re: 申込書の件")),
    ("auto_submitted", mail("Auto-Submitted: auto-generated; owner-email=x@example.jp")),
    ("delivery_report", dsn()),
    ("delivery_report", dsn("disposition-notification", "message/disposition-notification")),
    ("delivery_report", mail("X-Failed-Recipients: nobody@example.jp", subject="Mail for you")),
    ("precedence", mail("Precedence: bulk")),
    ("precedence", mail("Precedence: auto_reply")),
    ("mailing_list", mail("List-Id: 会員連絡 <members.example.jp>")),
    ("mailing_list", mail("List-Unsubscribe: <mailto:leave@example.jp>")),
    ("empty_return_path", mail("Return-Path: <>")),
    ("empty_return_path", mail("Return-Path: <MAILER-DAEMON>")),
    ("auto_response_suppress", mail("X-Auto-Response-Suppress: All")),
    ("autoreply_header", mail("X-Autoreply: yes")),
    ("autoreply_header", mail("X-Autorespond: Out of office")),
    ("autoreply_header", mail("X-Mailer: Vacation 1.2.7")),
    ("robot_sender", mail(sender="MAILER-DAEMON@mx.example.jp", subject="お知らせ")),
    ("robot_sender", mail(sender="Mail Delivery System <postmaster@example.co.jp>", subject="お知らせ")),
    ("robot_sender", mail(sender="no-reply@example.com", subject="ご案内")),
    ("robot_sender", mail(sender="info-noreply@example.com", subject="ご案内")),
    ("robot_sender", mail(sender="do-not-reply@example.com", subject="ご案内")),
    ("robot_sender", mail(sender="bounces+12345@mail.example.com", subject="ご案内")),
    ("bounce_subject", mail(subject="Undeliverable: 協議会加入申込書の送付")),
    ("bounce_subject", mail(subject="Undelivered Mail Returned to Sender")),
    ("bounce_subject", mail(subject="Delivery Status Notification (Failure)")),
    ("bounce_subject", mail(subject="Mail delivery failed: returning message to sender")),
    ("bounce_subject", mail(subject="Returned mail: see transcript for details")),
    ("bounce_subject", mail(subject="failure notice")),
    ("bounce_subject", mail(subject="配信不能: 協議会加入申込書の送付")),
    ("bounce_subject", mail(subject="【配送エラー】メールをお届けできませんでした")),
    ("bounce_subject", mail(subject="メッセージを配信できません。")),
    ("bounce_subject", mail(subject="エラーメール：宛先不明")),
    ("autoreply_subject", mail(subject="自動応答: 協議会加入申込書の送付")),
    ("autoreply_subject", mail(subject="[自動返信] 申込書の件")),
    ("autoreply_subject", mail(subject="Automatic reply: Re: 申込書の件")),
    ("autoreply_subject", mail(subject="Out of Office: 協議会加入申込書の送付")),
    ("autoreply_subject", mail(subject="AW: Auto-Reply: Ihre Nachricht")),
    ("autoreply_subject", mail(subject="Re: 申込書の件 (Automatic Response)")),
    ("autoreply_subject", mail(subject="不在のお知らせ（10月5日〜10月9日）")),
    ("autoreply_subject", mail(subject="休暇中：10月9日まで")),
    ("autoreply_subject", mail(subject="On vacation until Monday")),
]


@pytest.mark.parametrize(
    ("reason", "raw"), POSITIVE, ids=[f"{i:02d}-{r}" for i, (r, _) in enumerate(POSITIVE)]
)
def test_robots_get_no_reply(reason, raw):
    assert no_reply_reason(parse_message(raw), own_addresses=OURS) == reason


HUMAN = [
    ("application", mail()),
    ("reply about the form", mail(subject="Re: 申込書の件")),
    (
        "away in the body",
        mail(
            subject="Re: 申込書の件",
            body="来週は出張のため不在にしております。\r\n休暇明けに対応します。\r\n",
        ),
    ),
    ("reply about an away notice", mail(subject="Re: 不在のお知らせについて")),
    ("forward of an away notice", mail(subject="Fwd: 休暇のお知らせ")),
    ("subject about delivery", mail(subject="申込書が送信できない件について")),
    (
        "outlook headers",
        mail("X-Mailer: Microsoft Outlook 16.0", "Auto-Submitted: no", "X-Auto-Response-Suppress: None"),
    ),
    ("return path of the sender", mail("Return-Path: <yamada@example.co.jp>")),
    ("forwarded bounce", forwarded_bounce()),
    ("reply-to-list style name", mail(sender="listening-post@example.co.jp", subject="ご相談")),
    ("incident report", mail(subject="[CSC-2026-0007] Re: 不審メールの報告", sender="soc@example.co.jp")),
]


@pytest.mark.parametrize(("label", "raw"), HUMAN, ids=[label for label, _ in HUMAN])
def test_people_still_get_a_reply(label, raw):
    parsed = parse_message(raw)
    assert parsed.from_addr  # the message was really read
    assert no_reply_reason(parsed, own_addresses=OURS) is None


def test_checks_run_in_the_documented_order():
    raw = mail(
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "List-Id: <members.example.jp>",
        sender="kyogikai-shomu@example.jp",
        subject="自動応答: test",
    )
    parsed = parse_message(raw)
    assert no_reply_reason(parsed, own_addresses=OURS) == "own_address"
    assert no_reply_reason(parsed) == "auto_submitted"
