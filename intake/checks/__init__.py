"""The Council's rules, applied to one case.

``evaluate(facts, rules_dir=…)`` runs the checks that ``rules/checks.toml`` lists for the case's
profile (membership / incident): the ``case`` rows once, an ``application`` or
``staff_registration`` row once for the newest form of that document, if the case has one. It
returns every finding, messages rendered from ``rules/findings.toml``, in table order, one per
code. Everything is a function of :class:`~intake.checks.facts.CaseFacts`: no database, no I/O
beyond reading the rules once per folder.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from intake.checks.answers.confirmations import CONFIRMATION_BLOCK, read_confirmations
from intake.checks.base import CheckContext, RuleFinding, current_form
from intake.checks.corporate import corporate_number_valid
from intake.checks.facts import CaseFacts
from intake.checks.password import find_password
from intake.checks.registry import REGISTRY
from intake.checks.rules import Rules, load_rules

__all__ = [
    "CONFIRMATION_BLOCK",
    "CheckContext",
    "RuleFinding",
    "Rules",
    "corporate_number_valid",
    "evaluate",
    "find_password",
    "load_rules",
    "read_confirmations",
]


def evaluate(facts: CaseFacts, *, rules_dir: Path) -> list[RuleFinding]:
    """Every finding for the case, in the table's order, duplicates (same code) removed."""
    rules = load_rules(rules_dir)
    base = CheckContext(specs=rules.specs, data=rules.data, catalogue=rules.catalogue)
    found: list[RuleFinding] = []
    for step in rules.data.table.get(facts.profile, ()):
        if step.document == "case":
            ctx = base
        else:
            form = current_form(facts, step.document)
            if form is None:
                continue
            ctx = replace(base, form=form)
        for name in step.checks:
            found.extend(REGISTRY[name].check(facts, ctx))
    return _unique(found)


def _unique(findings: list[RuleFinding]) -> list[RuleFinding]:
    seen: set[str] = set()
    out = []
    for finding in findings:
        if finding.code not in seen:
            seen.add(finding.code)
            out.append(finding)
    return out
