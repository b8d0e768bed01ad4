"""Opening attachments: decrypting with the phoned-in password and reading the forms inside.

The encrypted bytes are taken from the archived message each time (the archive is the only copy);
decrypted bytes stay in memory unless ``storage.keep_decrypted`` is on. A wrong password counts an
attempt and leaves an audit entry — never the password itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from intake.cases.formrows import form_specs, store_form
from intake.cases.scanning import Scanner
from intake.config import Config
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import Attachment, Case, Message
from intake.documents import (
    ContainerLimits,
    convert_doc_to_docx,
    decrypt_office,
    find_soffice,
    open_zip,
    triage,
)
from intake.errors import DocumentError, LimitExceeded, NotFound, WrongPassword
from intake.forms import ExtractedForm, extract_form
from intake.forms.naming import org_from_filename

log = logging.getLogger(__name__)
DOCUMENT_NAMES = {"application": "加入申込書", "staff_registration": "事務従事者登録届"}


@dataclass(frozen=True)
class Said:
    """One thing opening a file found: ``key`` of ``[unlock]`` in rules/labels.toml with its
    ``values`` (what staff read), and the same in English for the log and the command line."""

    key: str
    english: str
    values: dict[str, object] = field(default_factory=dict)

    def as_detail(self) -> dict[str, object]:
        """As kept in the audit log's detail."""
        return {"said": self.key, **self.values}


@dataclass
class OpenResult:
    attachment_id: int
    case_id: str
    opened: bool
    state: str
    summary: list[str] = field(default_factory=list)
    said: list[Said] = field(default_factory=list)  # the summary, as staff read it (labels)


@dataclass
class PendingAttachment:
    id: int
    case_id: str
    sender: str
    org: str | None
    filename: str | None
    received_at: datetime
    attempts: int


def pending_attachments(session: Session) -> list[PendingAttachment]:
    rows = session.exec(
        select(Attachment, Case.sender, Message.received_at)
        .join(Case, col(Case.id) == Attachment.case_id)
        .join(Message, col(Message.id) == Attachment.message_pk)
        .where(Attachment.state == "password_pending")
        .order_by(col(Message.received_at), col(Attachment.id))
    ).all()
    return [
        PendingAttachment(
            stored_id(a), a.case_id, sender, org_from_filename(a.filename), a.filename, when, a.attempts
        )
        for a, sender, when in rows
    ]


def attachment_bytes(session: Session, config: Config, attachment: Attachment) -> bytes:
    """The attachment's bytes, taken again from the archived message."""
    from intake.archive import read_archived  # the mail parser: not for listing what is pending

    message = session.get(Message, attachment.message_pk)
    if message is None:
        raise DocumentError(
            f"attachment {attachment.id}: its message is no longer stored",
            label="attachment_message_gone",
            attachment=attachment.id,
        )
    for part in read_archived(config, message.sha256).attachments:
        if part.index == attachment.part_index:
            return part.payload
    raise DocumentError(
        f"attachment {attachment.id} is no longer found in its archived message",
        label="attachment_not_in_message",
        attachment=attachment.id,
    )


def open_attachment(
    session: Session,
    *,
    config: Config,
    attachment_id: int,
    password: str,
    by: str,
    via: str = "staff",
    payload: bytes | None = None,
    message_pk: int | None = None,
) -> OpenResult:
    """Decrypt one pending attachment and read its forms; the caller refreshes the case (see
    :func:`unlock`) and commits, also after a wrong password. ``payload``: the attachment's bytes
    when the caller has the message parsed already (else they are read from the archive); ``via``:
    who gave the password (``staff``, ``expected_password``), ``message_pk`` the mail it was read
    from."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.state != "password_pending":
        raise NotFound(
            f"no attachment {attachment_id} waiting for a password",
            label="attachment_not_pending",
            attachment=attachment_id,
        )
    attachment.attempts += 1
    session.add(attachment)
    data = payload if payload is not None else attachment_bytes(session, config, attachment)
    try:
        documents = _decrypt(config, attachment, data, password)
    except WrongPassword:
        _audit(session, attachment, by, "unlock_refused", {"attempt": attachment.attempts}, via, message_pk)
        return OpenResult(attachment_id, attachment.case_id, False, attachment.state)
    except (DocumentError, LimitExceeded) as exc:
        attachment.state = "rejected" if isinstance(exc, LimitExceeded) else "failed"
        attachment.detail = str(exc)
        said = Said("not_opened", str(exc), {"state": attachment.state})
        _audit(session, attachment, by, "unlock_failed", {"read": [said.as_detail()]}, via, message_pk)
        return OpenResult(attachment_id, attachment.case_id, False, attachment.state, [str(exc)], [said])
    attachment.state = "decrypted"
    Scanner(config).scan(session, attachment, documents)  # what the encryption hid from the first scan
    found = read_documents(session, config=config, attachment=attachment, documents=documents)
    action = "unlocked" if attachment.state == "decrypted" else "unlocked_unreadable"
    _audit(session, attachment, by, action, {"read": [s.as_detail() for s in found]}, via, message_pk)
    summary = [s.english for s in found]
    return OpenResult(attachment_id, attachment.case_id, True, attachment.state, summary, found)


def unlock(session: Session, *, config: Config, attachment_id: int, password: str, by: str) -> OpenResult:
    """Staff typed the phoned-in password: open the attachment, and evaluate the case again when
    that changed anything (a reply may follow); the caller commits."""
    from intake.cases.refresh import refresh_case  # the checks and replies: not for listing what is pending

    result = open_attachment(session, config=config, attachment_id=attachment_id, password=password, by=by)
    if result.state != "password_pending":
        refresh_case(
            session, config=config, case_id=result.case_id, trigger=reply_trigger(session, result.case_id)
        )
    return result


def reply_trigger(session: Session, case_id: str) -> Message | None:
    """The mail a reply answers once staff opened a file: the case's newest mail from a person
    (a password sent by a gateway's ``noreply@`` address joined the case after the form), or
    None to let the case's newest decide."""
    query = select(Message).where(
        Message.case_id == case_id, Message.direction == "in", col(Message.no_reply_reason).is_(None)
    )
    return session.exec(query.order_by(col(Message.received_at).desc(), col(Message.id).desc())).first()


def _decrypt(
    config: Config, attachment: Attachment, data: bytes, password: str
) -> list[tuple[str | None, bytes]]:
    if attachment.format == "zip":
        members = open_zip(data, password, ContainerLimits.from_config(config.limits))
        return [(m.name, _maybe_decrypt(m.data, m.name, password)) for m in members]
    return [(attachment.filename, decrypt_office(data, password))]


def _maybe_decrypt(data: bytes, name: str, password: str) -> bytes:
    """A zip member that is itself an encrypted Word file: the same password usually opens it."""
    if triage(data, name).encrypted:
        try:
            return decrypt_office(data, password)
        except WrongPassword:
            return data
    return data


@dataclass(frozen=True)
class ReadDocument:
    """One document of an attachment as read, before anything is written (the slow part:
    unpacking, converting a .doc, reading the form's XML)."""

    name: str | None
    label: str
    data: bytes
    said: Said | None = None  # what staff are told when no form is stored
    macro: bool = False
    failure: tuple[str, str] | None = None  # (attachment state, detail): failed or rejected
    form: ExtractedForm | None = None


def read_document(config: Config, name: str | None, data: bytes, *, fallback: str | None) -> ReadDocument:
    """Read one document: a Word form, or the plain reason why not (no database)."""
    label = name or fallback or "attachment"
    found = triage(data, name)

    def said(key: str, english: str, **values: object) -> Said:
        return Said(key, f"{label}: {english}", {"file": label, **values})

    if found.macro:
        return ReadDocument(
            name, label, data, said("macro", "macro-enabled document, not opened"), macro=True
        )
    if found.encrypted:
        return ReadDocument(
            name, label, data, said("still_encrypted", "still encrypted with another password")
        )
    if found.format not in ("doc", "docx"):
        note = said("not_word", f"{found.detail} — not a Word form", format=found.format)
        return ReadDocument(name, label, data, note)
    try:
        form = _extract(config, found.format, data)
    except (DocumentError, LimitExceeded) as exc:
        state = "rejected" if isinstance(exc, LimitExceeded) else "failed"
        note = said("not_read", str(exc), state=state)
        return ReadDocument(name, label, data, note, failure=(state, f"{label}: {exc}"))
    if form is None:
        note = said("no_libreoffice", "old Word (.doc) file — LibreOffice is not installed, open it by hand")
        return ReadDocument(name, label, data, note)
    if form.document is None:
        return ReadDocument(
            name, label, data, said("not_council_form", "a Word document that is neither Council form")
        )
    return ReadDocument(name, label, data, form=form)


def read_documents(
    session: Session, *, config: Config, attachment: Attachment, documents: list[tuple[str | None, bytes]]
) -> list[Said]:
    """Read every Word form among ``documents`` into the database; returns what was found."""
    read = [read_document(config, name, data, fallback=attachment.filename) for name, data in documents]
    return store_documents(session, config=config, attachment=attachment, documents=read)


def store_documents(
    session: Session, *, config: Config, attachment: Attachment, documents: list[ReadDocument]
) -> list[Said]:
    """Write what was read: each form, and on the attachment what could not be read — ``failed``
    (or ``rejected`` over a limit) with the reason, which the checks then report."""
    summary = []
    for document in documents:
        _keep_decrypted(config, attachment, document.name, document.data)
        summary.append(_store_one(session, attachment, document))
    session.add(attachment)
    return summary


def _store_one(session: Session, attachment: Attachment, document: ReadDocument) -> Said:
    if document.macro:
        attachment.macro = True
    if document.failure is not None:
        attachment.state, attachment.detail = document.failure
    form = document.form
    if form is None:
        assert document.said is not None  # a document without a form says why
        return document.said
    assert form.document is not None  # a ReadDocument carries only a recognised form
    attachment.document = form.document
    store_form(session, attachment, form)
    read = (
        sum(1 for v in form.fields.values() if v.value) if form.document == "application" else len(form.staff)
    )
    unit = "fields read" if form.document == "application" else "people read"
    problems = f", {len(form.problems)} not readable" if form.problems else ""
    english = f"{DOCUMENT_NAMES[form.document]}: {read} {unit}{problems}"
    key = "fields_read" if form.document == "application" else "people_read"
    return Said(key, english, {"document": form.document, "read": read, "unreadable": len(form.problems)})


def _extract(config: Config, kind: str, data: bytes) -> ExtractedForm | None:
    """The form in a .docx, or in a .doc converted by LibreOffice (None: LibreOffice is missing)."""
    if kind == "doc":
        soffice = find_soffice(config.documents.soffice or None)
        if soffice is None:
            return None
        data = convert_doc_to_docx(data, soffice=soffice)
    return extract_form(
        data, specs=form_specs(config.rules_path), limits=ContainerLimits.from_config(config.limits)
    )


def _keep_decrypted(config: Config, attachment: Attachment, name: str | None, data: bytes) -> None:
    if not config.storage.keep_decrypted:
        return
    folder = config.storage.archive_dir / "decrypted"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{attachment.id}_{Path(name or 'document').name}"
    target.touch(mode=0o600)
    target.write_bytes(data)


def _audit(
    session: Session,
    attachment: Attachment,
    by: str,
    action: str,
    detail: dict[str, object],
    via: str,
    message_pk: int | None,
) -> None:
    """An unlock's audit entry: which attachment, who gave the password (and from which mail)."""
    entry = {"attachment": attachment.id, "via": via, "message": message_pk, **detail}
    audit.record(session, by=by, action=action, case_id=attachment.case_id, detail=entry)
