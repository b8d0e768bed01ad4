"""Every check by name: the names ``rules/checks.toml`` may list."""

from __future__ import annotations

from intake.checks import (
    applicant,
    attachments,
    authenticity,
    corporate,
    delivery,
    fields,
    filename_format,
    filename_org,
    incident,
    long_text,
    mailing_list,
    malware,
    password,
    period,
    poc,
    register,
    secrets,
    sender,
)
from intake.checks.base import Check

_ALL: tuple[Check, ...] = (
    *attachments.CHECKS,
    filename_format.filename_format,
    filename_org.filename_org_mismatch,
    password.password_in_email,
    period.outside_recruitment_period,
    *fields.CHECKS,
    corporate.corporate_number_invalid,
    *applicant.CHECKS,
    *secrets.CHECKS,
    *poc.CHECKS,
    mailing_list.mailing_list_address,
    *register.CHECKS,
    sender.sender_not_on_file,
    *incident.CHECKS,
    *delivery.CHECKS,
    *authenticity.CHECKS,
    *long_text.CHECKS,
    *malware.CHECKS,
)

REGISTRY: dict[str, Check] = {c.name: c for c in _ALL}
