"""Composing replies: subject and case tag, threading ids, the staff-editable templates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from intake.db.tables import OutboxReply
from intake.replies.compose import (
    ReplyTemplateError,
    compose_reply,
    render_template,
    reply_subject,
    to_email_message,
)
from intake.resources import default_rules_dir

RULES = default_rules_dir()
TEMPLATES = ("checklist", "acknowledgement", "out_of_period", "word_required", "encryption_required")
BASE = {"case_id": "KYOGIKAI-2026-0042", "mailbox_address": "kyogikai-shomu@example.jp", "sender_name": ""}


def compose(**overrides):
    args = {
        "case_id": "CSC-2026-0007",
        "mailbox_address": "csc-anken@example.jp",
        "to_addr": "taro@example.co.jp",
        "original_subject": "不審メールの受信について",
        "in_reply_to": "<orig-2@mail.example.co.jp>",
        "references": "<orig-1@mail.example.co.jp>",
        "template": "checklist",
        "context": {"missing": ["確認①にご回答ください。"]},
        "rules_dir": RULES,
        "domain": None,
    }
    return compose_reply(**{**args, **overrides})


@pytest.mark.parametrize(
    "original, expected",
    [
        ("不審メールの受信について", "Re: 不審メールの受信について [CSC-2026-0007]"),
        ("Re: RE: 不審メール", "Re: 不審メール [CSC-2026-0007]"),
        ("Ｒｅ：Re[2]: 不審メール", "Re: 不審メール [CSC-2026-0007]"),
        ("Re: 不審メール [CSC-2026-0007]", "Re: 不審メール [CSC-2026-0007]"),
        ("Re: [csc-2026-0007] Re: 不審メール", "Re: 不審メール [CSC-2026-0007]"),
        ("Report: 月次\r\n報告", "Re: Report: 月次 報告 [CSC-2026-0007]"),
        ("", "Re: [CSC-2026-0007]"),
    ],
)
def test_subject_has_one_re_and_one_case_tag(original, expected):
    assert reply_subject(original, "CSC-2026-0007") == expected


def test_threading_ids_are_bare_and_the_message_id_is_on_our_domain():
    first, second = compose(), compose()
    assert first.in_reply_to == "orig-2@mail.example.co.jp"
    assert first.references == ("orig-1@mail.example.co.jp", "orig-2@mail.example.co.jp")
    assert first.message_id.endswith("@example.jp") and "<" not in first.message_id
    assert first.message_id.startswith("csc-2026-0007.")
    assert first.message_id != second.message_id
    assert compose(domain="mail.example.jp").message_id.endswith("@mail.example.jp")


def test_references_are_deduplicated_and_trimmed():
    many = " ".join(f"<r{i}@example.org>" for i in range(40))
    reply = compose(references=many + " <r3@example.org>", in_reply_to="r39@example.org")
    assert reply.references[0] == "r0@example.org"
    assert reply.references[-1] == "r39@example.org"
    assert len(reply.references) == 20 and len(set(reply.references)) == 20


def test_a_message_without_id_gives_an_unthreaded_reply():
    reply = compose(in_reply_to=None, references=None)
    assert reply.in_reply_to == "" and reply.references == ()


def test_recipient_must_be_one_address():
    with pytest.raises(ValueError):
        compose(to_addr="a@example.jp\r\nBcc: b@example.jp")
    with pytest.raises(ValueError):
        compose(to_addr="a@example.jp, b@example.jp")


def test_checklist_lists_each_missing_item_and_the_fill_in_block_only_for_incidents():
    block = "【確認①】秘密指定の有無：\n【確認②】情報の共有範囲：\n【確認③】事務局外への対応調整の要否："
    lines = ["確認①（秘密指定の有無）にご回答ください。", "確認③（対応調整の要否）にご回答ください。"]
    context = {"missing": lines, "confirmation_block": block, "sender_name": "山田 太郎"}
    incident = render_template(RULES, "checklist", {**BASE, **context, "kind": "incident_report"})
    for line in lines:
        assert f"・{line}\n" in incident
    assert block in incident
    assert incident.startswith("山田 太郎 様\n")
    membership = render_template(RULES, "checklist", {**BASE, **context, "kind": "membership_application"})
    assert "【確認①】" not in membership and f"・{lines[0]}" in membership


def test_acknowledgement_states_the_expected_registration_date():
    text = render_template(
        RULES, "acknowledgement", {**BASE, "kind": "staff_registration", "expected_date": date(2026, 12, 3)}
    )
    assert "受付を完了しました" in text
    assert "2026年12月3日（木）" in text
    incident = render_template(RULES, "acknowledgement", {**BASE, "kind": "incident_report"})
    assert "ご相談・情報提供" in incident
    assert "営業日" not in incident


def test_out_of_period_names_the_next_period_when_known():
    period = {"start": date(2027, 4, 1), "end": date(2027, 4, 30)}
    known = render_template(RULES, "out_of_period", {**BASE, "next_period": period})
    assert "2027年4月1日（木）から2027年4月30日（金）まで" in known
    unknown = render_template(RULES, "out_of_period", {**BASE, "next_period": None})
    assert "次回の募集時期は" in unknown and "2027年" not in unknown


def test_word_and_encryption_notices():
    word = render_template(RULES, "word_required", {**BASE, "filenames": ["201201_申込書.pdf"]})
    assert "Word 形式" in word and "PDF" in word and "・201201_申込書.pdf" in word
    enc = render_template(RULES, "encryption_required", BASE)
    assert "暗号化されていませんでした" in enc and "お電話" in enc


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_has_a_header_comment_and_the_shared_footer(name):
    source = (RULES / "templates" / f"{name}.j2").read_text(encoding="utf-8")
    assert source.startswith("{#")
    text = render_template(
        RULES, name, {**BASE, "missing": [], "next_period": None, "kind": "staff_registration"}
    )
    assert "[KYOGIKAI-2026-0042]" in text and "kyogikai-shomu@example.jp" in text  # footer
    assert "{{" not in text and "{%" not in text and "\n\n\n" not in text


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(ReplyTemplateError, match="missing"):
        render_template(RULES, "checklist", BASE)


def test_a_password_can_never_reach_a_template():
    with pytest.raises(ValueError, match="password"):
        compose(context={"missing": [], "password": "Secret-123"})


def test_template_names_are_checked_and_a_missing_file_is_reported(tmp_path: Path):
    with pytest.raises(ReplyTemplateError):
        render_template(RULES, "../../etc/passwd", BASE)
    (tmp_path / "templates").mkdir()
    with pytest.raises(ReplyTemplateError, match="not found"):
        render_template(tmp_path, "checklist", BASE)


def test_staff_edits_to_a_template_are_used(tmp_path: Path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "custom.j2").write_text("{# staff copy #}\nご担当者様 {{ case_id }}\n", encoding="utf-8")
    assert render_template(tmp_path, "custom", BASE) == "ご担当者様 KYOGIKAI-2026-0042\n"


def test_email_message_headers_and_body():
    reply = OutboxReply(
        case_id="CSC-2026-0007",
        mailbox="anken",
        template="checklist",
        to_addr="taro@example.co.jp",
        subject="Re: 不審メール [CSC-2026-0007]",
        message_id="csc-2026-0007.abc@example.jp",
        in_reply_to="orig-2@mail.example.co.jp",
        references="orig-1@mail.example.co.jp orig-2@mail.example.co.jp",
        body="ご担当者様\n確認①にご回答ください。\n",
    )
    msg = to_email_message(reply, "csc-anken@example.jp")
    assert msg["From"] == "csc-anken@example.jp" and msg["To"] == "taro@example.co.jp"
    assert msg["Message-ID"] == "<csc-2026-0007.abc@example.jp>"
    assert msg["In-Reply-To"] == "<orig-2@mail.example.co.jp>"
    assert msg["References"] == "<orig-1@mail.example.co.jp> <orig-2@mail.example.co.jp>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Date"]
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg.get_content() == reply.body
    assert msg.as_bytes().isascii()  # base64 body, encoded-word subject: survives any relay
