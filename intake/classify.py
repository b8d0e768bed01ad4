"""What a message is about: the case kind, and what its attachment names say.

Japanese terms:
  加入申込書（申込み事項変更届） — the membership application (also used to notify changes);
  事務従事者登録届 — the registration of staff who may handle secret information.
File names follow ``yymmdd_協議会加入申込書（組織・団体名）.docx`` (Q3 ①, Q14 ①).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

APPLICATION = "application"
STAFF_REGISTRATION = "staff_registration"

_DOCUMENT_WORDS = (
    (APPLICATION, ("加入申込書", "申込み事項変更届", "申込事項変更届")),
    (STAFF_REGISTRATION, ("事務従事者登録届", "事務従事者登録")),
)
# NFKC turns full-width brackets into ASCII ones, so one pattern reads both.
_ORG_IN_NAME = re.compile(r"\((?P<org>[^()]+)\)\s*(?:\.[A-Za-z0-9]+)?\s*$")


def fold(text: str) -> str:
    """NFKC and no white space: how labels and names are compared (the original is kept)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def document_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    folded = fold(filename)
    for document, words in _DOCUMENT_WORDS:
        if any(word in folded for word in words):
            return document
    return None


def org_from_filename(filename: str | None) -> str | None:
    """The organisation written in brackets at the end of the file name, if any."""
    if not filename:
        return None
    match = _ORG_IN_NAME.search(unicodedata.normalize("NFKC", filename))
    return match.group("org").strip() if match else None


def case_kind(profile: str, documents: Iterable[str | None]) -> str:
    """The case kind from the mailbox profile and the documents seen so far."""
    if profile == "incident":
        return "incident_report"
    found = set(documents)
    if APPLICATION in found:
        return "membership_application"
    if STAFF_REGISTRATION in found:
        return "staff_registration"
    return "other"
