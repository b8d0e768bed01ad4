"""加入申込書 content: required items, choices, 法人番号, applicant, departments, secrets, task forces."""

from __future__ import annotations

import pytest

from intake.checks import corporate_number_valid
from intake.checks.corporate import check_digit
from support.checks_builders import (
    app_form,
    attachment,
    codes,
    good_case,
    on_file,
    only,
    register,
    run,
    run_check,
)

# ---- required_field ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,label",
    [
        ("application_kind", None),  # a choice: choice_required instead
        ("org_name", "２（１）組織・団体名"),
        ("org_name_kana", "２（２）組織・団体名（ふりがな）"),
        ("address", "２（５）所在地"),
        ("representative", "２（６）代表者の役職・氏名"),
        ("poc.name", "４（１）担当者代表（POC）の氏名"),
        ("poc.name_kana", "４（１）担当者代表（POC）のふりがな"),
        ("poc.title", "４（１）担当者代表（POC）の所属部署・役職"),
        ("poc.phone", "４（１）担当者代表（POC）の電話番号"),
        ("poc.email", "４（１）担当者代表（POC）の電子メール"),
    ],
)
def test_required_item_missing(key: str, label: str | None) -> None:
    found = run_check(
        "required_field", good_case(app=app_form(**{key.replace(".", "_"): None})), "application"
    )
    if label is None:
        assert found == []
        return
    finding = only(found, f"required_field:{key}")
    assert finding.message_ja == f"{label}をご記入ください。"
    assert finding.params == {"field": key, "label": label}


@pytest.mark.parametrize("value", ["", "   ", None])
def test_blank_counts_as_missing(value: str | None) -> None:
    found = run_check("required_field", good_case(app=app_form(address=value)), "application")
    assert codes(found) == ["required_field:address"]


@pytest.mark.parametrize("key", ["corporate_number", "department", "sector"])
def test_optional_items_may_stay_empty(key: str) -> None:
    assert run_check("required_field", good_case(app=app_form(**{key: None})), "application") == []


def test_sector_is_required_for_critical_infrastructure() -> None:
    """2(8) 分野 is required when 2(7) 区分 = 重要社会基盤事業者 (critical infrastructure operator)."""
    facts = good_case(app=app_form(category="重要社会基盤事業者", sector=None))
    assert codes(run_check("required_field", facts, "application")) == ["required_field:sector"]
    filled = good_case(app=app_form(category="重要社会基盤事業者", sector="電力"))
    assert run_check("required_field", filled, "application") == []


def test_unreadable_value_is_reported_as_required_field_variant() -> None:
    facts = good_case(
        app=app_form(
            poc_email="yamada at test-corp", problems={"poc.email": "value unreadable: not an e-mail address"}
        )
    )
    finding = only(run_check("required_field", facts, "application"), "required_field:poc.email")
    assert "確認できませんでした" in finding.message_ja


# ---- choice_required -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,ticked,expected",
    [
        ("receive_secrets", (), True),
        ("receive_secrets", ("希望する", "希望しない"), True),
        ("roster_publication", (), True),
        ("roster_publication", ("登載する", "登載しない"), True),
        ("application_kind", (), True),
        ("participation", ("一般の構成員", "タスクフォース第一類構成員"), True),
        ("early_warning_service", ("希望する", "登録済み"), True),
        ("category", (), True),
        ("sector", (), False),  # optional and nothing ticked: fine (required_field would say so if required)
        ("sector", ("電力", "ガス"), True),  # optional, but two ticked
    ],
)
def test_choice_needs_exactly_one_box(key: str, ticked: tuple[str, ...], expected: bool) -> None:
    facts = good_case(app=app_form(ticked={key: ticked}, **{key: None}))
    found = run_check("choice_required", facts, "application")
    assert codes(found) == ([f"choice_required:{key}"] if expected else [])


def test_choice_message_lists_the_options() -> None:
    facts = good_case(
        app=app_form(receive_secrets=None, ticked={"receive_secrets": ("希望する", "希望しない")})
    )
    finding = only(run_check("choice_required", facts, "application"), "choice_required:receive_secrets")
    assert (
        finding.message_ja
        == "３（２）秘密を含む情報の受信は「希望する／希望しない」のいずれか一つにチェックを入れてください。"
    )
    assert finding.params["ticked"] == "希望する、希望しない"


def test_one_box_ticked_is_fine() -> None:
    facts = good_case(app=app_form(ticked={"receive_secrets": ("希望する",)}))
    assert run_check("choice_required", facts, "application") == []


# ---- corporate_number_invalid --------------------------------------------------------------


@pytest.mark.parametrize(
    "number,valid",
    [
        ("7000012050002", True),  # 国税庁 (National Tax Agency)
        ("2021001052596", True),
        ("７０００－０１－２０５０００２", True),  # full-width digits, hyphens
        ("T7000012050002", True),  # invoice registration number = T + corporate number
        ("7000012050003", False),  # base digit changed
        ("8000012050002", False),  # check digit changed
        ("700001205000", False),  # 12 digits
        ("70000120500021", False),  # 14 digits
        ("abcdefghijklm", False),
        ("", False),
    ],
)
def test_corporate_number_check_digit(number: str, valid: bool) -> None:
    assert corporate_number_valid(number) is valid


def test_check_digit_algorithm() -> None:
    assert check_digit("000012050002") == 7
    assert check_digit("021001052596") == 2


@pytest.mark.parametrize("value,variant_word", [("7000012050003", "検査用数字"), ("12345", "13桁")])
def test_corporate_number_invalid_finding(value: str, variant_word: str) -> None:
    finding = only(
        run_check("corporate_number_invalid", good_case(app=app_form(corporate_number=value)), "application"),
        "corporate_number_invalid",
    )
    assert variant_word in finding.message_ja and finding.params["value"] == value


def test_no_corporate_number_is_fine() -> None:
    assert (
        run_check("corporate_number_invalid", good_case(app=app_form(corporate_number=None)), "application")
        == []
    )


# ---- individual_applicant ------------------------------------------------------------------


@pytest.mark.parametrize(
    "org,poc,sender,severity",
    [
        ("山田 太郎", "山田 太郎", "yamada@test-corp.co.jp", "info"),
        ("山田太郎", "山田\u3000太郎", "yamada@test-corp.co.jp", "info"),
        (None, "山田 太郎", "yamada@test-corp.co.jp", "info"),
        ("山田 太郎", "山田 太郎", "taro.yamada@gmail.com", "warning"),
        ("山田 太郎", "山田 太郎", "taro@i.softbank.jp", "warning"),
        ("山田 太郎", "山田 太郎", "Taro <taro@Yahoo.co.jp>", "warning"),
    ],
)
def test_individual_applicant(org: str | None, poc: str, sender: str, severity: str) -> None:
    facts = good_case(app=app_form(org_name=org, poc_name=poc), sender=sender)
    finding = only(run_check("individual_applicant", facts, "application"), "individual_applicant")
    assert finding.severity == severity
    assert "組織・団体として" in finding.message_ja


@pytest.mark.parametrize("sender", ["yamada@test-corp.co.jp", "taro@gmail.com"])
def test_an_organisation_is_no_individual_even_from_free_mail(sender: str) -> None:
    facts = good_case(app=app_form(org_name="テスト町内会防犯部"), sender=sender)
    assert run_check("individual_applicant", facts, "application") == []


def test_free_mail_variant_names_the_domain() -> None:
    facts = good_case(app=app_form(org_name="山田 太郎", poc_name="山田 太郎"), sender="taro@gmail.com")
    finding = run_check("individual_applicant", facts, "application")[0]
    assert finding.params["sender_domain"] == "gmail.com" and "gmail.com" in finding.message_en


# ---- duplicate_department / taskforce_contact ----------------------------------------------


def test_duplicate_department() -> None:
    facts = good_case(app=app_form(department="情報システム部"), other_departments=("営業部", "研究所"))
    finding = only(run_check("duplicate_department", facts, "application"), "duplicate_department")
    assert finding.params["departments"] == "営業部、研究所"
    assert finding.severity == "warning"
    assert run_check("duplicate_department", good_case(), "application") == []


@pytest.mark.parametrize(
    "participation,expected",
    [
        ("タスクフォース第一類構成員", True),
        ("タスクフォース第二類構成員", True),
        ("一般の構成員", False),
        (None, False),
    ],
)
def test_taskforce_contact(participation: str | None, expected: bool) -> None:
    found = run_check(
        "taskforce_contact", good_case(app=app_form(participation=participation)), "application"
    )
    assert bool(found) is expected
    if expected:
        assert found[0].severity == "info" and participation in found[0].message_ja


# ---- staff_registration_required / staff_registration_not_needed --------------------------


def test_secrets_wanted_without_staff_registration() -> None:
    facts = good_case(staff=None)
    finding = only(run(facts), "staff_registration_required")
    assert finding.severity == "missing" and "事務従事者登録届" in finding.message_ja


@pytest.mark.parametrize(
    "facts",
    [
        good_case(),  # sent together
        good_case(
            staff=None,
            attachments=(
                attachment(1, "x.docx", "application"),
                attachment(2, "y.docx", "staff_registration", state="password_pending"),
            ),
        ),
        good_case(staff=None, register=register(on_file("山田 太郎", "yamada@test-corp.co.jp", poc="する"))),
        good_case(staff=None, app=app_form(receive_secrets="希望しない")),
    ],
    ids=["sent", "pending", "on-file", "not-wanted"],
)
def test_no_staff_registration_required(facts) -> None:
    assert run_check("staff_registration_required", facts, "application") == []


def test_removed_people_on_file_do_not_count() -> None:
    facts = good_case(
        staff=None, register=register(on_file("山田 太郎", "yamada@test-corp.co.jp", status="removed"))
    )
    assert codes(run_check("staff_registration_required", facts, "application")) == [
        "staff_registration_required"
    ]


def test_staff_registration_not_needed() -> None:
    facts = good_case(app=app_form(receive_secrets="希望しない"))
    finding = only(run(facts), "staff_registration_not_needed")
    assert finding.severity == "info"
    assert run_check("staff_registration_not_needed", good_case(), "application") == []
    assert (
        run_check(
            "staff_registration_not_needed",
            good_case(staff=None, app=app_form(receive_secrets="希望しない")),
            "application",
        )
        == []
    )
