"""Load ``rules/findings.toml`` (the messages), ``rules/checks.toml`` (the table and its data, read by
:mod:`intake.checks.rules_data`), the form specs and ``rules/answers.toml`` (the names of Q24's
items, :mod:`intake.checks.answers.words`).

Both files are edited by staff; a mistake raises :class:`~intake.errors.ConfigError` naming the
file, the entry and the problem. :func:`load_rules` caches the result per folder.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.checks.answers.words import load_item_words
from intake.checks.base import SEVERITIES, RuleFinding
from intake.checks.registry import REGISTRY
from intake.checks.rules_data import RulesData, load_data
from intake.errors import ConfigError
from intake.forms.spec import FormSpecs, load_form_specs


@dataclass(frozen=True)
class Message:
    severity: str
    ja: str
    en: str


@dataclass(frozen=True)
class Entry:
    """One finding code (or family, e.g. ``required_field``) with optional variants."""

    code: str
    message: Message
    variants: Mapping[str, Message]


class _Keep(dict):
    """Leaves an unknown ``{placeholder}`` visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Catalogue:
    entries: Mapping[str, Entry]

    def render(self, code: str, params: dict[str, str], variant: str | None = None) -> RuleFinding:
        entry = self.entries.get(code.partition(":")[0])
        if entry is None:
            raise ConfigError(f"findings.toml: no entry for finding code {code!r}")
        msg = entry.variants.get(variant, entry.message) if variant else entry.message
        fill = _Keep(params)
        return RuleFinding(code, msg.severity, msg.ja.format_map(fill), msg.en.format_map(fill), dict(params))


@dataclass(frozen=True)
class Rules:
    catalogue: Catalogue
    data: RulesData
    specs: FormSpecs


@functools.lru_cache(maxsize=16)
def _load(folder: str) -> Rules:
    root = Path(folder)
    rules = Rules(
        catalogue=load_catalogue(root / "findings.toml"),
        data=load_data(root / "checks.toml"),
        specs=load_form_specs(root),
    )
    _cross_check(rules, root)
    load_item_words(root)  # answers.toml: checked with the rest, so a mistake stops start-up
    return rules


def load_rules(rules_dir: Path) -> Rules:
    """The findings catalogue, the check table with its data, and the form specs (cached per path)."""
    return _load(str(Path(rules_dir).resolve()))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None


def load_catalogue(path: Path) -> Catalogue:
    """Every ``[code]`` table of findings.toml: severity, ja, en, optional ``[code.variants.X]``."""
    entries: dict[str, Entry] = {}
    for code, raw in _read(path).items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: {code}: must be a table ([{code}])")
        message = _message(path, code, raw, None)
        variants = raw.get("variants", {})
        if not isinstance(variants, dict):
            raise ConfigError(f"{path}: {code}.variants: must be a table")
        entries[code] = Entry(
            code,
            message,
            {name: _message(path, f"{code}.variants.{name}", v, message) for name, v in variants.items()},
        )
    return Catalogue(entries)


def _message(path: Path, where: str, raw: Any, default: Message | None) -> Message:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where}: must be a table")
    unknown = set(raw) - {"severity", "ja", "en", "variants"}
    if unknown:
        raise ConfigError(f"{path}: {where}: unknown key(s) {', '.join(sorted(unknown))}")
    severity = raw.get("severity", default.severity if default else None)
    if severity not in SEVERITIES:
        raise ConfigError(f"{path}: {where}.severity: must be one of {', '.join(SEVERITIES)}")
    texts = []
    for lang in ("ja", "en"):
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{path}: {where}.{lang}: must be a non-empty string")
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            raise ConfigError(f"{path}: {where}.{lang}: bad {{placeholder}}: {exc}") from None
        texts.append(text.strip())
    return Message(severity, texts[0], texts[1])


def _cross_check(rules: Rules, root: Path) -> None:
    """Every check named in the table exists, and every code it may emit has a message."""
    for profile, steps in rules.data.table.items():
        for step in steps:
            for name in step.checks:
                if name not in REGISTRY:
                    raise ConfigError(f"{root / 'checks.toml'}: table.{profile}: unknown check {name!r}")
                missing = [c for c in REGISTRY[name].codes if c not in rules.catalogue.entries]
                if missing:
                    raise ConfigError(
                        f"{root / 'findings.toml'}: no entry for {', '.join(missing)} (used by {name})"
                    )
    for doc in ("application", "staff_registration"):
        if doc not in rules.data.documents:
            raise ConfigError(f"{root / 'checks.toml'}: documents.{doc}: missing")
