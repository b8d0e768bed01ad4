"""Load and check the form descriptions in ``rules/forms/*.toml``.

Each TOML file describes one Word form: the title that identifies it, and for every item its key,
item number (項目番号, e.g. 「2(1)」), label variants, kind of value, choice options and whether it is
required. The extractor knows nothing else about the forms, so a new edition of a form is an edit
of its TOML file. A mistake in a file raises :class:`~intake.errors.ConfigError` naming the file,
the entry and the problem.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.errors import ConfigError
from intake.forms.normalize import label_key, split_item, to_fullwidth_digits

KINDS = ("text", "choice", "text_or_choice", "phone", "email", "corporate_number", "date")
_FORM_KEYS = {"id", "name", "titles", "hint_markers", "placeholders", "instructions"}
_FIELD_KEYS = {"key", "item", "labels", "kind", "options", "required", "required_when", "section", "note"}
_SECTION_KEYS = {"id", "item", "labels", "first_field"}
_PERSON_KEYS = {"headings"}


@dataclass(frozen=True)
class FieldSpec:
    """One item of a form. ``label_keys`` are the labels folded by :func:`label_key`."""

    key: str
    labels: tuple[str, ...]
    kind: str = "text"
    item: str = ""
    options: tuple[str, ...] = ()
    required: bool = False
    required_when: tuple[str, str] | None = None  # (other field key, option that makes it required)
    section: str | None = None
    label_keys: tuple[str, ...] = ()

    @property
    def is_choice(self) -> bool:
        return self.kind in ("choice", "text_or_choice")


@dataclass(frozen=True)
class SectionSpec:
    """A group of rows read in context, e.g. the POC sub-rows under 4(1) 担当者代表（POC）."""

    id: str
    labels: tuple[str, ...]
    item: str = ""
    first_field: str | None = None
    label_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    """One form: its titles, hints, sections, fields and (staff form) person-block headings."""

    id: str
    name: str
    titles: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    document_fields: tuple[FieldSpec, ...] = ()
    sections: tuple[SectionSpec, ...] = ()
    person_headings: tuple[str, ...] = ()
    hint_markers: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()  # how the form's own bracketed instructions end (「記入」)
    source: str = ""

    @property
    def per_person(self) -> bool:
        """True for a form made of person blocks (the staff registration)."""
        return bool(self.person_headings)

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields + self.document_fields:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def label(self, key: str) -> str:
        """How the form names an item, as printed on it: 「２（１）組織・団体名」,
        「４（１）担当者代表（POC）の電子メール」, 「（７）電子メール」 (the first label of each)."""
        try:
            spec = self.field(key)
        except KeyError:
            return key
        section = next((s for s in self.sections if s.id == spec.section), None)
        item = to_fullwidth_digits(spec.item or (section.item if section else "")).replace("(", "（")
        item = item.replace(")", "）")
        if section:
            return f"{item}{section.labels[0]}の{spec.labels[0]}"
        return f"{item}{spec.labels[0]}"

    def required_keys(self, values: Mapping[str, str | None]) -> list[str]:
        """Keys required for these values: ``required`` ones plus those whose ``required_when``
        condition holds (e.g. 分野 when 区分 = 重要社会基盤事業者)."""
        keys = []
        for spec in self.fields:
            cond = spec.required_when
            if spec.required or (cond is not None and values.get(cond[0]) == cond[1]):
                keys.append(spec.key)
        return keys

    def missing_required(self, values: Mapping[str, str | None]) -> list[str]:
        """Required keys whose value is None or empty."""
        return [k for k in self.required_keys(values) if not values.get(k)]


@dataclass(frozen=True)
class FormSpecs:
    """All forms known, by id (``application``, ``staff_registration``)."""

    forms: Mapping[str, FormSpec] = field(default_factory=dict)

    def __getitem__(self, form_id: str) -> FormSpec:
        return self.forms[form_id]

    def __iter__(self) -> Iterator[FormSpec]:
        return iter(self.forms.values())

    def __len__(self) -> int:
        return len(self.forms)


def load_form_specs(rules_dir: Path) -> FormSpecs:
    """Read every ``rules_dir/forms/*.toml`` (or ``rules_dir/*.toml`` if there is no ``forms``)."""
    folder = rules_dir / "forms" if (rules_dir / "forms").is_dir() else rules_dir
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise ConfigError(f"{folder}: no form descriptions (*.toml) found")
    forms: dict[str, FormSpec] = {}
    for path in paths:
        spec = load_form_spec(path)
        if spec.id in forms:
            raise ConfigError(f"{path}: form.id: {spec.id!r} is already defined in {forms[spec.id].source}")
        forms[spec.id] = spec
    return FormSpecs(forms)


def load_form_spec(path: Path) -> FormSpec:
    """Read and check one form file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return _Builder(path).form(data)


class _Builder:
    """Turns the parsed TOML of one file into a FormSpec, naming the file in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def form(self, data: dict[str, Any]) -> FormSpec:
        self._only(data, {"form", "field", "document_field", "section", "person"}, "top level")
        head = self._table(data, "form")
        self._only(head, _FORM_KEYS, "form")
        sections = tuple(self.section(s, i) for i, s in enumerate(self._list(data, "section")))
        section_ids = {s.id for s in sections}
        fields = tuple(
            self.field(f, f"field[{i}]", section_ids) for i, f in enumerate(self._list(data, "field"))
        )
        docs = tuple(
            self.field(f, f"document_field[{i}]", set())
            for i, f in enumerate(self._list(data, "document_field"))
        )
        person = data.get("person", {})
        self._only(person, _PERSON_KEYS, "person")
        spec = FormSpec(
            id=self._str(head, "id", "form"),
            name=self._str(head, "name", "form"),
            titles=self._strings(head, "titles", "form"),
            fields=fields,
            document_fields=docs,
            sections=sections,
            person_headings=self._strings(person, "headings", "person", required=False),
            hint_markers=self._strings(head, "hint_markers", "form", required=False),
            placeholders=self._strings(head, "placeholders", "form", required=False),
            instructions=self._strings(head, "instructions", "form", required=False),
            source=str(self.path),
        )
        self.check(spec)
        return spec

    def field(self, raw: Any, where: str, section_ids: set[str]) -> FieldSpec:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        self._only(raw, _FIELD_KEYS, where)
        kind = raw.get("kind", "text")
        if kind not in KINDS:
            raise self.fail(f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        options = self._strings(raw, "options", where, required=kind in ("choice",))
        section = raw.get("section")
        if section is not None and section not in section_ids:
            raise self.fail(f"{where}.section", f"no [[section]] with id {section!r}")
        labels = self._strings(raw, "labels", where)
        return FieldSpec(
            key=self._str(raw, "key", where),
            labels=labels,
            kind=kind,
            item=self._item(raw, where),
            options=options,
            required=self._bool(raw, "required", where),
            required_when=self._condition(raw, where),
            section=section,
            label_keys=tuple(label_key(x) for x in labels),
        )

    def section(self, raw: Any, index: int) -> SectionSpec:
        where = f"section[{index}]"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        self._only(raw, _SECTION_KEYS, where)
        labels = self._strings(raw, "labels", where)
        first = raw.get("first_field")
        return SectionSpec(
            id=self._str(raw, "id", where),
            labels=labels,
            item=self._item(raw, where),
            first_field=first if isinstance(first, str) else None,
            label_keys=tuple(label_key(x) for x in labels),
        )

    def check(self, spec: FormSpec) -> None:
        keys = [f.key for f in spec.fields + spec.document_fields]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise self.fail("field", f"key defined twice: {', '.join(dupes)}")
        by_key = {f.key: f for f in spec.fields}
        for f in spec.fields:
            if f.required_when:
                other = by_key.get(f.required_when[0])
                if other is None or f.required_when[1] not in other.options:
                    raise self.fail(f"field {f.key}.required_when", f"no field/option {f.required_when}")
        for s in spec.sections:
            if s.first_field and s.first_field not in by_key:
                raise self.fail(f"section {s.id}.first_field", f"no field {s.first_field!r}")

    def _only(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
            )

    def _table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "missing [form] table")
        return value

    def _list(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be an array of tables ([[...]])")
        return value

    def _str(self, raw: dict[str, Any], key: str, where: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "must be a non-empty string")
        return value

    def _strings(self, raw: dict[str, Any], key: str, where: str, required: bool = True) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            raise self.fail(f"{where}.{key}", "must be a list of non-empty strings")
        if required and not value:
            raise self.fail(f"{where}.{key}", "must not be empty")
        return tuple(value)

    def _bool(self, raw: dict[str, Any], key: str, where: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "must be true or false")
        return value

    def _item(self, raw: dict[str, Any], where: str) -> str:
        text = raw.get("item", "")
        if not isinstance(text, str):
            raise self.fail(f"{where}.item", 'must be a string such as "2(1)" or "(7)"')
        item, rest = split_item(label_key(text))
        if text and (rest or not item):
            raise self.fail(f"{where}.item", f'{text!r} is not an item number such as "2(1)" or "(7)"')
        return item

    def _condition(self, raw: dict[str, Any], where: str) -> tuple[str, str] | None:
        cond = raw.get("required_when")
        if cond is None:
            return None
        if not isinstance(cond, dict) or set(cond) != {"field", "equals"}:
            raise self.fail(f"{where}.required_when", 'must be { field = "…", equals = "…" }')
        return str(cond["field"]), str(cond["equals"])
