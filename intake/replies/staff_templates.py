"""The secretariat's own reply templates, as data staff edit: ``rules/templates/staff/*.j2`` and
their index ``templates.toml`` (a title, a short description, who receives it, and what staff type
in before it is written — the reason of a refusal, the questions to ask).

:func:`validate_staff_templates` runs at start-up (``intake run``, ``intake desk``): every entry
has a title and its file, every file an entry, and each renders under StrictUndefined with
:data:`SAMPLE_CONTEXT`; a mistake is one :class:`~intake.errors.ConfigError` line naming the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from intake.errors import ConfigError, IntakeError
from intake.replies.compose import ReplyTemplateError, render_template

FOLDER = "templates/staff"
INDEX = "templates.toml"
RECIPIENTS = ("sender", "poc")

#: What every staff template is given (keys only matter: the values show what kind of value comes).
SAMPLE_CONTEXT: dict[str, object] = {
    "case_id": "KYOGIKAI-2026-0001",
    "mailbox_address": "kyogikai-shomu@example.jp",
    "sender_name": "山田 太郎",
    "org_name": "サンプル株式会社",
    "kind_label": "加入申込書",
    "staff_name": "事務局 担当",
    "owner": "suzuki",
    "missing": ["事務従事者登録届が添付されていません。"],
    "due_date": date(2026, 12, 25),
    "organisation": {"name": "サンプル株式会社", "department": None, "poc_email": "poc@example.co.jp"},
    "system_users": [{"name": "山田 太郎", "email": "taro.yamada@example.co.jp"}],
}


class StaffTemplateError(IntakeError):
    """A staff template cannot be written as asked (unknown, or a value it needs is missing)."""


@dataclass(frozen=True, kw_only=True)
class Input:
    """A value staff type in before the template is written, e.g. the reason of a refusal."""

    name: str
    label: str
    required: bool = True
    lines: int = 1


@dataclass(frozen=True, kw_only=True)
class StaffTemplate:
    name: str
    title: str
    description: str = ""
    to: str = "sender"  # sender | poc
    inputs: tuple[Input, ...] = ()


def staff_folder(rules_dir: Path) -> Path:
    return Path(rules_dir) / FOLDER


def load_staff_templates(rules_dir: Path) -> dict[str, StaffTemplate]:
    """The index, read afresh (staff may have edited it); ConfigError names the entry at fault."""
    path = staff_folder(rules_dir) / INDEX
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return {name: _entry(path, name, value) for name, value in raw.items()}


def _entry(path: Path, name: str, value: object) -> StaffTemplate:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    unknown = set(value) - {"title", "description", "to", "inputs"}
    if unknown:
        raise ConfigError(f"{path}: [{name}] has unknown keys: {', '.join(sorted(unknown))}")
    title, to = value.get("title"), value.get("to", "sender")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f"{path}: [{name}] needs a title")
    if to not in RECIPIENTS:
        raise ConfigError(f"{path}: [{name}] to must be one of {', '.join(RECIPIENTS)}, not {to!r}")
    try:
        inputs = tuple(Input(**item) for item in value.get("inputs", []))
    except TypeError as exc:
        raise ConfigError(f"{path}: [{name}] inputs: {exc}") from None
    return StaffTemplate(
        name=name, title=title.strip(), description=str(value.get("description", "")), to=to, inputs=inputs
    )


def staff_template(rules_dir: Path, name: str) -> StaffTemplate:
    found = load_staff_templates(rules_dir).get(name)
    if found is None:
        raise StaffTemplateError(f"返信のひな形 {name!r} はありません")
    return found


def render_staff(rules_dir: Path, name: str, context: Mapping[str, object], values: Mapping[str, str]) -> str:
    """The template ``name`` written for one case; a required input left empty is said in Japanese."""
    template = staff_template(rules_dir, name)
    given = {i.name: (values.get(i.name) or "").strip() for i in template.inputs}
    empty = [i.label for i in template.inputs if i.required and not given[i.name]]
    if empty:
        raise StaffTemplateError(f"「{template.title}」には {'、'.join(empty)} の入力が必要です")
    try:
        return render_template(rules_dir, name, {**context, **given}, folder=FOLDER)
    except ReplyTemplateError as exc:
        raise StaffTemplateError(f"返信のひな形 {name} を作成できません: {exc}") from None


def validate_staff_templates(rules_dir: Path) -> dict[str, StaffTemplate]:
    """Every staff template is listed, titled and renders with a sample case; else one ConfigError
    line naming the file."""
    folder = staff_folder(rules_dir)
    templates = load_staff_templates(rules_dir)
    files = {p.stem for p in folder.glob("*.j2") if not p.name.startswith("_")}
    for stem in sorted(files - set(templates)):
        raise ConfigError(f"{folder / (stem + '.j2')}: not listed in {INDEX} (give it a title there)")
    for name, template in templates.items():
        path = folder / f"{name}.j2"
        if name not in files:
            raise ConfigError(f"{folder / INDEX}: [{name}] has no template file {path.name}")
        sample = {i.name: f"（{i.label}の記入例）" for i in template.inputs}
        try:
            render_template(rules_dir, name, {**SAMPLE_CONTEXT, **sample}, folder=FOLDER)
        except (ReplyTemplateError, ValueError) as exc:
            raise ConfigError(f"{path}: {_one_line(str(exc))}") from None
    return templates


def _one_line(text: str) -> str:
    return " ".join(text.split())
