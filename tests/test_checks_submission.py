"""Submission-level checks: file names, Word format, encryption, macros, pending passwords, periods."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.checks.facts import AttachmentFacts
from intake.clock import JST
from support.checks_builders import (
    APP_NAME,
    ORG,
    STAFF_NAME,
    app_form,
    attachment,
    good_case,
    only,
    run_check,
    staff_form,
)

# ---- filename_format -----------------------------------------------------------------------

GOOD_NAMES = [
    (APP_NAME, "application"),
    (STAFF_NAME, "staff_registration"),
    ("201201_協議会加入申込書（〇〇大学）.docx".replace("〇〇", "東京"), "application"),
    ("２６１００５＿協議会加入申込書（テスト株式会社）．ｄｏｃｘ", "application"),  # full-width everywhere
    ("261005_協議会加入申込書（テスト（株））.docx", "application"),  # brackets inside the name
    ("261005_協議会加入申込書（テスト株式会社）.DOCX", "application"),
]
BAD_NAMES = [
    ("申込書.docx", "application", "not of the form"),
    ("20261005_協議会加入申込書（テスト株式会社）.docx", "application", "not of the form"),  # yyyymmdd
    ("261305_協議会加入申込書（テスト株式会社）.docx", "application", "not a real date"),  # month 13
    ("260230_協議会加入申込書（テスト株式会社）.docx", "application", "not a real date"),  # 30 February
    ("261005-協議会加入申込書（テスト株式会社）.docx", "application", "not of the form"),  # hyphen
    ("261005_加入申込書（テスト株式会社）.docx", "application", "form name"),
    ("261005_サイバーセキュリティ協議会加入申込書（テスト株式会社）.docx", "application", "form name"),
    (
        "261005_協議会加入申込書（テスト株式会社）.docx",
        "staff_registration",
        "form name",
    ),  # wrong form's name
    ("261005_協議会加入申込書（組織・団体名）.docx", "application", "template"),
    ("261005_協議会加入申込書（〇〇株式会社）.docx", "application", "template"),
    ("261005_協議会加入申込書（テスト株式会社）.pdf.docx", "application", "not of the form"),
    ("261005_協議会加入申込書（テスト株式会社）.doc", "application", ".doc"),  # a .docx named .doc
    ("261005_協議会加入申込書テスト株式会社.docx", "application", "not of the form"),  # no brackets
    ("261005_協議会加入申込書（テスト株式会社）", "application", "not of the form"),  # no extension
]


def _one_file(name: str, document: str | None, **changes) -> object:
    return good_case(attachments=(attachment(1, name, document, **changes),))


@pytest.mark.parametrize("name,document", GOOD_NAMES)
def test_filename_format_accepts(name: str, document: str) -> None:
    assert run_check("filename_format", _one_file(name, document)) == []


@pytest.mark.parametrize("name,document,problem", BAD_NAMES)
def test_filename_format_rejects(name: str, document: str, problem: str) -> None:
    finding = only(run_check("filename_format", _one_file(name, document)), "filename_format")
    assert finding.severity == "missing"
    assert problem in finding.params["problem"]
    assert finding.params["filename"] == name
    assert "yymmdd_" in finding.message_ja and name in finding.message_ja


def test_filename_format_expected_name_is_the_documents() -> None:
    finding = run_check("filename_format", _one_file("x.docx", "staff_registration"))[0]
    assert finding.params["expected"] == "yymmdd_事務従事者登録届（組織・団体名）.docx"


def test_legacy_doc_file_may_be_named_doc() -> None:
    name = "261005_協議会加入申込書（テスト株式会社）.doc"
    assert run_check("filename_format", _one_file(name, "application", format="doc")) == []


def test_half_width_brackets_are_accepted_with_a_warning() -> None:
    name = "261005_協議会加入申込書(テスト株式会社).docx"
    finding = only(run_check("filename_format", _one_file(name, "application")), "filename_format")
    assert finding.severity == "warning"
    assert "全角" in finding.message_ja


def test_filename_format_looks_at_the_newest_file_of_each_document() -> None:
    facts = good_case(
        attachments=(attachment(1, "申込書.docx", "application"), attachment(4, APP_NAME, "application"))
    )
    assert run_check("filename_format", facts) == []


def test_filename_format_ignores_read_word_files_that_are_no_form() -> None:
    facts = good_case(attachments=(attachment(3, "送付状.docx", None, state="plain"),))
    assert run_check("filename_format", facts) == []
    pending = good_case(attachments=(attachment(3, "申込書.docx", None, state="password_pending"),))
    assert run_check("filename_format", pending)[0].params["expected"].count("yymmdd_") == 2


# ---- filename_org_mismatch -----------------------------------------------------------------

SAME_ORG = [
    ("テスト株式会社", "テスト株式会社", None),
    ("テスト㈱", "テスト株式会社", None),
    ("テスト（株）", "テスト株式会社", None),
    ("(株)テスト", "株式会社テスト", None),
    ("テスト 株式会社", "テスト株式会社", None),
    ("ＴＥＳＴ株式会社", "test株式会社", None),
    ("(一社)テスト協会", "一般社団法人テスト協会", None),
    ("(公財)テスト財団", "公益財団法人テスト財団", None),
    ("(国)テスト大学", "国立大学法人テスト大学", None),
    ("(独)テスト機構", "独立行政法人テスト機構", None),
    ("テスト(有)", "テスト有限会社", None),
    ("テスト", "テスト株式会社", None),  # legal form left out
    ("テスト株式会社情報システム部", "テスト株式会社", "情報システム部"),
]
OTHER_ORG = [
    ("サンプル株式会社", "テスト株式会社", None),
    ("〇〇株式会社", "テスト株式会社", None),
    ("テスト株式会社営業部", "テスト株式会社", "情報システム部"),
    ("Test Inc.", "テスト株式会社", None),
]


def _org_case(file_org: str, form_org: str, department: str | None) -> object:
    name = f"261005_協議会加入申込書（{file_org}）.docx"
    return good_case(app=app_form(filename=name, org_name=form_org, department=department), staff=None)


@pytest.mark.parametrize("file_org,form_org,department", SAME_ORG)
def test_filename_org_matches(file_org: str, form_org: str, department: str | None) -> None:
    assert run_check("filename_org_mismatch", _org_case(file_org, form_org, department)) == []


@pytest.mark.parametrize("file_org,form_org,department", OTHER_ORG)
def test_filename_org_mismatch(file_org: str, form_org: str, department: str | None) -> None:
    finding = only(
        run_check("filename_org_mismatch", _org_case(file_org, form_org, department)), "filename_org_mismatch"
    )
    assert finding.severity == "warning"
    assert finding.params["file_org"] == file_org and finding.params["form_org"] == form_org


def test_filename_org_mismatch_on_the_staff_registration() -> None:
    staff = staff_form(filename="261005_事務従事者登録届（サンプル株式会社）.docx")
    finding = run_check("filename_org_mismatch", good_case(staff=staff))[0]
    assert finding.params["form_org"] == ORG


def test_filename_org_not_compared_without_a_name_in_the_form() -> None:
    assert run_check("filename_org_mismatch", good_case(app=app_form(org_name=None), staff=None)) == []


# ---- word_format_required / encryption_required / macros / pending -------------------------


def test_pdf_instead_of_the_word_form() -> None:
    facts = good_case(
        forms=(),
        attachments=(
            attachment(
                1,
                "261005_協議会加入申込書（テスト株式会社）.pdf",
                "application",
                format="pdf",
                encrypted=False,
                state="plain",
            ),
        ),
    )
    finding = only(run_check("word_format_required", facts), "word_format_required")
    assert finding.severity == "missing"
    assert finding.params["document"] == "協議会加入申込書"
    assert "Word形式" in finding.message_ja


@pytest.mark.parametrize(
    "attachments,expected",
    [
        # a pdf copy next to the Word file is fine
        (
            (
                attachment(1, APP_NAME, "application"),
                attachment(2, "申込書.pdf", "application", format="pdf"),
            ),
            False,
        ),
        # an image of the staff registration, with only the application in Word
        (
            (
                attachment(1, APP_NAME, "application"),
                attachment(2, "事務従事者登録届.jpg", "staff_registration", format="other"),
            ),
            True,
        ),
        # an unidentified pdf and no Word file at all
        ((attachment(1, "scan0001.pdf", None, format="pdf"),), True),
        # an unidentified pdf next to a Word file (a cover letter)
        ((attachment(1, APP_NAME, "application"), attachment(2, "会社案内.pdf", None, format="pdf")), False),
        # a logo image, nothing else
        ((attachment(1, "image001.png", None, format="other"),), False),
        # a password zip named like the form, not opened yet
        (
            (
                attachment(
                    1,
                    "261005_協議会加入申込書（テスト株式会社）.zip",
                    "application",
                    format="zip",
                    state="password_pending",
                ),
            ),
            False,
        ),
    ],
)
def test_word_format_required_only_without_a_word_file(
    attachments: tuple[AttachmentFacts, ...], expected: bool
) -> None:
    facts = good_case(forms=(), attachments=attachments)
    assert bool(run_check("word_format_required", facts)) is expected


def test_unencrypted_word_file() -> None:
    facts = good_case(attachments=(attachment(1, APP_NAME, "application", encrypted=False, state="plain"),))
    finding = only(run_check("encryption_required", facts), "encryption_required")
    assert finding.params["filename"] == APP_NAME and finding.severity == "warning"
    assert "暗号化" in finding.message_ja and "お電話" in finding.message_ja


def test_encrypted_resend_clears_encryption_required() -> None:
    facts = good_case(
        attachments=(
            attachment(1, APP_NAME, "application", encrypted=False, state="plain"),
            attachment(3, APP_NAME, "application"),
        )
    )
    assert run_check("encryption_required", facts) == []


def test_macro_document_and_pending_password() -> None:
    facts = good_case(
        attachments=(
            attachment(1, "申込書.docm", "application", macro=True, state="rejected"),
            attachment(2, STAFF_NAME, "staff_registration", state="password_pending"),
        )
    )
    assert (
        only(run_check("macro_enabled_document", facts), "macro_enabled_document").params["filename"]
        == "申込書.docm"
    )
    pending = only(run_check("password_pending", facts), "password_pending")
    assert pending.severity == "info" and pending.params["filename"] == STAFF_NAME
    assert run_check("encryption_required", facts) == []  # the macro file is not asked to be encrypted
    assert run_check("password_pending", good_case()) == []
    assert run_check("macro_enabled_document", good_case()) == []


# ---- outside_recruitment_period ------------------------------------------------------------

PERIODS = ((date(2026, 4, 1), date(2026, 4, 30)), (date(2026, 10, 1), date(2026, 10, 31)))


@pytest.mark.parametrize(
    "received,kind,expected",
    [
        (datetime(2026, 10, 1, 0, 0, tzinfo=JST), "新規加入", None),  # first day, midnight JST
        (datetime(2026, 10, 31, 23, 59, tzinfo=JST), "新規加入", None),  # last day
        (datetime(2026, 9, 30, 15, 30, tzinfo=JST), "新規加入", "2026年10月1日～2026年10月31日"),
        (datetime(2026, 5, 10, 9, 0, tzinfo=JST), "新規加入", "2026年10月1日～2026年10月31日"),
        (datetime(2026, 11, 1, 9, 0, tzinfo=JST), "新規加入", "NISC"),  # after the last period
        (datetime(2026, 11, 1, 9, 0, tzinfo=JST), "申込み事項の変更", None),  # changes any time
    ],
)
def test_recruitment_period(received: datetime, kind: str, expected: str | None) -> None:
    facts = good_case(app=app_form(application_kind=kind), received_at=received, recruitment_periods=PERIODS)
    found = run_check("outside_recruitment_period", facts, "application")
    if expected is None:
        assert found == []
    else:
        finding = only(found, "outside_recruitment_period")
        assert expected in finding.params["next_period"] and expected in finding.message_ja
        assert finding.severity == "missing"


def test_recruitment_period_is_judged_in_japan_time() -> None:
    utc_evening = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 2026-10-01 01:00 JST: inside
    facts = good_case(received_at=utc_evening, recruitment_periods=PERIODS)
    assert run_check("outside_recruitment_period", facts, "application") == []
    earlier = good_case(received_at=datetime(2026, 9, 30, 14, 0, tzinfo=UTC), recruitment_periods=PERIODS)
    assert (
        run_check("outside_recruitment_period", earlier, "application")[0].params["received_on"]
        == "2026-09-30"
    )


def test_no_period_configured_means_no_check() -> None:
    facts = good_case(received_at=datetime(2026, 1, 5, tzinfo=JST), recruitment_periods=())
    assert run_check("outside_recruitment_period", facts, "application") == []


def test_staff_registration_alone_is_never_outside_a_period() -> None:
    facts = good_case(app=None, received_at=datetime(2026, 1, 5, tzinfo=JST))
    assert run_check("outside_recruitment_period", facts, "application") == []
