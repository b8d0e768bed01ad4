"""事務従事者登録届 content: person blocks, mailing lists, the POC, the register, the sender."""

from __future__ import annotations

from dataclasses import replace

import pytest

from support.checks_builders import (
    POC_EMAIL,
    app_form,
    codes,
    good_case,
    on_file,
    only,
    person,
    register,
    run,
    run_check,
    staff_form,
)

STAFF = "staff_registration"

# ---- required_field:staff[n].<key> / choice_required:staff[n].<key> ------------------------


@pytest.mark.parametrize(
    "key,label",
    [
        ("name", "（１）氏名（事務従事者２）"),
        ("name_kana", "（２）ふりがな（事務従事者２）"),
        ("department", "（３）所属部署（事務従事者２）"),
        ("title", "（４）役職（事務従事者２）"),
        ("phone", "（５）電話番号（事務従事者２）"),
        ("email", "（７）電子メール（事務従事者２）"),
    ],
)
def test_person_block_required_item(key: str, label: str) -> None:
    facts = good_case(staff=staff_form(person(1), person(2, **{key: None})))
    finding = only(run_check("required_field", facts, STAFF), f"required_field:staff[2].{key}")
    assert finding.message_ja == f"{label}をご記入ください。"


def test_mobile_phone_is_optional() -> None:
    facts = good_case(staff=staff_form(person(1, mobile=None)))
    assert run_check("required_field", facts, STAFF) == []


def test_a_staff_registration_without_any_block() -> None:
    empty = replace(staff_form(), staff=())
    found = codes(run_check("required_field", good_case(staff=empty), STAFF))
    assert "required_field:staff[1].name" in found and "required_field:staff[1].email" in found
    assert run_check("required_field", good_case(staff=staff_form()), STAFF) == []


@pytest.mark.parametrize(
    "key,ticked,options",
    [
        ("application_type", (), "新規／継続／廃止"),
        ("application_type", ("新規", "継続"), "新規／継続／廃止"),
        ("system_registration", (), "要／不要"),
        ("poc", ("する", "しない"), "する／しない"),
    ],
)
def test_person_block_choice(key: str, ticked: tuple[str, ...], options: str) -> None:
    facts = good_case(staff=staff_form(person(1), person(2, ticked={key: ticked}, **{key: None})))
    finding = only(run_check("choice_required", facts, STAFF), f"choice_required:staff[2].{key}")
    assert f"「{options}」のいずれか一つ" in finding.message_ja


def test_person_block_unreadable_email() -> None:
    facts = good_case(
        staff=staff_form(
            person(1),
            person(2, email="sato＠"),
            problems={"staff[2].email": "value unreadable: not an e-mail address"},
        )
    )
    finding = only(run_check("required_field", facts, STAFF), "required_field:staff[2].email")
    assert finding.message_ja.startswith("（７）電子メール（事務従事者２）の記載内容を")


# ---- mailing_list_address ------------------------------------------------------------------


@pytest.mark.parametrize(
    "address,suspect",
    [
        ("ml-security@test-corp.co.jp", True),
        ("security-ml@test-corp.co.jp", True),
        ("sec_ml@test-corp.co.jp", True),
        ("list@test-corp.co.jp", True),
        ("csirt-list@test-corp.co.jp", True),
        ("all@test-corp.co.jp", True),
        ("info@test-corp.co.jp", True),
        ("soc@test-corp.co.jp", True),
        ("CSIRT@Test-Corp.co.jp", True),
        ("admin@test-corp.co.jp", True),
        ("group@test-corp.co.jp", True),
        ("security-all@test-corp.co.jp", True),
        ("ｉｎｆｏ＠test-corp.co.jp", True),  # full-width
        ("sato.hanako@test-corp.co.jp", False),
        ("h-sato@test-corp.co.jp", False),
        ("kristen.listman@test-corp.co.jp", False),
        ("allen@test-corp.co.jp", False),
        ("html-dev.taro@test-corp.co.jp", False),
        ("information.taro@test-corp.co.jp", False),
    ],
)
def test_mailing_list_patterns(address: str, suspect: bool) -> None:
    facts = good_case(staff=staff_form(person(1), person(2, email=address)))
    found = run_check("mailing_list_address", facts, STAFF)
    assert bool(found) is suspect
    if suspect:
        assert found[0].params["people"] == "事務従事者２（佐藤 花子2）"
        assert "ご本人のメールアドレス" in found[0].message_ja


def test_same_address_for_two_people() -> None:
    facts = good_case(
        staff=staff_form(
            person(1),
            person(2, email="kanri.taro@test-corp.co.jp"),
            person(3, email="Kanri.Taro@test-corp.co.jp"),
        )
    )
    finding = only(run_check("mailing_list_address", facts, STAFF), "mailing_list_address")
    assert finding.params["positions"] == "2, 3"
    assert "more than one person" in finding.params["reasons_en"]


def test_a_removed_mailing_list_is_not_reported() -> None:
    facts = good_case(
        staff=staff_form(person(1), person(2, email="ml-sec@test-corp.co.jp", application_type="廃止"))
    )
    assert run_check("mailing_list_address", facts, STAFF) == []


# ---- poc_not_registered / multiple_poc -----------------------------------------------------


def test_poc_registered_by_email_or_by_name() -> None:
    assert run_check("poc_not_registered", good_case()) == []
    other_mail = good_case(staff=staff_form(person(1, email="t-yamada@test-corp.co.jp"), person(2)))
    assert run_check("poc_not_registered", other_mail) == []  # same name 山田 太郎


@pytest.mark.parametrize(
    "staff",
    [
        staff_form(person(1, poc="しない"), person(2)),  # the POC's block says しない
        staff_form(person(2, poc="する"), person(3)),  # someone else is POC, the POC has no block
        staff_form(person(1, poc="する", application_type="廃止"), person(2)),  # the POC is being removed
    ],
    ids=["not-ticked", "no-block", "removed"],
)
def test_poc_not_registered(staff) -> None:
    finding = only(run(good_case(staff=staff)), "poc_not_registered")
    assert finding.params["poc_name"] == "山田 太郎" and finding.params["poc_email"] == POC_EMAIL
    assert "（１０）POCとしての登録" in finding.message_ja


def test_poc_unknown_gets_a_message_without_an_empty_name() -> None:
    facts = good_case(app=None, staff=staff_form(person(1, poc="しない"), person(2)))
    finding = only(run(facts), "poc_not_registered")
    assert "（）" not in finding.message_ja
    assert finding.message_ja.startswith("秘密を含む情報の受信を希望される場合は、担当者代表（POC）の方を")


def test_poc_not_checked_when_secrets_not_wanted() -> None:
    facts = good_case(app=app_form(receive_secrets="希望しない"), staff=staff_form(person(1, poc="しない")))
    assert run_check("poc_not_registered", facts) == []


def test_poc_on_the_register_counts_when_no_staff_form_came() -> None:
    on_register = register(on_file("山田 太郎", POC_EMAIL, poc="する"))
    assert run_check("poc_not_registered", good_case(staff=None, register=on_register)) == []
    not_poc = register(on_file("山田 太郎", POC_EMAIL, poc="しない"))
    assert codes(run_check("poc_not_registered", good_case(staff=None, register=not_poc))) == [
        "poc_not_registered"
    ]


def test_staff_registration_alone_uses_the_registers_poc() -> None:
    reg = register(
        on_file("山田 太郎", POC_EMAIL, poc="する"), on_file("佐藤 花子2", "sato2@test-corp.co.jp")
    )
    ok = good_case(
        app=None,
        register=reg,
        staff=staff_form(person(1, application_type="継続"), person(2, application_type="継続")),
    )
    assert run_check("poc_not_registered", ok) == []
    moved = good_case(
        app=None, register=reg, staff=staff_form(person(1, poc="しない"), person(2, poc="する"))
    )
    assert only(run_check("poc_not_registered", moved), "poc_not_registered").params["poc_email"] == POC_EMAIL


def test_staff_registration_alone_without_known_poc_needs_some_poc() -> None:
    none_poc = good_case(app=None, staff=staff_form(person(1, poc="しない"), person(2)))
    assert codes(run_check("poc_not_registered", none_poc)) == ["poc_not_registered"]
    assert run_check("poc_not_registered", good_case(app=None)) == []


def test_multiple_poc() -> None:
    facts = good_case(
        staff=staff_form(person(1), person(2, poc="する"), person(3, poc="する", application_type="廃止"))
    )
    finding = only(run_check("multiple_poc", facts, STAFF), "multiple_poc")
    assert finding.params["positions"] == "1, 2" and finding.params["count"] == "2"
    assert "事務従事者１（山田 太郎）、事務従事者２（佐藤 花子2）" in finding.message_ja
    assert run_check("multiple_poc", good_case(), STAFF) == []


# ---- the register: continuing_unknown, new_already_registered, abolished_* -------------------

REG = register(
    on_file("山田 太郎", POC_EMAIL, poc="する"),
    on_file("佐藤 花子2", "sato2@test-corp.co.jp"),
    on_file("鈴木 次郎", "suzuki@test-corp.co.jp", status="removed"),
    removed=(on_file("高橋 三郎", "takahashi@test-corp.co.jp", status="removed"),),
)


@pytest.mark.parametrize(
    "block,expected",
    [
        (person(2, application_type="継続"), []),
        (person(2, application_type="継続", email="hanako.sato@test-corp.co.jp"), []),  # matched by name
        (person(2, application_type="継続", name="佐藤\u3000花子2", email=None), []),
        (
            person(3, application_type="継続", name="田中 一", email="tanaka@test-corp.co.jp"),
            ["continuing_unknown"],
        ),
        (
            person(3, application_type="継続", name="鈴木 次郎", email="suzuki@test-corp.co.jp"),
            ["continuing_unknown"],
        ),  # removed
        (person(3, application_type="新規", name="田中 一", email="tanaka@test-corp.co.jp"), []),
        (person(2, application_type="新規"), ["new_already_registered"]),
        (
            person(3, application_type="新規", name="佐藤 花子（旧姓）", email="SATO2@test-corp.co.jp"),
            ["new_already_registered"],
        ),
        (person(2, application_type="廃止"), []),
        (
            person(3, application_type="廃止", name="田中 一", email="tanaka@test-corp.co.jp"),
            ["abolished_unknown"],
        ),
    ],
)
def test_register_comparison(block, expected: list[str]) -> None:
    facts = good_case(app=None, register=REG, staff=staff_form(person(1, application_type="継続"), block))
    names = ("continuing_unknown", "new_already_registered", "abolished_unknown")
    found = [f for name in names for f in run_check(name, facts, STAFF)]
    assert codes(found) == expected
    for finding in found:
        assert finding.severity == "warning"
        assert f"事務従事者{chr(0xFF10 + block.position)}" in finding.message_ja


def test_new_organisation_has_nobody_on_file() -> None:
    facts = good_case(staff=staff_form(person(1), person(2, application_type="継続")))
    assert codes(run_check("continuing_unknown", facts, STAFF)) == ["continuing_unknown"]


@pytest.mark.parametrize(
    "block,expected",
    [
        (person(3, application_type="廃止", name="高橋 三郎", email="takahashi@test-corp.co.jp"), True),
        (person(3, application_type="継続", name="高橋 三郎", email="takahashi@test-corp.co.jp"), True),
        (person(3, application_type="廃止", name="高橋\u3000三郎", email=None), True),
        (
            person(3, application_type="新規", name="高橋 三郎", email="takahashi@test-corp.co.jp"),
            False,
        ),  # registered again
        (person(3, application_type="新規", name="田中 一", email="tanaka@test-corp.co.jp"), False),
    ],
)
def test_abolished_not_removed(block, expected: bool) -> None:
    facts = good_case(app=None, register=REG, staff=staff_form(person(1, application_type="継続"), block))
    found = run_check("abolished_not_removed", facts, STAFF)
    assert bool(found) is expected
    if expected:
        assert "削除" in found[0].message_ja


# ---- sender_not_on_file --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender,case_kind,expected",
    [
        ("attacker@evil.example", "staff", True),
        ("Attacker <attacker@evil.example>", "staff", True),
        (POC_EMAIL, "staff", False),
        ("YAMADA@test-corp.co.jp", "staff", False),
        ("sato2@test-corp.co.jp", "staff", False),  # a registered person
        ("suzuki@test-corp.co.jp", "staff", True),  # removed: no longer registered
        ("attacker@evil.example", "change", True),
        ("attacker@evil.example", "new", False),  # not a change (a new application)
    ],
)
def test_sender_not_on_file(sender: str, case_kind: str, expected: bool) -> None:
    if case_kind == "staff":
        facts = good_case(app=None, register=REG, sender=sender)
    else:
        kind = "申込み事項の変更" if case_kind == "change" else "新規加入"
        facts = good_case(app=app_form(application_kind=kind), staff=None, register=REG, sender=sender)
    found = run_check("sender_not_on_file", facts)
    assert bool(found) is expected
    if expected:
        assert found[0].severity == "warning" and found[0].params["org_name"] == "テスト株式会社"


def test_no_register_no_sender_check() -> None:
    assert run_check("sender_not_on_file", good_case(app=None, sender="someone@else.example")) == []
