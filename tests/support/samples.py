"""The one sample application and the one person builder every test starts from, changing what it
tests; and small document builders. Everyone in them is invented (example.co.jp addresses).

The samples hold every item ``rules/forms/*.toml`` declares, and nothing else: an item a new
edition adds gets a value made from its kind (:func:`sample_value`) until a test chooses one."""

from __future__ import annotations

import copy
import hashlib
import io
from typing import Any

import docx

from intake.cases.formrows import nested
from intake.forms import FieldSpec, FormSpec, FormSpecs, load_form_specs
from intake.resources import default_rules_dir

_SPECS: FormSpecs | None = None


def specs() -> FormSpecs:
    """The shipped form descriptions (loaded once)."""
    global _SPECS
    if _SPECS is None:
        _SPECS = load_form_specs(default_rules_dir())
    return _SPECS


def sample_value(field: FieldSpec, seed: str = "") -> str:
    """A value an applicant could write in any item, by the item's kind: a choice its first option,
    a text 「テスト」 and the item's label; an e-mail address is made from ``seed`` and the key."""
    if field.is_choice:
        return field.options[0]
    if field.kind == "email":
        return f"{hashlib.sha256(f'{seed}/{field.key}'.encode()).hexdigest()[:10]}@example.co.jp"
    return _BY_KIND.get(field.kind) or f"テスト{field.labels[0]}"


_BY_KIND = {"phone": "03-1234-5678", "corporate_number": "7000012050002", "date": "2026-10-01"}


def filled(spec: FormSpec, chosen: dict[str, Any], seed: str = "") -> dict[str, Any]:
    """Every item ``spec`` declares, in form order (``poc.name`` keys): the ``chosen`` value, else
    :func:`sample_value`. A chosen key the form does not declare is an error, so samples cannot
    drift from ``rules/forms/``."""
    keys = [f.key for f in spec.fields]
    unknown = sorted(set(chosen) - set(keys))
    if unknown:
        raise KeyError(f"{spec.id} declares no item {', '.join(unknown)}")
    return {f.key: chosen[f.key] if f.key in chosen else sample_value(f, seed) for f in spec.fields}


#: The invented applicant's answers: a critical-infrastructure company (so 分野 is required),
#: already registered for early warnings, not in the published roster.
APPLICANT = {
    "application_kind": "新規加入",
    "org_name": "テスト株式会社",
    "org_name_kana": "てすとかぶしきがいしゃ",
    "corporate_number": "7000012050002",
    "department": "情報システム部",
    "address": "東京都千代田区霞が関1-1-1",
    "representative": "代表取締役社長　山田　一郎",
    "category": "重要社会基盤事業者",
    "sector": "電力",
    "participation": "一般の構成員",
    "receive_secrets": "希望する",
    "early_warning_service": "登録済み",
    "roster_publication": "登載しない",
    "poc.name": "協議会　花子",
    "poc.name_kana": "きょうぎかい　はなこ",
    "poc.title": "情報システム部 課長",
    "poc.phone": "03-1234-5678",
    "poc.email": "hanako@example.co.jp",
}

#: The sample application as ``intake show --json`` gives it: every declared item, a nested ``poc``.
APPLICATION: dict[str, Any] = nested(filled(specs()["application"], APPLICANT))

#: The items of a person block, in form order.
STAFF_KEYS = tuple(f.key for f in specs()["staff_registration"].fields)


def application(**changes: Any) -> dict[str, Any]:
    """A copy of APPLICATION; ``poc_<key>=`` changes a POC value, ``poc=`` the whole POC."""
    values = copy.deepcopy(APPLICATION)
    for key, value in changes.items():
        if key.startswith("poc_"):
            values["poc"][key[4:]] = value
        else:
            values[key] = value
    return values


def flat(values: dict[str, Any]) -> dict[str, Any]:
    """An application as the checks and the database see it: ``poc.name`` … instead of ``poc``."""
    out = {k: v for k, v in values.items() if k != "poc"}
    out.update({f"poc.{k}": v for k, v in values.get("poc", {}).items()})
    return out


def person(
    name: str,
    kind: str = "新規",
    *,
    kana: str | None = None,
    email: str | None = None,
    department: str = "情報システム部",
    title: str = "主任",
    phone: str = "03-1234-5678",
    mobile: str | None = None,
    system: str = "要",
    poc: str = "しない",
) -> dict[str, Any]:
    """One 事務従事者 block of a 事務従事者登録届, every item the form declares filled in (申請区分
    ``kind``: 新規 / 継続 / 廃止); the e-mail address is made from the name unless given."""
    chosen = {
        "name": name,
        "name_kana": kana if kana is not None else "かな",
        "department": department,
        "title": title,
        "phone": phone,
        "mobile": mobile,
        "email": email or f"{hashlib.sha256(name.encode()).hexdigest()[:10]}@example.co.jp",
        "application_type": kind,
        "system_registration": system,
        "poc": poc,
    }
    return filled(specs()["staff_registration"], chosen, seed=name)


PEOPLE: list[dict[str, Any]] = [
    person("協議会　太郎", kana="きょうぎかい　たろう", title="部長", mobile="090-1234-5678",
           email="taro@example.co.jp", poc="する"),
    person("山田　花子", "継続", kana="やまだ　はなこ", department="総務部", title="課長", phone="03-1234-0000",
           email="hanako@example.co.jp", system="不要"),
    person("佐藤　次郎", "廃止", kana="さとう　じろう", department="CSIRT", phone="06-9876-5432",
           mobile="080-0000-1111", email="jiro@example.co.jp"),
]  # fmt: skip


def expected_application(values: dict[str, Any]) -> dict[str, Any]:
    """The ``as_json()`` expected for written values (choices as written, lists → None)."""
    out = {
        k: (None if isinstance(v, list) else v) for k, v in values.items() if k not in ("poc", "submitted_on")
    }
    out["poc"] = dict(values["poc"])
    return {"application": out}


def expected_staff(people: list[dict[str, Any]], org: str) -> dict[str, Any]:
    staff = [{k: (None if isinstance(p.get(k), list) else p.get(k)) for k in STAFF_KEYS} for p in people]
    return {"staff": staff, "organisation": org}


def build_docx(*blocks: Any) -> bytes:
    """A .docx from a simple description: a str is a paragraph, a list of lists is a table
    (each inner list one row of cell texts)."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=0, cols=max(len(r) for r in block))
        for row in block:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=False):
                cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
