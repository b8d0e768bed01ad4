"""End to end: encrypted forms arrive over a real Dovecot, staff type the phoned-in password with
``intake unlock ID --password-stdin``, and ``intake show CASE --json`` gives back every field
exactly as the applicant wrote it (interface.md: ``fields.application`` with a nested ``poc``,
``fields.staff`` a list of person blocks).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from intake.cases.formrows import nested
from intake.forms import load_form_specs, write_application, write_staff_registration
from intake.resources import default_rules_dir
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import encrypt_agile, make_aes_zip
from support.samples import APPLICANT, APPLICATION, PEOPLE, STAFF_KEYS, filled, person

JST = timezone(timedelta(hours=9))
ORG = APPLICATION["org_name"]  # テスト株式会社
SENDER = "協議会 花子 <hanako@example.co.jp>"
APP_PASSWORD = "Shinbashi#2026-0417"
STAFF_PASSWORD = "Akasaka#2026-0923"


def yymmdd() -> str:
    return datetime.now(JST).strftime("%y%m%d")


def app_name() -> str:
    return f"{yymmdd()}_協議会加入申込書（{ORG}）.docx"


def staff_name() -> str:
    return f"{yymmdd()}_事務従事者登録届（{ORG}）.docx"


def staff_json(people) -> list[dict]:
    """The ``fields.staff`` entries for written person blocks: every key, an empty cell as null."""
    return [{key: person.get(key) for key in STAFF_KEYS} for person in people]


@pytest.fixture
def mailbox(workspace, imap_account):
    """A membership mailbox on Dovecot; replies held (this file is about reading, not replying);
    decrypted documents kept, so the names inside a zip can be seen."""
    workspace.extra = 'keep_decrypted = true\n\n[replies]\nmode = "hold"\n'
    workspace.add_imap(imap_account)
    assert workspace.cli("init").returncode == 0
    return imap_account


def poll_one_case(workspace) -> str:
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    [counts] = json.loads(result.stdout)["mailboxes"]
    assert (counts["created"], counts["quarantined"]) == (1, 0)
    [case] = json.loads(workspace.cli("queue", "--json").stdout)
    return case["id"]


def show(workspace, case_id: str) -> dict:
    result = workspace.cli("show", case_id, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def unlock(workspace, attachment_id: int, password: str):
    return workspace.cli(
        "--by", "staff-ito", "unlock", str(attachment_id), "--password-stdin", input=f"{password}\n"
    )


def test_encrypted_application_and_staff_registration_read_exactly(workspace, mailbox):
    application = write_application(
        APPLICATION, checkbox_style="content_control", layout="number_label_value"
    )
    registration = write_staff_registration(ORG, PEOPLE, checkbox_style="legacy_field")
    mailbox.append(
        [
            make_mail(
                sender=SENDER,
                subject="協議会加入申込書の送付",
                attachments=[
                    (app_name(), encrypt_agile(application, APP_PASSWORD), DOCX_TYPE),
                    (staff_name(), encrypt_agile(registration, STAFF_PASSWORD), DOCX_TYPE),
                ],
            )
        ]
    )
    case_id = poll_one_case(workspace)
    before = show(workspace, case_id)
    assert before["status"] == "waiting_for_password"
    assert before["fields"] == {}  # nothing can be read before the password
    app_att, staff_att = before["attachments"]
    for att, name in ((app_att, app_name()), (staff_att, staff_name())):
        assert (att["filename"], att["format"], att["encrypted"], att["state"]) == (
            name,
            "docx",
            True,
            "password_pending",
        )

    # a wrong password: exit 3, said plainly, the file stays pending, nothing read
    wrong = unlock(workspace, app_att["id"], STAFF_PASSWORD)
    assert wrong.returncode == 3
    assert "wrong password" in wrong.stderr and "Traceback" not in wrong.stderr
    assert STAFF_PASSWORD not in wrong.stdout + wrong.stderr
    after_wrong = show(workspace, case_id)
    assert after_wrong["attachments"][0]["state"] == "password_pending"
    assert after_wrong["attachments"][0]["attempts"] == 1
    assert after_wrong["fields"] == {}

    opened = unlock(workspace, app_att["id"], APP_PASSWORD)
    assert opened.returncode == 0, opened.stderr
    assert APP_PASSWORD not in opened.stdout + opened.stderr
    middle = show(workspace, case_id)
    assert middle["fields"] == {"application": APPLICATION}
    assert middle["status"] == "waiting_for_password"  # the staff registration is still locked

    opened = unlock(workspace, staff_att["id"], STAFF_PASSWORD)
    assert opened.returncode == 0, opened.stderr
    shown = show(workspace, case_id)
    assert shown["kind"] == "membership_application"
    assert shown["fields"] == {"application": APPLICATION, "staff": staff_json(PEOPLE)}
    assert shown["fields"]["application"]["poc"] == APPLICATION["poc"]
    assert shown["fields"]["staff"][1]["mobile"] is None  # the empty cell, not the template's hint
    states = [(a["state"], a["document"]) for a in shown["attachments"]]
    assert states == [("decrypted", "application"), ("decrypted", "staff_registration")]
    assert "password_pending" not in shown["open_findings"]
    assert shown["org_name"] == ORG

    # staff read the items named as the form names them, each person a block of their own
    text = workspace.cli("show", case_id).stdout
    for label in (
        "１申込区分",
        "２（１）組織・団体名",
        "２（３）法人番号",
        "４（１）担当者代表（POC）の電子メール",
    ):
        assert label in text, label
    for label in (
        "（１）氏名",
        "（７）電子メール",
        "（８）申請区分",
        "（１０）POCとしての登録",
        "事務従事者2",
    ):
        assert label in text, label
    assert "poc.email" not in text and "application_kind" not in text


def test_encrypted_staff_registration_alone_wide_layout(workspace, mailbox):
    people = [
        dict(PEOPLE[0], application_type="継続"),
        person(
            "中村　陽子",
            kana="なかむら　ようこ",
            department="経営企画部",
            title="係長",
            phone="03-1234-2222",
            mobile="070-1234-3333",
            email="yoko.nakamura@example.co.jp",
            system="不要",
        ),
    ]
    registration = write_staff_registration(ORG, people, layout="wide", checkbox_style="glyph")
    mailbox.append(
        [
            make_mail(
                sender=SENDER,
                subject="事務従事者登録届の送付",
                attachments=[(staff_name(), encrypt_agile(registration, STAFF_PASSWORD), DOCX_TYPE)],
            )
        ]
    )
    case_id = poll_one_case(workspace)
    [att] = show(workspace, case_id)["attachments"]
    assert unlock(workspace, att["id"], STAFF_PASSWORD).returncode == 0
    shown = show(workspace, case_id)
    assert shown["kind"] == "staff_registration"
    assert shown["fields"] == {"staff": staff_json(people)}  # no application key: only what applies


def test_password_zip_with_a_cp932_member_name(workspace, mailbox):
    member = f"201201_協議会加入申込書（{ORG}）.docx"
    values = dict(APPLICATION, roster_publication="登載する", receive_secrets="希望しない")
    archive = make_aes_zip({member: write_application(values)}, APP_PASSWORD)
    mailbox.append(
        [
            make_mail(
                sender=SENDER,
                subject="加入申込書（パスワード付きzip）",
                attachments=[(f"{yymmdd()}_協議会加入申込書（{ORG}）.zip", archive, "application/zip")],
            )
        ]
    )
    case_id = poll_one_case(workspace)
    [att] = show(workspace, case_id)["attachments"]
    assert (att["format"], att["encrypted"], att["state"]) == ("zip", True, "password_pending")

    assert unlock(workspace, att["id"], "not-the-password").returncode == 3
    opened = unlock(workspace, att["id"], APP_PASSWORD)
    assert opened.returncode == 0, opened.stderr
    shown = show(workspace, case_id)
    assert shown["fields"] == {"application": values}
    [att] = shown["attachments"]
    assert (att["state"], att["document"]) == ("decrypted", "application")
    # the member's cp932 name came out as the same Unicode name (kept decrypted under that name)
    kept = sorted(p.name for p in (workspace.root / "messages" / "decrypted").iterdir())
    assert kept == [f"{att['id']}_{member}"]


def test_a_new_edition_of_the_forms_is_an_edit_of_the_rules(workspace, mailbox, tmp_path):
    """A new edition rewords 所在地 and adds ２（９）従業員数 and a person's （１１）内線番号: the
    configuration's rules folder is edited, nothing else — no program change, no migration — and
    the new items are read, stored and shown like the others."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    edit(rules / "forms" / "application.toml", 'labels = ["所在地", "住所"]', 'labels = ["本店所在地"]')
    edit(
        rules / "forms" / "application.toml", "# 3 participation", NEW_APPLICATION_ITEM + "# 3 participation"
    )
    edit(rules / "forms" / "staff_registration.toml", "", NEW_PERSON_ITEM, at_end=True)
    workspace.rules_dir = rules
    edition = load_form_specs(rules)
    values = nested(filled(edition["application"], APPLICANT))  # 従業員数 made from its kind
    people = [filled(edition["staff_registration"], p) for p in PEOPLE[:2]]
    assert values["employees"] == "テスト従業員数" and people[0]["extension"] == "テスト内線番号"
    application = write_application(values, specs=edition, checkbox_style="content_control")
    registration = write_staff_registration(ORG, people, specs=edition, layout="wide")
    assert "本店所在地" in read_docx_text(application)  # the new wording is what the file says
    mailbox.append(
        [
            make_mail(
                sender=SENDER,
                subject="協議会加入申込書の送付（新様式）",
                attachments=[
                    (app_name(), encrypt_agile(application, APP_PASSWORD), DOCX_TYPE),
                    (staff_name(), registration, DOCX_TYPE),
                ],
            )
        ]
    )
    case_id = poll_one_case(workspace)
    app_att = show(workspace, case_id)["attachments"][0]
    assert unlock(workspace, app_att["id"], APP_PASSWORD).returncode == 0
    shown = show(workspace, case_id)
    assert shown["fields"] == {"application": values, "staff": people}
    assert "required_field:employees" not in shown["open_findings"]
    text = workspace.cli("show", case_id).stdout
    for label in (
        "２（５）本店所在地",
        "２（９）従業員数",
        "テスト従業員数",
        "（１１）内線番号",
        "テスト内線番号",
    ):
        assert label in text, label


NEW_APPLICATION_ITEM = """[[field]]
key = "employees"
item = "2(9)"
labels = ["従業員数"]
required = true

"""
NEW_PERSON_ITEM = """
[[field]]
key = "extension"
item = "(11)"
labels = ["内線番号"]
"""


def edit(path, old: str, new: str, *, at_end: bool = False) -> None:
    text = path.read_text(encoding="utf-8")
    assert at_end or old in text, old
    path.write_text(text + new if at_end else text.replace(old, new, 1), encoding="utf-8")


def read_docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        return docx.read("word/document.xml").decode("utf-8")
