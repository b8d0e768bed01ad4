"""A reporter's own 回答書 (answer document), attached as Word or text, is read like the body's new
text: unit cases over parsed mail, and one conversation through Dovecot, ``intake poll`` and SMTP.

Not a 回答書: a file inside a forwarded message, a Council form (read as a form), an encrypted
file, a text whose numbered steps are someone else's (a phishing sample's 「①…③…」).
"""

from __future__ import annotations

import io
import tomllib
from email import message_from_bytes, policy
from email.message import EmailMessage

import docx

from intake.cases.answer_sheets import answer_sheets, text_for_answers
from intake.checks import read_confirmations
from intake.config import parse_config
from intake.mail import parse_message
from support.conversation import ACK, ASK, INCIDENT, case_tag, cli_json, delivered, reply_to, setup
from support.mailfactory import make_mail
from support.office_fixtures import encrypt_agile, make_docx
from support.smtp_server import smtp_server

CONFIG = parse_config(
    tomllib.loads(
        '[[mailbox]]\nname = "anken"\nprofile = "incident"\naddress = "csc-anken@example.jp"\n'
        'case_prefix = "CSC"\nsource = "imap"\nusername = "csc-anken@example.jp"\n'
    )
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REPORTER = "中村 さくら <sakura.nakamura@example.co.jp>"
ROWS = (
    ("確認①（秘密指定の有無）", "秘密指定は不要でございます"),
    ("確認②（情報の共有範囲）", "協議会の構成員全体で構いません"),
    ("確認③（協議会事務局外への対応調整の要否）", "特段の調整は必要ございません"),
)


def answer_docx(rows=ROWS, heading: str = "回答書") -> bytes:
    """A 回答書 as a reporter types it in Word: a heading, a two-column table, a closing line."""
    document = docx.Document()
    document.add_paragraph(heading)
    table = document.add_table(rows=len(rows), cols=2)
    for row, (item, text) in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = item, text
    document.add_paragraph("以上")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def parsed(*attachments: tuple[str, bytes, str], body: str = "回答書を添付いたします。\n"):
    return parse_message(make_mail(to=INCIDENT, body=body, attachments=list(attachments)))


def read(message) -> tuple[str | None, str | None, str | None]:
    got = read_confirmations([text_for_answers(message, CONFIG)], [""])
    return got.secret_designation, got.sharing_scope, got.external_coordination


def test_a_word_answer_sheet_is_read_like_the_body() -> None:
    assert read(parsed(("回答書.docx", answer_docx(), DOCX))) == (
        "not_requested",
        "協議会構成員限り",
        "not_requested",
    )


def test_a_text_answer_sheet_in_shift_jis_is_read() -> None:
    text = "確認①：公表は差し控えさせていただきたく存じます\n確認②：TLP:AMBER\n確認③：お任せします\n"
    message = parsed(("kaitou.txt", text.encode("cp932"), "text/plain"))
    assert read(message) == ("requested", "TLP:AMBER", "left_to_secretariat")


def test_what_is_not_an_answer_sheet_is_not_read() -> None:
    lure = (
        "①添付のファイルをダウンロードしてください\n②パスワードを入力してください\n③本日中にご連絡ください\n"
    )
    council_form = make_docx()  # 協議会加入申込書: a form, read as a form
    encrypted = encrypt_agile(answer_docx(), "Kaitou#2026")
    message = parsed(
        ("sample.txt", lure.encode(), "text/plain"),
        ("申込書.docx", council_form, DOCX),
        ("回答書.docx", encrypted, DOCX),
    )
    assert answer_sheets(message.attachments, config=CONFIG) == []
    assert read(message) == (None, None, None)


def test_an_answer_sheet_inside_a_forwarded_message_is_not_the_senders() -> None:
    inner = message_from_bytes(
        make_mail(to=INCIDENT, attachments=[("回答書.docx", answer_docx(), DOCX)]), policy=policy.default
    )
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = REPORTER, INCIDENT, "Fw: 回答"
    outer.set_content("転送します。")
    outer.add_attachment(inner)
    message = parse_message(outer.as_bytes())
    assert any(part.forwarded for part in message.attachments)
    assert answer_sheets(message.attachments, config=CONFIG) == []


def test_the_body_comes_after_the_sheet_and_both_are_read() -> None:
    rows = (("確認①（秘密指定の有無）", "不要"), ("確認②（情報の共有範囲）", "TLP:GREEN"))
    message = parsed(("回答書.docx", answer_docx(rows), DOCX), body="確認③：不要です\n")
    text = text_for_answers(message, CONFIG)
    assert text.index("TLP:GREEN") < text.index("確認③：不要です")
    assert read(message) == ("not_requested", "TLP:GREEN", "not_requested")


def test_an_attached_answer_sheet_answers_the_checklist_through_the_poll(workspace, dovecot) -> None:
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        report = make_mail(
            sender=REPORTER, to=INCIDENT, subject="不審メールの報告", body="不審メールを受信しました。\n"
        )
        incident.append([report])
        assert workspace.cli("poll").returncode == 0
        checklist = delivered(server)[-1]
        case_id = case_tag(checklist)
        assert all(ASK[n] in checklist.get_body(("plain",)).get_content() for n in (1, 2, 3))

        reply = message_from_bytes(
            reply_to(checklist, "ご確認事項について、回答書を添付いたします。", sender=REPORTER),
            policy=policy.default,
        )
        reply.add_attachment(
            answer_docx(), maintype="application", subtype=DOCX.split("/")[1], filename="回答書.docx"
        )
        incident.append([reply.as_bytes()])
        assert workspace.cli("poll").returncode == 0

        text = delivered(server)[-1].get_body(("plain",)).get_content()
        assert ACK in text and not any(ASK[n] in text for n in (1, 2, 3))
        shown = cli_json(workspace, "show", case_id)
        got = shown["fields"]["incident"]
        assert (got["secret_designation"], got["sharing_scope"], got["external_coordination"]) == (
            "not_requested",
            "協議会構成員限り",
            "not_requested",
        )
        assert "answer_unclear:secret_designation" not in shown["open_findings"]
