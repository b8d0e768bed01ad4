"""Sample values and small document builders shared by the tests of intake.forms."""

from __future__ import annotations

import copy
import io
from typing import Any

import docx

from intake.forms import FormSpecs, load_form_specs
from intake.resources import default_rules_dir

APPLICATION: dict[str, Any] = {
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
    "poc": {
        "name": "協議会　花子",
        "name_kana": "きょうぎかい　はなこ",
        "title": "情報システム部 課長",
        "phone": "03-1234-5678",
        "email": "hanako@example.co.jp",
    },
}

PEOPLE: list[dict[str, Any]] = [
    {
        "name": "協議会　太郎",
        "name_kana": "きょうぎかい　たろう",
        "department": "情報システム部",
        "title": "部長",
        "phone": "03-1234-5678",
        "mobile": "090-1234-5678",
        "email": "taro@example.co.jp",
        "application_type": "新規",
        "system_registration": "要",
        "poc": "する",
    },
    {
        "name": "山田　花子",
        "name_kana": "やまだ　はなこ",
        "department": "総務部",
        "title": "課長",
        "phone": "03-1234-0000",
        "mobile": None,
        "email": "hanako@example.co.jp",
        "application_type": "継続",
        "system_registration": "不要",
        "poc": "しない",
    },
    {
        "name": "佐藤　次郎",
        "name_kana": "さとう　じろう",
        "department": "CSIRT",
        "title": "主任",
        "phone": "06-9876-5432",
        "mobile": "080-0000-1111",
        "email": "jiro@example.co.jp",
        "application_type": "廃止",
        "system_registration": "要",
        "poc": "しない",
    },
]

STAFF_KEYS = (
    "name",
    "name_kana",
    "department",
    "title",
    "phone",
    "mobile",
    "email",
    "application_type",
    "system_registration",
    "poc",
)

_SPECS: FormSpecs | None = None


def specs() -> FormSpecs:
    """The shipped form descriptions (loaded once)."""
    global _SPECS
    if _SPECS is None:
        _SPECS = load_form_specs(default_rules_dir())
    return _SPECS


def application(**changes: Any) -> dict[str, Any]:
    """A copy of APPLICATION; ``poc_<key>=`` changes a POC value."""
    values = copy.deepcopy(APPLICATION)
    for key, value in changes.items():
        if key.startswith("poc_"):
            values["poc"][key[4:]] = value
        else:
            values[key] = value
    return values


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
