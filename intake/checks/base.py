"""What every check shares: the finding it returns, the context it receives, and the check record.

A check is a plain function ``check(facts, ctx) -> list[RuleFinding]``. It builds each finding with
``ctx.finding(code, params)``, which looks the code up in ``rules/findings.toml`` and fills the
Japanese and English messages from the params once. Which checks run for which case is decided by
``rules/checks.toml`` (see :mod:`intake.checks.rules`), never by the checks themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intake.checks.facts import CaseFacts, FormFacts

if TYPE_CHECKING:
    from intake.checks.rules import Catalogue
    from intake.checks.rules_data import RulesData
    from intake.forms.spec import FormSpecs

SEVERITIES = ("missing", "warning", "info")


@dataclass(frozen=True)
class RuleFinding:
    """One finding: a stable ``code`` (domain.md), ``missing`` / ``warning`` / ``info``, the
    rendered messages (Japanese for the sender's checklist, English for staff) and the params."""

    code: str
    severity: str
    message_ja: str
    message_en: str
    params: dict = field(default_factory=dict)

    @property
    def family(self) -> str:
        """The catalogue entry: ``required_field`` for ``required_field:poc.email``."""
        return self.code.partition(":")[0]


@dataclass(frozen=True)
class CheckContext:
    """What a check may read besides the facts: the loaded rules data and, for a check listed
    under a document in the table, the form being checked (the newest one of that document)."""

    specs: FormSpecs
    data: RulesData
    catalogue: Catalogue
    form: FormFacts | None = None

    def finding(
        self, code: str, params: Mapping[str, object] | None = None, variant: str | None = None
    ) -> RuleFinding:
        """A finding for ``code`` with its messages rendered from ``params``."""
        clean = {k: "" if v is None else str(v) for k, v in (params or {}).items()}
        return self.catalogue.render(code, clean, variant)


CheckFn = Callable[[CaseFacts, CheckContext], list[RuleFinding]]


@dataclass(frozen=True)
class Check:
    """A named check: ``codes`` are the catalogue entries it may emit (checked at load time)."""

    name: str
    description: str
    codes: tuple[str, ...]
    check: CheckFn


def check(name: str, description: str, codes: tuple[str, ...] = ()) -> Callable[[CheckFn], Check]:
    """Decorator turning a function into a :class:`Check` (``codes`` default to ``(name,)``)."""

    def wrap(fn: CheckFn) -> Check:
        return Check(name, description, codes or (name,), fn)

    return wrap


# ---- helpers over CaseFacts ---------------------------------------------------------------

APPLICATION = "application"
STAFF_REGISTRATION = "staff_registration"
WORD_FORMATS = ("docx", "doc")


def current_form(facts: CaseFacts, document: str) -> FormFacts | None:
    """The newest form of one document in the case (a later submission supersedes earlier ones)."""
    found = [f for f in facts.forms if f.document == document]
    return max(found, key=lambda f: f.attachment_id) if found else None


def has_document(facts: CaseFacts, document: str) -> bool:
    """The case holds this document: read, or an attachment named or identified as it."""
    return current_form(facts, document) is not None or any(a.document == document for a in facts.attachments)


def field_value(form: FormFacts | None, key: str) -> str | None:
    """A field's value, stripped; None when absent or empty."""
    if form is None:
        return None
    value = form.fields.get(key)
    return (value.strip() or None) if isinstance(value, str) else None


def join(values: list[str] | tuple[str, ...], sep: str = "、") -> str:
    """Unique values in order, joined (「、」 is the Japanese list comma)."""
    return sep.join(dict.fromkeys(v for v in values if v))


_FULLWIDTH = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, "(": "（", ")": "）"})


def fullwidth(text: str) -> str:
    """「4(1)」 → 「４（１）」: how the forms print item numbers."""
    return text.translate(_FULLWIDTH)
