"""The names reporters give the items of Q24 確認①②③, as data: ``rules/answers.toml``.

The Q&A's own words (秘密指定, 共有範囲, 対応調整 …) and the others people write — 外部連携 (working
with outside parties), 共有先 (whom it is shared with), 秘匿 … — are one list per item that staff
keep; item marks (:mod:`.marks`) and free text (:mod:`.meaning`) both use it. :func:`load_item_words`
reads and checks the file (a mistake raises :class:`~intake.errors.ConfigError` naming the file and
the entry) and caches it per folder; :func:`using` makes a folder's words the ones the reader uses
while a case is read (the shipped ``rules/`` otherwise).
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from intake.errors import ConfigError
from intake.resources import default_rules_dir

FILE = "answers.toml"
ITEM_KEYS = ("secret_designation", "sharing_scope", "external_coordination")  # 確認①②③
_LISTS = {"names", "disclosure"}


@dataclass(frozen=True)
class ItemWords:
    """For each item (1, 2, 3) a pattern of its names; ``disclosure``: 確認①'s opposite (公表 …)."""

    names: dict[int, re.Pattern[str]]
    disclosure: re.Pattern[str]


def load_item_words(rules_dir: Path) -> ItemWords:
    return _load(str(Path(rules_dir).resolve()))


@functools.lru_cache(maxsize=16)
def _load(folder: str) -> ItemWords:
    path = Path(folder) / FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    for key in data:
        if key not in ITEM_KEYS:
            raise ConfigError(f"{path}: [{key}]: unknown item (expected one of {', '.join(ITEM_KEYS)})")
    seen: dict[str, str] = {}
    lists = {key: _words(path, key, data.get(key), seen) for key in ITEM_KEYS}
    return ItemWords(
        names={n: _pattern(lists[key].get("names", [])) for n, key in enumerate(ITEM_KEYS, start=1)},
        disclosure=_pattern(lists["secret_designation"].get("disclosure", [])),
    )


def _words(path: Path, key: str, table: object, seen: dict[str, str]) -> dict[str, list[str]]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {key}: must be a table ([{key}])")
    out: dict[str, list[str]] = {}
    for name, words in table.items():
        where = f"{key}.{name}"
        if name not in _LISTS or (name == "disclosure" and key != "secret_designation"):
            raise ConfigError(f"{path}: {where}: unknown key")
        if not isinstance(words, list):
            raise ConfigError(f"{path}: {where}: must be a list of words")
        out[name] = [_word(path, f"{where}[{i}]", word, seen) for i, word in enumerate(words)]
    return out


def _word(path: Path, where: str, word: object, seen: dict[str, str]) -> str:
    if not isinstance(word, str) or not word.strip():
        raise ConfigError(f"{path}: {where}: must be a word (a non-empty string), not {word!r}")
    folded = unicodedata.normalize("NFKC", word).strip()
    if len(folded) > 40:
        raise ConfigError(f"{path}: {where}: {word!r} is longer than 40 characters")
    if folded in seen:
        raise ConfigError(f"{path}: {where}: {word!r} is already listed under {seen[folded]}")
    seen[folded] = where
    return folded


def _pattern(words: list[str]) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!)")  # matches nothing
    """The words, longest first; spaces may vary and a 「の」 may be left out (「共有の範囲」 and
    「共有範囲」 are one name)."""
    spelled = sorted(words, key=len, reverse=True)
    parts = [re.escape(w).replace(r"\ ", r"\s*").replace("の", "の?") for w in spelled]
    return re.compile("|".join(parts), re.IGNORECASE)


_IN_USE: ContextVar[ItemWords | None] = ContextVar("answer_words", default=None)


@functools.cache
def _shipped() -> ItemWords:
    return load_item_words(default_rules_dir())


def current() -> ItemWords:
    """The words of the rules folder being read with (:func:`using`), else the shipped ones."""
    return _IN_USE.get() or _shipped()


@contextmanager
def using(rules_dir: Path | None) -> Iterator[None]:
    token = _IN_USE.set(load_item_words(rules_dir) if rules_dir else None)
    try:
        yield
    finally:
        _IN_USE.reset(token)
