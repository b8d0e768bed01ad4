"""What an attachment's file name says about the form in it (Q3 ①, Q14 ①).

The Council asks for ``yymmdd_協議会加入申込書（組織・団体名）.docx`` and
``yymmdd_事務従事者登録届（組織・団体名）.docx``: the form's name, then the organisation in brackets.
加入申込書（申込み事項変更届） is the membership application (also used to notify changes);
事務従事者登録届 the registration of the people who may handle secret information.
"""

from __future__ import annotations

import re
import unicodedata

from intake.forms.normalize import fold

APPLICATION = "application"
STAFF_REGISTRATION = "staff_registration"

_DOCUMENT_WORDS = (
    (APPLICATION, ("加入申込書", "申込み事項変更届", "申込事項変更届")),
    (STAFF_REGISTRATION, ("事務従事者登録届", "事務従事者登録")),
)
# NFKC turns full-width brackets into ASCII ones, so one pattern reads both.
_ORG_IN_NAME = re.compile(r"\((?P<org>[^()]+)\)\s*(?:\.[A-Za-z0-9]+)?\s*$")


def document_from_filename(filename: str | None) -> str | None:
    """``application`` / ``staff_registration`` when the name says which form it is, else None."""
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
