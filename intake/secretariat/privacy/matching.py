"""What a person is looked for by: the names, e-mail addresses (or phone numbers) staff give.

A term matches text whatever its width (NFKC), case and the white space inside it: 協議会　太郎
(with an ideographic space) matches 協議会太郎 and 協議会 太郎. Masking replaces each match by
:data:`MASK` in the NFKC form of the text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

from intake.errors import IntakeError

MASK = "＊＊＊"
MIN_LENGTH = 2  # one character would match half the database


def nfkc(text: str) -> str:
    """Unicode NFKC: full-width letters, digits and spaces as their plain forms."""
    return unicodedata.normalize("NFKC", text)


class Terms:
    """The terms of one request; :meth:`found` and :meth:`mask` work on any text."""

    def __init__(self, terms: Iterable[str]) -> None:
        folded = ["".join(nfkc(t).split()) for t in terms]
        if not folded or any(len(t) < MIN_LENGTH for t in folded):
            raise IntakeError(
                f"give a name or an e-mail address of at least {MIN_LENGTH} characters",
                label="person_terms_short",
                min_length=MIN_LENGTH,
            )
        self._patterns = [re.compile(r"\s*".join(map(re.escape, t)), re.IGNORECASE) for t in folded]

    def found(self, text: str | None) -> bool:
        if not text:
            return False
        normal = nfkc(text)
        return any(p.search(normal) for p in self._patterns)

    def mask(self, text: str) -> str:
        """``text`` with every match masked; unchanged (not even normalised) when nothing matches."""
        if not self.found(text):
            return text
        normal = nfkc(text)
        for pattern in self._patterns:
            normal = pattern.sub(MASK, normal)
        return normal

    def mask_json(self, text: str) -> str:
        """The same inside every string of a JSON document (the document stays valid JSON)."""
        data = json.loads(text)
        masked = _masked(data, self)
        return text if masked == data else json.dumps(masked, ensure_ascii=False)


def _masked(value: object, terms: Terms) -> object:
    if isinstance(value, str):
        return terms.mask(value)
    if isinstance(value, list):
        return [_masked(v, terms) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, terms) for k, v in value.items()}
    return value


EMAIL = re.compile(r"[^\s<>\"'@,;:()]+@[^\s<>\"'@,;:()]+\.[A-Za-z0-9-]+")


def mask_addresses(text: str) -> str:
    """Every e-mail address in ``text`` masked (for records that only need to say what was done)."""
    return EMAIL.sub(MASK, text)
