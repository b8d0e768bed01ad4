"""winmail.dat (TNEF), Outlook .msg and attached messages: the files inside are attachments of the
message (an encrypted form inside waits for its password and opens like any other); an attached
message is evidence shown as one, and its text is never the sender's own."""

from __future__ import annotations

import json
import mailbox
import os
from pathlib import Path

import pytest

from intake.mail import Limits, parse_message
from intake.mail.containers import inner_index
from support.mailfactory import make_mail
from support.office_fixtures import JAPANESE_NAME
from support.tnef import winmail
from support.unlocking import PASSWORD, attachment_rows, encrypted_application, new_mailbox, poll, unlock

CORPUS = (
    Path(os.environ.get("INTAKE_CORPUS", Path(__file__).parents[2] / "shared" / "corpus"))
    / "outlook_containers"
)
TNEF_TYPE = "application/ms-tnef"
LURE = "①添付ファイルをダウンロードしてください\n③本日中にご連絡ください\n"


def _with_winmail(files: list[tuple[str, bytes]]) -> bytes:
    return make_mail(attachments=[("winmail.dat", winmail(files), TNEF_TYPE)])


def test_files_inside_winmail_dat_are_attachments_with_stable_numbers():
    raw = _with_winmail([(JAPANESE_NAME, b"form bytes"), ("メモ.txt", b"memo")])
    first, again = parse_message(raw), parse_message(raw)
    (container, form, memo) = first.attachments
    assert container.filename == "winmail.dat" and container.problem is None
    assert (form.filename, form.payload, form.container) == (JAPANESE_NAME, b"form bytes", "winmail.dat")
    assert memo.filename == "メモ.txt"  # a Japanese Outlook's cp932 name
    assert [a.index for a in first.attachments] == [a.index for a in again.attachments]
    assert form.index == inner_index(container.index, 1) and memo.index == inner_index(container.index, 2)


def test_a_forged_tnef_count_is_refused_with_a_reason_not_a_crash():
    good = winmail([("a.txt", b"x")])
    forged = good[:6] + bytes([1]) + (0x00069003).to_bytes(4, "little") + (8).to_bytes(4, "little")
    forged += (0xFFFFFFF0).to_bytes(4, "little") + b"\x1e\x00\x01\x00" + b"\x00\x00"
    parsed = parse_message(make_mail(attachments=[("winmail.dat", forged, TNEF_TYPE)]))
    (container,) = parsed.attachments
    assert container.problem == "the TNEF file (winmail.dat) is damaged: a count is larger than its data"
    assert any("a count is larger than its data" in d for d in parsed.defects)


def test_a_container_with_more_files_than_max_parts_is_refused_naming_the_key():
    raw = _with_winmail([(f"f{i}.txt", b"x") for i in range(6)])
    (container, *inner) = parse_message(raw, limits=Limits(max_parts=5)).attachments
    assert "limits.max_parts" in (container.problem or "") and len(inner) == 5


def test_an_attached_message_is_shown_as_one_and_its_text_is_not_the_senders():
    inner = make_mail(
        subject="【重要】アカウント確認",
        sender="Support <support@example.com>",
        body=LURE,
        attachments=[("invoice.pdf", b"%PDF-1.4 lure", "application/pdf")],
    )
    raw = make_mail(body="不審なメールを転送します。\n", attachments=[("lure.eml", inner, "message/rfc822")])
    parsed = parse_message(raw)
    assert parsed.body_text == "不審なメールを転送します。"
    (attached,) = parsed.attached_messages
    assert attached.from_text == "Support <support@example.com>"
    assert attached.subject == "【重要】アカウント確認" and attached.body.startswith("①添付ファイル")
    assert attached.attachments == ("invoice.pdf",) and attached.date is not None
    assert "invoice.pdf" in [a.filename for a in parsed.attachments]


def test_an_eml_sent_as_a_plain_file_is_an_attached_message_too():
    inner = make_mail(subject="元のメール", sender="a@example.com", body=LURE)
    raw = make_mail(
        body="ご確認ください。\n", attachments=[("original.eml", inner, "application/octet-stream")]
    )
    parsed = parse_message(raw)
    assert "ダウンロード" not in parsed.body_text
    (attached,) = parsed.attached_messages
    assert (attached.subject, attached.filename) == ("元のメール", "original.eml")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the outlook_containers corpus is not beside the project")
def test_an_outlook_msg_in_a_msg_is_two_attached_messages_with_their_files():
    raw = make_mail(
        attachments=[
            ("msgInMsg.msg", (CORPUS / "msgreader__msgInMsg.msg").read_bytes(), "application/vnd.ms-outlook")
        ]
    )
    parsed = parse_message(raw)
    outer, inner = parsed.attached_messages
    assert outer.subject == "I have attachments!"
    assert outer.attachments == ("Microsoft Outlook テスト メッセージ", "green.png")
    assert inner.index == inner_index(outer.index, 2) and inner.from_text.startswith("Microsoft Outlook <")
    assert [a.filename for a in parsed.attachments if a.container] == ["green.png"]


def test_an_encrypted_form_in_winmail_dat_waits_for_its_password_and_opens(workspace):
    path = new_mailbox(workspace)
    mailbox.Maildir(path, create=False).add(_with_winmail([(JAPANESE_NAME, encrypted_application())]))
    poll(workspace)
    rows = {row.filename: row for row in attachment_rows(workspace)}
    form = rows[JAPANESE_NAME]
    assert form.state == "password_pending" and form.part_index > 10_000
    assert form.detail.endswith("(inside winmail.dat)")
    result = unlock(workspace, form.id, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "加入申込書:" in result.stdout and "fields read" in result.stdout
    opened = {row.filename: row for row in attachment_rows(workspace)}[JAPANESE_NAME]
    assert (opened.state, opened.document) == ("decrypted", "application")


def test_show_lists_attached_messages_in_json_and_in_japanese(workspace):
    path = new_mailbox(workspace)
    lure = make_mail(
        subject="【重要】アカウント確認", sender="Support <support@example.com>", body=LURE * 2000
    )
    mailbox.Maildir(path, create=False).add(
        make_mail(body="転送します。\n", attachments=[("lure.eml", lure, "message/rfc822")])
    )
    poll(workspace)
    (row,) = [r for r in attachment_rows(workspace) if r.filename == "lure.eml"]
    shown = json.loads(workspace.cli("show", row.case_id, "--json").stdout)
    (attached,) = shown["attached_messages"]
    assert (
        attached["from"] == "Support <support@example.com>"
        and attached["subject"] == "【重要】アカウント確認"
    )
    assert attached["filename"] == "lure.eml" and attached["attachments"] == []
    assert attached["body"].startswith("①添付ファイル") and attached["body_truncated"] is True
    assert len(attached["body"]) == 5_000 and attached["date"].endswith("+09:00")
    text = workspace.cli("show", row.case_id).stdout
    assert "添付されたメール (lure.eml)" in text and "件名: 【重要】アカウント確認" in text
    assert "本文は送信者の回答としては読み取りません" in text


def test_a_broken_winmail_dat_is_kept_and_says_why_it_was_not_opened(workspace):
    path = new_mailbox(workspace)
    broken = b"\x78\x9f\x3e\x32" + winmail([("a.docx", b"x")])[4:]  # a wrong signature
    mailbox.Maildir(path, create=False).add(make_mail(attachments=[("winmail.dat", broken, TNEF_TYPE)]))
    poll(workspace)
    (row,) = attachment_rows(workspace)
    assert (row.filename, row.state) == ("winmail.dat", "failed")
    assert row.detail == "the TNEF file (winmail.dat) is damaged: its signature is wrong"
    shown = json.loads(workspace.cli("show", row.case_id, "--json").stdout)
    assert "attachment_unreadable" in [f["code"] for f in shown["findings"]]  # the sender is asked again
