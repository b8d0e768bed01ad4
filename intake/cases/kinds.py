"""The kind of a case, from its mailbox's profile and the forms it holds (interface.md)."""

from __future__ import annotations

from collections.abc import Iterable

from intake.forms.naming import APPLICATION, STAFF_REGISTRATION


def case_kind(profile: str, documents: Iterable[str | None]) -> str:
    """``incident_report`` for the incident mailbox; else ``membership_application`` when an
    application (加入申込書) is among the documents, ``staff_registration`` when only a staff
    registration (事務従事者登録届) is, and ``other`` otherwise."""
    if profile == "incident":
        return "incident_report"
    found = set(documents)
    if APPLICATION in found:
        return "membership_application"
    if STAFF_REGISTRATION in found:
        return "staff_registration"
    return "other"
