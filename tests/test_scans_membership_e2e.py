"""Photos and scans of a form on the membership mailbox, through a real Dovecot and aiosmtpd: each
gets the reply asking for the Word file, never the acknowledgement, never silence; a message with
no form and nothing to ask for is shown to staff (form_not_found), never a silent case."""

from __future__ import annotations

from support.conversation import ACK, body_of, case_tag, cli_json, delivered, poll, setup
from support.mailfactory import make_mail
from support.office_fixtures import make_pdf
from support.pictures import heic, jpeg, png
from support.smtp_server import smtp_server

WORD_NOTICE = "Word 形式（.docx）のままご提出ください"
# (file name, bytes, the type the mail program gave it): names as phones and scanners write them
PICTURES = [
    ("IMG_0001.JPG", jpeg(), "image/jpeg"),
    ("スクリーンショット 2026-04-01.png", png(), "image/png"),
    ("申込書.heic", heic(), "image/heic"),
    ("scan.pdf", make_pdf(), "application/pdf"),
    ("photo", jpeg(), "application/octet-stream"),  # no extension, no useful type
]


def _sender(n: int) -> str:
    return f"申込 担当{n} <applicant{n}@example.co.jp>"


def test_photos_and_scans_of_a_form_get_the_word_format_reply(workspace, dovecot):
    with smtp_server() as server:
        _, membership = setup(workspace, dovecot, smtp_port=server.port)
        mails = [
            make_mail(sender=_sender(n), subject="加入申込書", attachments=[picture])
            for n, picture in enumerate(PICTURES)
        ]
        membership.append(mails)
        poll(workspace)
        replies = {r["To"]: r for r in delivered(server)}
        assert len(replies) == len(PICTURES), "a photo or scan went unanswered"
        for n, (name, _data, _type) in enumerate(PICTURES):
            text = body_of(replies[f"applicant{n}@example.co.jp"])
            assert WORD_NOTICE in text and name in text, name
            assert ACK not in text, name
        queue = {item["id"]: item for item in cli_json(workspace, "queue")}
        for reply in replies.values():
            assert "word_format_required" in queue[case_tag(reply)]["open_findings"]


def test_a_membership_message_without_a_form_is_shown_to_staff_not_left_silent(workspace, dovecot):
    with smtp_server() as server:
        _, membership = setup(workspace, dovecot, smtp_port=server.port)
        question = make_mail(
            sender=_sender(1), subject="申込方法について", body="申込の締切を教えてください。\n"
        )
        notes = make_mail(sender=_sender(2), attachments=[("メモ.txt", "組織名のみ".encode(), "text/plain")])
        membership.append([question, notes])
        poll(workspace)
        assert delivered(server) == []  # nothing to ask by mail: staff answer these by hand
        queue = cli_json(workspace, "queue")
        assert len(queue) == 2
        for item in queue:
            assert item["kind"] == "other" and "form_not_found" in item["open_findings"]
            assert item["status"] != "complete"
