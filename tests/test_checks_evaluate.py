"""evaluate(): composition from the table, newest form per document, order, one finding per code."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from intake.checks import RuleFinding, evaluate
from support.checks_builders import (
    APP_NAME,
    RULES,
    app_form,
    attachment,
    codes,
    good_case,
    incident_case,
    person,
    run,
    staff_form,
)


def test_a_complete_correct_case_has_no_finding() -> None:
    assert run(good_case()) == []


def test_findings_are_rendered_once_with_both_languages() -> None:
    finding = run(good_case(app=app_form(poc_email=None)))[0]
    assert isinstance(finding, RuleFinding)
    assert finding == RuleFinding(
        code="required_field:poc.email",
        severity="missing",
        message_ja="４（１）担当者代表（POC）の電子メールをご記入ください。",
        message_en="Required item poc.email (４（１）担当者代表（POC）の電子メール) is empty or was not found.",
        params={"field": "poc.email", "label": "４（１）担当者代表（POC）の電子メール"},
    )


def test_no_placeholder_is_left_unfilled_in_a_busy_case() -> None:
    bad_staff = staff_form(
        person(1, poc="しない", email="ml-sec@test-corp.co.jp"), person(2, application_type="継続")
    )
    facts = good_case(
        app=app_form(
            org_name="山田 太郎",
            corporate_number="1234567890123",
            participation="タスクフォース第一類構成員",
            application_kind="新規加入",
            receive_secrets="希望しない",
        ),
        staff=bad_staff,
        sender="taro@gmail.com",
        recruitment_periods=(),
        other_departments=("テスト株式会社 営業部",),
    )
    found = run(facts)
    assert len(found) >= 8
    for f in found:
        assert "{" not in f.message_ja and "{" not in f.message_en, f.code


def test_order_follows_the_table_case_rows_first() -> None:
    facts = good_case(
        app=app_form(address=None),
        attachments=(
            attachment(1, "申込書.docx", "application", encrypted=False),
            attachment(2, "261005_事務従事者登録届（テスト株式会社）.docx", "staff_registration"),
        ),
    )
    assert codes(run(facts)) == ["filename_format", "encryption_required", "required_field:address"]


def test_same_code_twice_is_kept_once_in_first_position(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "checks.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('checks = ["secret_designation",', 'checks = ["non_member", "secret_designation",'),
        encoding="utf-8",
    )
    found = evaluate(incident_case("相談です。", member=False), rules_dir=rules)
    assert codes(found) == ["non_member", "secret_designation", "sharing_scope", "external_coordination"]


def test_different_fields_give_different_codes() -> None:
    facts = good_case(app=app_form(address=None), staff=staff_form(person(1), person(2, phone=None)))
    assert codes(run(facts)) == ["required_field:address", "required_field:staff[2].phone"]


def test_document_rows_do_not_run_without_that_form() -> None:
    facts = good_case(staff=None)
    assert "required_field:staff[1].name" not in codes(run(facts))
    only_staff = good_case(app=None)
    assert run(only_staff) == []


def test_the_newest_form_of_a_document_supersedes_the_older_one() -> None:
    old = app_form(attachment_id=1, address=None)
    new = app_form(attachment_id=5, filename=APP_NAME)
    facts = good_case(
        app=None,
        forms=(old, new, staff_form()),
        attachments=(
            attachment(1, APP_NAME, "application"),
            attachment(5, APP_NAME, "application"),
            attachment(2, staff_form().filename, "staff_registration"),
        ),
    )
    assert run(facts) == []
    reversed_ids = replace(
        facts, forms=(replace(new, attachment_id=1), replace(old, attachment_id=5), staff_form())
    )
    assert codes(run(reversed_ids)) == ["required_field:address"]


def test_incident_profile_runs_only_incident_checks() -> None:
    facts = incident_case(
        "不審なメールを受信しました。",
        member=False,
        forms=(app_form(address=None),),
        attachments=(attachment(1, "x.pdf", None, format="pdf"),),
    )
    assert codes(run(facts)) == ["secret_designation", "sharing_scope", "external_coordination", "non_member"]


def test_unknown_profile_runs_nothing() -> None:
    assert run(good_case(profile="other", app=app_form(address=None))) == []
