"""The table and the data of ``rules/checks.toml``: which checks run when, and what they compare with.

Mailing-list patterns, free-mail domains, abbreviated legal forms (㈱ = 株式会社 …), how the forms are
named in file names, and the reply text for an unknown next recruitment period. A mistake raises
:class:`~intake.errors.ConfigError` naming the file and the entry.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.errors import ConfigError

DOCUMENTS = ("case", "application", "staff_registration")


@dataclass(frozen=True)
class Step:
    """One row of the table: the checks to run for a document (``case`` = once per case)."""

    document: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class DocumentInfo:
    """How a form is named in file names (``file_word``) and in messages (``ja`` / ``en``)."""

    file_word: str
    ja: str
    en: str


@dataclass(frozen=True)
class RulesData:
    """The data of ``checks.toml`` the checks use."""

    table: Mapping[str, tuple[Step, ...]]
    mailing_list_patterns: tuple[re.Pattern[str], ...]
    free_mail_domains: frozenset[str]
    legal_forms: tuple[tuple[str, str], ...]  # (abbreviation after NFKC, full form), longest first
    documents: Mapping[str, DocumentInfo]
    filename_placeholders: tuple[str, ...]
    unknown_next_period_ja: str
    unknown_next_period_en: str


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None


def load_data(path: Path) -> RulesData:
    """The table and the data of checks.toml."""
    raw = _read(path)
    get = _Getter(path, raw)
    return RulesData(
        table=_table(path, get.table("table")),
        mailing_list_patterns=tuple(_regex(path, p) for p in get.strings("mailing_list", "patterns")),
        free_mail_domains=frozenset(d.lower().lstrip("@") for d in get.strings("free_mail", "domains")),
        legal_forms=_legal_forms(path, get.table("legal_forms")),
        documents={k: _document(path, k, v) for k, v in get.table("documents").items()},
        filename_placeholders=get.strings("filenames", "placeholders"),
        unknown_next_period_ja=get.string("recruitment", "unknown_next_period_ja"),
        unknown_next_period_en=get.string("recruitment", "unknown_next_period_en"),
    )


class _Getter:
    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path, self.raw = path, raw

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key)
        if not isinstance(value, dict) or not value:
            raise ConfigError(f"{self.path}: [{key}]: missing or empty")
        return value

    def strings(self, table: str, key: str) -> tuple[str, ...]:
        value = self.table(table).get(key)
        if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
            raise ConfigError(f"{self.path}: {table}.{key}: must be a list of non-empty strings")
        return tuple(value)

    def string(self, table: str, key: str) -> str:
        value = self.table(table).get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.path}: {table}.{key}: must be a non-empty string")
        return value.strip()


def _table(path: Path, raw: dict[str, Any]) -> dict[str, tuple[Step, ...]]:
    table: dict[str, tuple[Step, ...]] = {}
    for profile, steps in raw.items():
        if not isinstance(steps, list):
            raise ConfigError(f"{path}: table.{profile}: must be an array of tables ([[table.{profile}]])")
        built = []
        for i, step in enumerate(steps):
            where = f"table.{profile}[{i}]"
            document, checks = (
                (step.get("document"), step.get("checks")) if isinstance(step, dict) else (None, None)
            )
            if document not in DOCUMENTS:
                raise ConfigError(f"{path}: {where}.document: must be one of {', '.join(DOCUMENTS)}")
            if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
                raise ConfigError(f"{path}: {where}.checks: must be a list of check names")
            built.append(Step(document, tuple(checks)))
        table[profile] = tuple(built)
    return table


def _regex(path: Path, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(
            f"{path}: mailing_list.patterns: {pattern!r} is not a valid pattern: {exc}"
        ) from None


def _legal_forms(path: Path, raw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs = {}
    for abbrev, full in raw.items():
        if not isinstance(full, str) or not full.strip():
            raise ConfigError(f'{path}: legal_forms.{abbrev}: must be the full legal form, e.g. "株式会社"')
        key = "".join(unicodedata.normalize("NFKC", abbrev).split())
        pairs[key] = "".join(unicodedata.normalize("NFKC", full).split())
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


def _document(path: Path, key: str, raw: Any) -> DocumentInfo:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("file_word", "ja", "en")):
        raise ConfigError(f"{path}: documents.{key}: needs file_word, ja and en")
    return DocumentInfo(raw["file_word"], raw["ja"], raw["en"])
