"""Submission-level checks on the attachments themselves (Q3 ②③, Q14 ②③).

Q3 asks for the forms as Word files (not converted to PDF), encrypted, with the password given by
phone. A file with macros (.docm, an embedded VBA project) is never opened further. A zip file is
not a wrong format: senders put the Word file in a password zip, which is opened like a document.
"""

from __future__ import annotations

from intake.checks.base import WORD_FORMATS, CheckContext, RuleFinding, check, join
from intake.checks.facts import AttachmentFacts, CaseFacts


def _name(att: AttachmentFacts) -> str:
    return att.filename or f"attachment {att.id}"


def current_word_files(facts: CaseFacts) -> list[AttachmentFacts]:
    """The Word attachments that count now: the newest one per document; every unidentified one
    that could still be a form (not yet read: waiting for its password, or unreadable)."""
    words = [a for a in facts.attachments if a.format in WORD_FORMATS and not a.macro]
    newest: dict[str, AttachmentFacts] = {}
    for att in words:
        if att.document and (att.document not in newest or att.id > newest[att.document].id):
            newest[att.document] = att
    unknown = [a for a in words if a.document is None and a.state in ("password_pending", "failed")]
    return sorted([*newest.values(), *unknown], key=lambda a: a.id)


#: a scan or photo of a form (whatever its name): without any Word file, it was sent instead of one
_PICTURES = ("pdf", "image")


@check("word_format_required", "A PDF, image or other file was sent instead of the Word form.")
def word_format_required(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    has_word = {a.document for a in facts.attachments if a.format in WORD_FORMATS}
    has_word |= {f.document for f in facts.forms}
    any_word = bool(has_word)
    wrong = [
        a
        for a in facts.attachments
        if a.format not in (*WORD_FORMATS, "zip")  # a (password) zip may carry the Word file
        and (
            (a.document is not None and a.document not in has_word)
            or (a.document is None and a.format in _PICTURES and not any_word)
        )
    ]
    if not wrong:
        return []
    docs = [ctx.data.documents.get(a.document) if a.document else None for a in wrong]
    return [
        ctx.finding(
            "word_format_required",
            {
                "filename": join([_name(a) for a in wrong]),
                "document": join([d.ja if d else "申込書類" for d in docs]),
                "document_en": join([d.en if d else "form" for d in docs], ", "),
            },
        )
    ]


@check("encryption_required", "The Word file arrived unencrypted (processed anyway; the sender is reminded).")
def encryption_required(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    plain = [a for a in current_word_files(facts) if not a.encrypted]
    if not plain:
        return []
    return [ctx.finding("encryption_required", {"filename": join([_name(a) for a in plain])})]


@check("macro_enabled_document", "A file with macros (.docm / VBA project): not opened, staff warned.")
def macro_enabled_document(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    found = [a for a in facts.attachments if a.macro]
    if not found:
        return []
    return [ctx.finding("macro_enabled_document", {"filename": join([_name(a) for a in found])})]


@check("password_pending", "An encrypted file waits for staff to type the phoned-in password.")
def password_pending(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    found = [a for a in facts.attachments if a.state == "password_pending"]
    if not found:
        return []
    return [ctx.finding("password_pending", {"filename": join([_name(a) for a in found])})]


_FORM_SUFFIXES = (".docx", ".doc", ".zip", ".tnef", "winmail.dat")  # Outlook's TNEF may wrap the form


@check(
    "attachment_unreadable",
    "A file that could be the form was refused or could not be read: the sender must send it again.",
)
def attachment_unreadable(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    """A damaged, over-limit or otherwise unreadable Word file or zip counts as not received
    (never acknowledged), until a later attachment of the same document is read."""
    unreadable = [a for a in facts.attachments if _unreadable_form(a) and not _superseded(a, facts)]
    if not unreadable:
        return []
    reasons = [f"{_name(a)}: {a.detail}" if a.detail else _name(a) for a in unreadable]
    return [
        ctx.finding(
            "attachment_unreadable",
            {"filename": join([_name(a) for a in unreadable]), "reason": join(reasons, "; ")},
        )
    ]


def _unreadable_form(att: AttachmentFacts) -> bool:
    if att.state not in ("failed", "rejected") or att.macro:
        return False
    named_like_form = (att.filename or "").lower().endswith(_FORM_SUFFIXES)
    return att.format in (*WORD_FORMATS, "zip") or att.document is not None or named_like_form


def _superseded(att: AttachmentFacts, facts: CaseFacts) -> bool:
    """A later attachment was read as the same form (any form, when this one's kind is unknown)."""
    return any(
        form.attachment_id > att.id and (att.document is None or form.document == att.document)
        for form in facts.forms
    )


@check(
    "form_not_found",
    "No form was found or is waiting to be read, and nothing else asks the sender (staff only).",
)
def form_not_found(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    """A membership case with no form read, none waiting for a password or unreadable, and no
    photo or scan to ask a Word file for: staff decide (a question, a form of another kind, a
    file nobody can tell), so the case is never silent."""
    if facts.forms or any(_may_hold_form(a) for a in facts.attachments):
        return []
    names = [_name(a) for a in facts.attachments]
    return [ctx.finding("form_not_found", {"filename": join(names) if names else "なし"})]


def _may_hold_form(att: AttachmentFacts) -> bool:
    """Another check speaks for it: waiting for its password, unreadable, or a scan / photo /
    file named as a form (word_format_required)."""
    if att.state == "password_pending" or _unreadable_form(att) or att.macro:
        return True
    return att.format in _PICTURES or (att.document is not None and att.format not in WORD_FORMATS)


CHECKS = (
    word_format_required,
    form_not_found,
    encryption_required,
    macro_enabled_document,
    password_pending,
    attachment_unreadable,
)
