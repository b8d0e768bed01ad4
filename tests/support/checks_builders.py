"""Small builders of CaseFacts for the tests of intake.checks.

``good_case()`` is a complete, correct new application with its staff registration, arriving
inside the recruitment period: it has no finding at all. Each test changes one thing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from intake.checks import RuleFinding, evaluate, load_rules
from intake.checks.base import CheckContext
from intake.checks.facts import (
    AttachmentFacts,
    CaseFacts,
    FormFacts,
    MessageFacts,
    PersonOnFile,
    RegisterFacts,
    StaffFacts,
)
from intake.checks.registry import REGISTRY
from intake.clock import JST
from intake.resources import default_rules_dir
from support.samples import application, flat
from support.samples import person as sample_person

RULES = default_rules_dir()
ORG = "テスト株式会社"
POC_EMAIL = "yamada@test-corp.co.jp"
RECEIVED = datetime(2026, 10, 5, 10, 0, tzinfo=JST)
PERIODS = ((date(2026, 10, 1), date(2026, 10, 31)),)
APP_NAME = f"261005_協議会加入申込書（{ORG}）.docx"
STAFF_NAME = f"261005_事務従事者登録届（{ORG}）.docx"


def app_fields(**changes: Any) -> dict[str, str | None]:
    """Every item of the application, filled in correctly (the one sample, as the checks see it);
    keyword ``poc_email`` = ``poc.email``."""
    fields: dict[str, str | None] = flat(
        application(
            department=None, category="サイバー関連事業者", sector=None, roster_publication="登載する",
            poc_name="山田 太郎", poc_name_kana="やまだ たろう", poc_email=POC_EMAIL,
        )
    )  # fmt: skip
    for key, value in changes.items():
        fields[key.replace("poc_", "poc.")] = value
    return fields


def app_form(
    attachment_id: int = 1,
    filename: str | None = APP_NAME,
    ticked: dict | None = None,
    problems: dict | None = None,
    **changes: Any,
) -> FormFacts:
    return FormFacts(
        attachment_id=attachment_id,
        filename=filename,
        document="application",
        fields=app_fields(**changes),
        ticked=ticked or {},
        problems=problems or {},
    )


def person(position: int, **changes: Any) -> StaffFacts:
    """A complete person block; the first one is the POC (poc = する, the application's POC)."""
    poc = position == 1
    fields = sample_person(
        "山田 太郎" if poc else f"佐藤 花子{position}",
        kana="やまだ たろう" if poc else "さとう はなこ",
        title="部長" if poc else "主任",
        email=POC_EMAIL if poc else f"sato{position}@test-corp.co.jp",
        poc="する" if poc else "しない",
    )
    ticked = changes.pop("ticked", {})
    fields.update(changes)
    return StaffFacts(position=position, fields=fields, ticked=ticked)


def staff_form(
    *people: StaffFacts,
    attachment_id: int = 2,
    filename: str | None = STAFF_NAME,
    org_name: str | None = ORG,
    problems: dict | None = None,
) -> FormFacts:
    return FormFacts(
        attachment_id=attachment_id,
        filename=filename,
        document="staff_registration",
        fields={"org_name": org_name},
        staff=people or (person(1), person(2)),
        problems=problems or {},
    )


def attachment(id: int, filename: str | None, document: str | None, **changes: Any) -> AttachmentFacts:
    values = {"format": "docx", "encrypted": True, "macro": False, "state": "decrypted"} | changes
    return AttachmentFacts(id=id, filename=filename, document=document, **values)


def message(
    text: str = "お世話になっております。申込書を送付いたします。",
    subject: str = "協議会加入申込み",
    sender: str = POC_EMAIL,
    received_at: datetime = RECEIVED,
) -> MessageFacts:
    return MessageFacts(sender=sender, subject=subject, text=text, received_at=received_at)


def good_case(**changes: Any) -> CaseFacts:
    """A complete, correct membership case; ``app`` / ``staff`` replace (or with None drop) a form."""
    app = changes.pop("app", app_form())
    staff = changes.pop("staff", staff_form())
    forms = tuple(f for f in (app, staff) if f is not None)
    attachments = tuple(attachment(f.attachment_id, f.filename, f.document) for f in forms)
    values: dict[str, Any] = dict(
        case_id="KYOGIKAI-2026-0001",
        profile="membership",
        sender=POC_EMAIL,
        received_at=RECEIVED,
        messages=(message(),),
        attachments=attachments,
        forms=forms,
        recruitment_periods=PERIODS,
    )
    values.update(changes)
    return CaseFacts(**values)


def incident_case(
    *texts: str, subjects: tuple[str, ...] = (), member: bool = True, **changes: Any
) -> CaseFacts:
    subjects = subjects or tuple("不審メールの受信について" for _ in texts)
    msgs = tuple(message(t, s, sender="soc@member.example.jp") for t, s in zip(texts, subjects, strict=True))
    values: dict[str, Any] = dict(
        case_id="CSC-2026-0001",
        profile="incident",
        sender="soc@member.example.jp",
        received_at=RECEIVED,
        messages=msgs,
        member=member,
    )
    values.update(changes)
    return CaseFacts(**values)


def register(*people: PersonOnFile, poc_email: str | None = POC_EMAIL, removed: tuple = ()) -> RegisterFacts:
    return RegisterFacts(
        org_name=ORG,
        corporate_number="7000012050002",
        department=None,
        poc_email=poc_email,
        people=people,
        removed_last_time=removed,
    )


def on_file(name: str, email: str | None, status: str = "active", poc: str | None = "しない") -> PersonOnFile:
    return PersonOnFile(name=name, email=email, status=status, poc=poc)


def run(facts: CaseFacts) -> list[RuleFinding]:
    return evaluate(facts, rules_dir=RULES)


def codes(findings: list[RuleFinding]) -> list[str]:
    return [f.code for f in findings]


def run_check(name: str, facts: CaseFacts, document: str | None = None) -> list[RuleFinding]:
    """One check alone; ``document`` selects the newest form of that document as ``ctx.form``."""
    rules = load_rules(RULES)
    ctx = CheckContext(specs=rules.specs, data=rules.data, catalogue=rules.catalogue)
    if document:
        forms = [f for f in facts.forms if f.document == document]
        ctx = replace(ctx, form=max(forms, key=lambda f: f.attachment_id) if forms else None)
    return REGISTRY[name].check(facts, ctx)


def only(findings: list[RuleFinding], code: str) -> RuleFinding:
    """The one finding with this code (fails the test when there is not exactly one)."""
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, f"expected one {code}, got {codes(findings)}"
    return hits[0]
