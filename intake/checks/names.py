"""Comparing organisation names, people and e-mail addresses the way staff would.

Organisation names: NFKC (full-width letters and brackets folded, ㈱ → (株)), no white space, Latin
letters case-folded, and the abbreviated legal forms applicants use in file names expanded
(㈱ / (株) → 株式会社 …, from ``[legal_forms]`` of checks.toml). People: by e-mail address, else by
name with all spaces removed (「山田　太郎」 = 「山田太郎」).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.utils import parseaddr

from intake.checks.facts import PersonOnFile, StaffFacts
from intake.forms.normalize import fold, normalize_email


def org_key(name: str, legal_forms: tuple[tuple[str, str], ...]) -> str:
    """The comparable form of an organisation name, abbreviations expanded."""
    key = fold(name).casefold()
    for abbrev, full in legal_forms:
        key = key.replace(abbrev.casefold(), full.casefold())
    return key


def org_key_bare(name: str, legal_forms: tuple[tuple[str, str], ...]) -> str:
    """:func:`org_key` with every legal form removed (「テスト株式会社」 → 「テスト」)."""
    key = org_key(name, legal_forms)
    for full in sorted({f.casefold() for _, f in legal_forms}, key=len, reverse=True):
        key = key.replace(full, "")
    return key


def email_key(address: str | None) -> str | None:
    """An address as compared: NFKC, no spaces or ``mailto:``, lower case; None when empty."""
    if not address or not address.strip():
        return None
    if "<" in address:
        address = parseaddr(address)[1] or address
    return normalize_email(address)[0].casefold()


def name_key(name: str | None) -> str | None:
    """A person's name as compared: NFKC, no spaces, case-folded; None when empty."""
    if not name or not name.strip():
        return None
    return fold(name).casefold()


def domain_of(address: str | None) -> str:
    key = email_key(address) or ""
    return key.rpartition("@")[2]


def is_free_mail(address: str | None, domains: frozenset[str]) -> bool:
    """The address is at a free-mail or mobile-carrier domain (or a sub-domain of one)."""
    domain = domain_of(address)
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)


def same_person(fields: Mapping[str, str | None], name: str | None, email: str | None) -> bool:
    """A block's fields name this person: same e-mail, else same name."""
    mine = email_key(fields.get("email"))
    if mine and mine == email_key(email):
        return True
    key = name_key(fields.get("name"))
    return bool(key) and key == name_key(name)


def find_person(fields: Mapping[str, str | None], people: Iterable[PersonOnFile]) -> PersonOnFile | None:
    """The registered person a block describes: by e-mail first, else by name."""
    people = tuple(people)
    mine = email_key(fields.get("email"))
    for person in people:
        if mine and mine == email_key(person.email):
            return person
    key = name_key(fields.get("name"))
    return next((p for p in people if key and key == name_key(p.name)), None)


def describe(block: StaffFacts) -> str:
    """「事務従事者２（山田　太郎）」: how a person block is named in messages."""
    label = f"事務従事者{_fw(block.position)}"
    name = (block.fields.get("name") or "").strip()
    return f"{label}（{name}）" if name else label


def _fw(number: int) -> str:
    return re.sub(r"\d", lambda m: chr(0xFF10 + int(m.group())), str(number))
