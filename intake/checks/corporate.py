"""``corporate_number_invalid``: 2(3) 法人番号 (corporate number) given but not valid.

A 法人番号 is 13 digits: a leading check digit and 12 base digits. National Tax Agency rule: number
the base digits n = 1..12 from the LAST one, weight 1 for odd n and 2 for even n; the check digit
is 9 − (Σ digit × weight mod 9). Examples: 7000012050002 (国税庁 itself), 2021001052596.
Full-width digits, spaces, hyphens and the 「T」 of an invoice number are tolerated. Groups without
legal personality have no 法人番号 (Q4): an empty item is not a finding.
"""

from __future__ import annotations

import re

from intake.checks.base import CheckContext, RuleFinding, check, field_value
from intake.checks.facts import CaseFacts
from intake.forms.normalize import normalize_corporate_number


def check_digit(base12: str) -> int:
    """The check digit of 12 base digits."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def corporate_number_valid(s: str) -> bool:
    """True for 13 digits (after normalising) whose first digit is the right check digit."""
    value, ok = normalize_corporate_number(s or "")
    return ok and re.fullmatch(r"\d{13}", value) is not None and int(value[0]) == check_digit(value[1:])


@check("corporate_number_invalid", "2(3) 法人番号 given but not 13 digits, or its check digit is wrong.")
def corporate_number_invalid(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    given = field_value(ctx.form, "corporate_number")
    if given is None or corporate_number_valid(given):
        return []
    _, thirteen = normalize_corporate_number(given)
    return [ctx.finding("corporate_number_invalid", {"value": given}, variant=None if thirteen else "length")]
