"""End to end: mail in over a real Dovecot, replies out to a real aiosmtpd, driven by the CLI.

Every test runs ``intake poll`` (fetch every mailbox, then send what is due) as staff would, and
judges the product by what the SMTP server actually received: the incident conversation over
three messages (Q24 確認①②③), the membership notices around an encrypted submission, the loop
guards (bounces, auto-replies, lists, the per-sender cap, an old backlog), an SMTP outage, and the
headers every reply carries.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from intake import clock
from intake.forms import write_application, write_staff_registration
from intake.replies.calendar import add_business_days, format_jdate
from support import conversation
from support.conversation import (
    ACK,
    ASK,
    BLOCK_LINE,
    INCIDENT,
    JST,
    MEMBERSHIP,
    body_of,
    case_tag,
    cli_json,
    delivered,
    poll,
    setup,
)
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import encrypt_agile, make_pdf
from support.samples import application, person
from support.smtp_server import Recorder, free_port, smtp_server

OUR_DOMAIN = "example.jp"
REPORTER = "鈴木 一郎 <ichiro.suzuki@example.co.jp>"
REPORTER_ADDR = "ichiro.suzuki@example.co.jp"
PASSWORD = "Toranomon#2026-Tel"


# -- set-up -------------------------------------------------------------------------------------


def reply_to(parent: EmailMessage, text: str, *, sender: str = REPORTER) -> bytes:
    return conversation.reply_to(parent, text, sender=sender)


def assert_reply_headers(reply: EmailMessage, original: bytes | EmailMessage, case_id: str) -> None:
    """RFC 3834 marks, threading to the sender's message, our own Message-ID, the case tag."""
    if isinstance(original, bytes):
        original = message_from_bytes(original, policy=policy.default)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["X-Auto-Response-Suppress"] == "All"
    assert reply["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in reply["References"].split()
    message_id = reply["Message-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@" + re.escape(OUR_DOMAIN) + ">", message_id), message_id
    assert f"[{case_id}]" in reply["Subject"]
    assert parseaddr(reply["To"])[1] == parseaddr(str(original["From"]))[1]


# -- the incident conversation (Q24) ------------------------------------------------------------

REPORT_BODY = """お世話になっております。株式会社サンプル情報システム部の鈴木です。

本日、弊社宛てに取引先を装った不審なメールが複数届きました。
添付ファイルを開いた端末が1台あり、現在調査中です。
取り急ぎご報告いたします。
"""


def test_incident_conversation_asks_what_is_missing_until_one_acknowledgement(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        first = make_mail(sender=REPORTER, to=INCIDENT, subject="不審メールの受信について", body=REPORT_BODY)
        incident.append([first])
        report = poll(workspace)
        assert len(report["replies"]["sent"]) == 1

        # 1. the bare report: a checklist asking for all three confirmations, with the fill-in block
        [checklist] = delivered(server)
        case_id = case_tag(checklist)
        assert case_id.startswith("CSC-")
        assert_reply_headers(checklist, first, case_id)
        text = body_of(checklist)
        for n in (1, 2, 3):
            assert ASK[n] in text
            assert BLOCK_LINE[n] in text
        assert "ご回答欄" in text and case_id in text
        assert server.handler.received[0].rcpt_tos == [REPORTER_ADDR]

        # 2. two answered by replying on the block, the checklist quoted below: only ③ is asked again
        answer_two = reply_to(
            checklist,
            "ご連絡ありがとうございます。以下のとおり回答いたします。\n\n"
            "確認①（秘密指定の有無）：被害組織名又は被害内容は秘密に指定してほしい\n"
            "確認②（情報の共有範囲）：協議会構成員限り\n"
            "確認③（協議会事務局外への対応調整の要否）：",
        )
        incident.append([answer_two])
        report = poll(workspace)
        assert report["mailboxes"][0]["joined"] == 1 and report["mailboxes"][0]["created"] == 0
        assert len(delivered(server)) == 2
        second = delivered(server)[1]
        assert case_tag(second) == case_id
        assert_reply_headers(second, answer_two, case_id)
        text = body_of(second)
        assert ASK[3] in text and BLOCK_LINE[3] in text
        for n in (1, 2):
            assert ASK[n] not in text, f"確認{n} was answered but is asked again"
            assert BLOCK_LINE[n] not in text, f"確認{n} was answered but its fill-in line is shown again"
        assert ACK not in text

        shown = cli_json(workspace, "show", case_id)
        assert shown["fields"]["incident"]["secret_designation"] == "requested"
        assert shown["fields"]["incident"]["sharing_scope"] == "協議会構成員限り"
        assert shown["fields"]["incident"]["external_coordination"] is None
        assert shown["open_findings"] == ["external_coordination", "non_member"]
        assert shown["status"] == "waiting_for_sender"

        # 3. the last answer: exactly one acknowledgement
        answer_three = reply_to(second, "確認③（協議会事務局外への対応調整の要否）：不要")
        incident.append([answer_three])
        poll(workspace)
        assert len(delivered(server)) == 3
        ack = delivered(server)[2]
        assert_reply_headers(ack, answer_three, case_id)
        text = body_of(ack)
        assert ACK in text and f"受付番号：{case_id}" in text
        assert "ご回答欄" not in text and "確認③" not in text

        shown = cli_json(workspace, "show", case_id)
        assert shown["fields"]["incident"]["external_coordination"] == "not_requested"
        assert shown["open_findings"] == ["non_member"]
        assert shown["status"] == "ready_for_review"

        # 4. a thank-you to the acknowledgement joins the case and gets nothing
        thanks = reply_to(ack, "ご対応いただきありがとうございます。引き続きよろしくお願いいたします。")
        incident.append([thanks])
        report = poll(workspace)
        assert report["mailboxes"][0]["joined"] == 1
        assert report["replies"] == {"sent": [], "retrying": [], "failed": [], "stopped": None}
        poll(workspace)  # and a later cycle sends nothing either
        assert len(delivered(server)) == 3
        assert sum(ACK in body_of(m) for m in delivered(server)) == 1

    outbox = cli_json(workspace, "outbox")
    assert sorted(r["template"] for r in outbox) == ["acknowledgement", "checklist", "checklist"]
    assert {r["state"] for r in outbox} == {"sent"}
    shown = cli_json(workspace, "show", case_id)
    directions = [m["direction"] for m in shown["messages"]]
    assert directions.count("in") == 4 and directions.count("out") == 3


# -- the membership mailbox --------------------------------------------------------------------

ORG = "株式会社サンプル電力"
POC = {
    "name": "佐藤　美咲",
    "name_kana": "さとう　みさき",
    "title": "情報セキュリティ室 室長",
    "phone": "03-5555-0101",
    "email": "misaki.sato@example.co.jp",
}
APPLICATION = application(
    org_name=ORG,
    org_name_kana="かぶしきがいしゃさんぷるでんりょく",
    department="情報セキュリティ室",
    address="東京都港区虎ノ門1-2-3",
    representative="代表取締役社長　高橋　健一",
    early_warning_service="希望する",
    roster_publication="登載する",
    poc=POC,
)
PEOPLE = [
    person("佐藤　美咲", kana="さとう　みさき", department="情報セキュリティ室", title="室長", phone="03-5555-0101",
           mobile="090-5555-0101", email="misaki.sato@example.co.jp", poc="する"),
    person("田中　誠", kana="たなか　まこと", department="情報セキュリティ室", phone="03-5555-0102",
           email="makoto.tanaka@example.co.jp", system="不要"),
]  # fmt: skip
MEMBER_SENDER = "佐藤 美咲 <misaki.sato@example.co.jp>"


def add_attachments(raw: bytes, files: list[tuple[str, bytes]]) -> bytes:
    msg = message_from_bytes(raw, policy=policy.default)
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype=DOCX_TYPE.split("/")[1], filename=name)
    return msg.as_bytes()


def yymmdd() -> str:
    return datetime.now(JST).strftime("%y%m%d")


def pending_ids(workspace, case_id: str) -> list[int]:
    shown = cli_json(workspace, "show", case_id)
    return [a["id"] for a in shown["attachments"] if a["state"] == "password_pending"]


def unlock(workspace, attachment_id: int, password: str = PASSWORD) -> None:
    result = workspace.cli(
        "--by", "staff-tanaka", "unlock", str(attachment_id), "--password-stdin", input=password + "\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_membership_notices_pdf_then_encrypted_submission_acknowledged_after_unlock(workspace, dovecot):
    app_name = f"{yymmdd()}_協議会加入申込書（{ORG}）.docx"
    staff_name = f"{yymmdd()}_事務従事者登録届（{ORG}）.docx"
    with smtp_server() as server:
        _, membership = setup(workspace, dovecot, smtp_port=server.port)

        # a PDF instead of the Word file: the "Word, not PDF" notice
        pdf_mail = make_mail(
            sender=MEMBER_SENDER,
            attachments=[(app_name.replace(".docx", ".pdf"), make_pdf(), "application/pdf")],
        )
        membership.append([pdf_mail])
        poll(workspace)
        [notice] = delivered(server)
        pdf_case = case_tag(notice)
        assert pdf_case.startswith("KYOGIKAI-")
        assert_reply_headers(notice, pdf_mail, pdf_case)
        text = body_of(notice)
        assert "Word 形式（.docx）のままご提出ください" in text
        assert ACK not in text

        # the sender answers the notice with the Word files, both encrypted (Q3 ③): the answer joins
        # the case, and nothing goes while a password is pending
        complete = reply_to(
            notice, "Word形式のファイルを暗号化して再送いたします。パスワードは別途お電話いたします。"
        )
        complete = add_attachments(
            complete,
            [
                (app_name, encrypt_agile(write_application(APPLICATION), PASSWORD)),
                (staff_name, encrypt_agile(write_staff_registration(ORG, PEOPLE), PASSWORD)),
            ],
        )
        membership.append([complete])
        poll(workspace)
        assert len(delivered(server)) == 1
        [item] = cli_json(workspace, "queue")
        case_id = item["id"]
        assert case_id == pdf_case
        assert item["status"] == "waiting_for_password"
        assert item["open_findings"] == ["password_pending"]
        first, second = pending_ids(workspace, case_id)

        unlock(workspace, first)
        poll(workspace)
        assert len(delivered(server)) == 1, "a reply went while a file still waited for its password"

        unlock(workspace, second)
        poll(workspace)
        assert len(delivered(server)) == 2
        ack = delivered(server)[1]
        assert_reply_headers(ack, complete, case_id)
        text = body_of(ack)
        assert ACK in text and f"受付番号：{case_id}" in text
        assert "運営委員会での審議" in text  # a new membership waits for the steering committee
        assert PASSWORD not in text and PASSWORD not in ack.as_string()
        assert not any(part.get_filename() for part in ack.walk())  # never the decrypted form
        assert cli_json(workspace, "show", case_id)["status"] == "ready_for_review"

        # staff accept it; later a staff registration alone (Q14: any time) keeps the POC and adds
        # one person: acknowledged with the expected registration date (Q14: about 5 business days)
        accepted = workspace.cli("--by", "staff-tanaka", "set-status", case_id, "accepted")
        assert accepted.returncode == 0, accepted.stderr
        later = [
            dict(PEOPLE[0], application_type="継続"),
            dict(
                PEOPLE[1],
                name="小林　直樹",
                name_kana="こばやし　なおき",
                email="naoki.kobayashi@example.co.jp",
            ),
        ]
        registration = make_mail(
            sender=MEMBER_SENDER,
            subject="事務従事者登録届の送付",
            attachments=[
                (staff_name, encrypt_agile(write_staff_registration(ORG, later), PASSWORD), DOCX_TYPE)
            ],
        )
        membership.append([registration])
        poll(workspace)
        assert len(delivered(server)) == 2
        [item] = [c for c in cli_json(workspace, "queue") if c["id"] != case_id]
        assert item["kind"] == "staff_registration" and item["status"] == "waiting_for_password"
        [attachment] = pending_ids(workspace, item["id"])
        unlock(workspace, attachment)
        before = datetime.now(JST).date()
        poll(workspace)
        assert len(delivered(server)) == 3
        ack = delivered(server)[2]
        assert_reply_headers(ack, registration, item["id"])
        text = body_of(ack)
        assert ACK in text
        # computed on the day the reply was written (the poll may straddle midnight JST)
        days = {before, datetime.now(JST).date()}
        expected = {format_jdate(add_business_days(day, 5)) for day in days}
        assert any(f"協議会システムへの登録は、{e}頃に完了する予定です" in text for e in expected), text


# -- loop guards ---------------------------------------------------------------------------------


def dsn(original_to: str) -> bytes:
    """A delivery status notification (RFC 3464) as a mail server writes it, and no other robot mark."""
    when = format_datetime(datetime.now(JST))
    text = f"""From: Mail Delivery Service <mds@mail.example.com>
To: {INCIDENT}
Subject: =?utf-8?b?6YWN6YCB54q25rOB44Gu44GK55+l44KJ44Gb?=
Date: {when}
Message-ID: {make_msgid(domain="mail.example.com")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"

--dsn-boundary
Content-Type: text/plain; charset=us-ascii

Your message to {original_to} could not be delivered.

--dsn-boundary
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.com

Final-Recipient: rfc822; {original_to}
Action: failed
Status: 5.1.1

--dsn-boundary
Content-Type: text/rfc822-headers

From: {INCIDENT}
To: {original_to}
Subject: Re: [CSC-2026-0001]

--dsn-boundary--
"""
    return text.replace("\n", "\r\n").encode("ascii")


def test_bounces_auto_replies_lists_and_own_mail_get_nothing(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        robots = {
            "delivery_report": dsn("nobody@example.co.jp"),
            "auto_submitted": make_mail(
                sender="高橋 花子 <hanako.takahashi@example.co.jp>",
                to=INCIDENT,
                subject="Re: ご相談の件",
                body="ただいま出張中のため、メールを確認できません。\n",
                headers={"Auto-Submitted": "auto-replied"},
            ),
            "mailing_list": make_mail(
                sender="伊藤 健 <ken.ito@example.com>",
                to=INCIDENT,
                subject="[sec-info:01234] 不審メールに関する注意喚起",
                body="メーリングリストの皆様\n不審メールが出回っています。\n",
                headers={
                    "List-Id": "sec-info <sec-info.example.com>",
                    "List-Unsubscribe": "<mailto:sec-info-off@example.com>",
                },
            ),
            "robot_sender": make_mail(
                sender="お知らせ <no-reply@example.com>",
                to=INCIDENT,
                subject="セキュリティ情報の配信",
                body="本メールは送信専用です。\n",
            ),
            "own_address": make_mail(  # the other mailbox we serve: a loop between our own mailboxes
                sender=f"協議会事務局 <{MEMBERSHIP}>", to=INCIDENT, subject="転送", body=REPORT_BODY
            ),
        }
        incident.append(list(robots.values()))
        report = poll(workspace)
        assert report["mailboxes"][0]["created"] == len(robots)
        assert report["replies"]["sent"] == []
        assert server.handler.received == []
        assert cli_json(workspace, "outbox") == []
        reasons = {}
        for item in cli_json(workspace, "queue", "--all"):
            [message] = cli_json(workspace, "show", item["id"])["messages"]
            reasons[message["no_reply_reason"]] = item["robot"]
        assert set(reasons) == set(robots)
        # robots that answer nothing of ours stay out of the review queue; a person writing
        # through a list is still someone to read
        assert {reason for reason, robot in reasons.items() if not robot} == {"mailing_list"}
        assert [c["id"] for c in cli_json(workspace, "queue")] == [
            c["id"] for c in cli_json(workspace, "queue", "--all") if not c["robot"]
        ]
        assert len(cli_json(workspace, "queue", "--robots")) == len(robots) - 1


def test_per_sender_cap_holds(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port, cap=2)
        mails = [
            make_mail(sender=REPORTER, to=INCIDENT, subject=f"不審メールの件（{n}件目）", body=REPORT_BODY)
            for n in range(1, 5)
        ]
        incident.append(mails)
        report = poll(workspace)
        assert report["mailboxes"][0]["created"] == 4
        assert len(delivered(server)) == 2
        assert {d.rcpt_tos[0] for d in server.handler.received} == {REPORTER_ADDR}
        poll(workspace)  # the cap is not a delay: the two refused replies never go
        assert len(delivered(server)) == 2
        # another sender is not affected
        incident.append(
            [make_mail(sender="Jiro <jiro@example.com>", to=INCIDENT, subject="ご相談", body=REPORT_BODY)]
        )
        poll(workspace)
        assert len(delivered(server)) == 3
        assert parseaddr(delivered(server)[2]["To"])[1] == "jiro@example.com"


def test_backlog_on_first_sync_gets_nothing(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port, backlog=24)
        old = datetime.now(JST) - timedelta(days=3)
        with incident.client(None) as client:
            client.append(
                "INBOX", make_mail(sender=REPORTER, to=INCIDENT, when=old, body=REPORT_BODY), msg_time=old
            )
            client.append(
                "INBOX",
                make_mail(
                    sender="Jiro <jiro@example.com>", to=INCIDENT, subject="本日のご相談", body=REPORT_BODY
                ),
                msg_time=datetime.now(JST) - timedelta(minutes=5),
            )
        report = poll(workspace)
        assert report["mailboxes"][0]["created"] == 2
        [reply] = delivered(server)
        assert parseaddr(reply["To"])[1] == "jiro@example.com"
        queued = cli_json(workspace, "queue")
        assert len(queued) == 2  # the old report is a case all the same
        assert {c["sender"] for c in queued} == {REPORTER_ADDR, "jiro@example.com"}


# -- SMTP outage ---------------------------------------------------------------------------------


class RefusingRecorder(Recorder):
    """Accepts everything except one recipient, refused permanently."""

    refused: str = "nobody.here@example.com"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 <nobody.here@example.com>: Recipient address rejected: User unknown"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_smtp_down_replies_wait_then_go_exactly_once_and_a_550_fails(workspace, dovecot, monkeypatch):
    shift = timedelta()
    real = clock.utcnow

    def later(seconds: float) -> None:
        """Move intake's clock on instead of waiting for the retry time."""
        nonlocal shift
        shift += timedelta(seconds=seconds)
        monkeypatch.setattr(clock, "utcnow", lambda: real() + shift)

    port = free_port()
    incident, _ = setup(workspace, dovecot, smtp_port=port, replies_extra="retry_base_seconds = 1")
    senders = ["Ichiro <ichiro@example.co.jp>", "Jiro <jiro@example.com>", "Saburo <saburo@example.net>"]
    originals = {
        parseaddr(s)[1]: make_mail(sender=s, to=INCIDENT, subject="ご相談", body=REPORT_BODY) for s in senders
    }
    incident.append(list(originals.values()))

    report = poll(workspace)  # nobody listens on the SMTP port
    assert report["replies"]["sent"] == [] and report["replies"]["stopped"]
    outbox = cli_json(workspace, "outbox")
    assert len(outbox) == 3
    assert {r["state"] for r in outbox} == {"queued"}
    tried = [r for r in outbox if r["attempts"]]
    assert tried and all(r["last_error"] for r in tried)
    assert all("Connect" in r["last_error"] or "refused" in r["last_error"].lower() for r in tried)

    with smtp_server(RefusingRecorder(), port=port) as server:
        later(seconds=2)  # past the retry delay of the one that was tried
        report = poll(workspace)
        assert len(report["replies"]["sent"]) == 3
        again = poll(workspace)
        assert again["replies"]["sent"] == []
        got = sorted(parseaddr(m["To"])[1] for m in delivered(server))
        assert got == ["ichiro@example.co.jp", "jiro@example.com", "saburo@example.net"]
        ids = [m["Message-ID"] for m in delivered(server)]
        assert len(set(ids)) == 3
        for message in delivered(server):
            assert_reply_headers(message, originals[parseaddr(message["To"])[1]], case_tag(message))

        # a permanent refusal ends "failed", is not retried, and nothing else is disturbed
        incident.append(
            [
                make_mail(
                    sender="Nobody <nobody.here@example.com>", to=INCIDENT, subject="ご相談", body=REPORT_BODY
                )
            ]
        )
        report = poll(workspace)
        assert report["replies"]["sent"] == [] and len(report["replies"]["failed"]) == 1
        later(seconds=2)
        poll(workspace)
        assert len(delivered(server)) == 3
    outbox = cli_json(workspace, "outbox")
    [failed] = [r for r in outbox if r["to"] == "nobody.here@example.com"]
    assert failed["state"] == "failed" and failed["attempts"] == 1 and "550" in failed["last_error"]
    assert sorted(r["state"] for r in outbox) == ["failed", "sent", "sent", "sent"]
    tried_ids = {r["id"] for r in tried}
    for r in outbox:  # one try per reply, plus the one that met the closed port
        assert r["attempts"] == (2 if r["id"] in tried_ids else 1), r
        assert r["state"] == "failed" or r["last_error"] is None


def test_reply_references_keep_the_senders_chain(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        parent_id = make_msgid(domain="example.co.jp")
        original = make_mail(
            sender=REPORTER,
            to=INCIDENT,
            subject="Re: Fwd: ご相談",
            body=REPORT_BODY,
            headers={"In-Reply-To": parent_id, "References": parent_id},
        )
        incident.append([original])
        poll(workspace)
        [reply] = delivered(server)
        case_id = case_tag(reply)
        assert_reply_headers(reply, original, case_id)
        assert reply["References"].split() == [parent_id, reply["In-Reply-To"]]
        assert parseaddr(reply["From"])[1] == INCIDENT
        assert reply["Subject"] == f"Re: Fwd: ご相談 [{case_id}]"
        assert server.handler.received[0].mail_from == INCIDENT


def test_a_reply_still_waiting_for_smtp_is_replaced_by_the_newer_one(workspace, dovecot):
    """The reporter answers everything while the SMTP server is down: the old checklist, which
    would ask again for what they have since sent, is cancelled; only the acknowledgement goes."""
    port = free_port()
    incident, _ = setup(workspace, dovecot, smtp_port=port)
    incident.append([make_mail(sender=REPORTER, to=INCIDENT, subject="ご相談", body=REPORT_BODY)])
    poll(workspace)  # nobody listens: the checklist waits
    (checklist,) = cli_json(workspace, "outbox")
    assert (checklist["template"], checklist["state"]) == ("checklist", "queued")

    answers = "\n".join(
        [
            "確認①（秘密指定の有無）：被害組織名は秘密に指定してください",
            "確認②（情報の共有範囲）：協議会構成員限り",
            "確認③（協議会事務局外への対応調整の要否）：不要です",
        ]
    )
    case_id = checklist["case_id"]
    incident.append(
        [make_mail(sender=REPORTER, to=INCIDENT, subject=f"Re: ご相談 [{case_id}]", body=answers)]
    )
    with smtp_server(Recorder(), port=port) as server:
        poll(workspace)
        (delivered_one,) = delivered(server)
    assert ACK in body_of(delivered_one)
    states = {r["template"]: r["state"] for r in cli_json(workspace, "outbox")}
    assert states == {"checklist": "cancelled", "acknowledgement": "sent"}
    audit = cli_json(workspace, "audit", case_id)
    assert any(e["action"] == "reply_cancelled" for e in audit)
