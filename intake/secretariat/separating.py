"""Splitting messages off a case into a new one (``intake split CASE_ID MESSAGE_NUMBER…``): for a
mail that joined a case it does not belong to (a colleague answered an old thread about another
matter). The messages named — by the numbers ``intake show --json`` gives as ``id`` — leave with
everything hanging off them (their attachments, the forms read from those, their security rows,
password offers) and the replies that answered them; a new case of the same mailbox opens for
them. Both cases are evaluated again, with no reply (the sender did nothing). Audited on both
cases with every moved row's id; ``intake merge NEW_ID --into CASE_ID`` puts it back.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.cases.refresh import refresh_case
from intake.cases.threads import new_case_id
from intake.config import Config
from intake.db import audit
from intake.db.tables import Case, Message, OutboxReply
from intake.secretariat.merging import (
    FINAL,
    MergeRefused,
    Moved,
    case_tables,
    get_case,
    lock_cases,
    move_rows,
    refuse_purged,
    rows_to_take,
)


def split_off(session: Session, case_id: str, message_ids: list[int], *, by: str, config: Config) -> Moved:
    """Move the messages ``message_ids`` of ``case_id`` (and what hangs off them) into a new case."""
    session.flush()
    lock_cases(session, case_id)
    case = get_case(session, case_id)
    leaving = _leaving(session, case, message_ids)
    first = next(m for m in leaving if m.direction == "in")
    new = Case(
        id=new_case_id(session, config.get_mailbox(case.mailbox).case_prefix, first.received_at),
        mailbox=case.mailbox,
        kind=case.kind,
        sender=first.from_addr,
        sender_name=first.from_name,
        subject=first.subject,
        forwarded=first.forwarded,
        received_at=first.received_at,
    )
    session.add(new)
    session.flush()
    moved = Moved(source=case.id, target=new.id, status=case.status)
    answers = _answers(session, case.id, leaving)
    messages = [m.id for m in leaving] + _reply_records(session, case.id, answers)
    picked = {"message": messages, "outboxreply": answers}
    for table in case_tables():
        ids = rows_to_take(session, table, picked, {}, moved.rows, case.id)
        if ids:
            move_rows(session, table, ids, source=case.id, to=new.id)
            moved.rows[table.name] = ids
    audit.record(
        session, by=by, action="split_off", case_id=case.id, detail={"case": new.id, "moved": moved.rows}
    )
    audit.record(
        session, by=by, action="split_from", case_id=new.id, detail={"from": case.id, "moved": moved.counts()}
    )
    session.flush()
    session.expire_all()  # the rows were moved by statements: read them again
    refresh_case(session, config=config, case_id=case.id, reply=False)
    refresh_case(session, config=config, case_id=new.id, reply=False)
    return moved


def _leaving(session: Session, case: Case, message_ids: list[int]) -> list[Message]:
    """The case's messages named, checked: each of the case, one from the sender among them, and
    not all of them (what stays is still a case)."""
    if case.merged_into is not None:
        message = f"{case.id} is merged into {case.merged_into}: its messages are there"
        raise MergeRefused("refused_merged", message, case=case.id, into=case.merged_into)
    refuse_purged(case)
    if case.status == FINAL:
        message = f"{case.id} is accepted: the register was changed from it, so nothing may move in or out"
        raise MergeRefused("refused_accepted", message, case=case.id)
    wanted = set(message_ids)
    mine = list(session.exec(select(Message).where(Message.case_id == case.id).order_by(col(Message.id))))
    leaving = [m for m in mine if m.id in wanted]
    unknown = sorted(wanted - {m.id for m in leaving})
    if unknown:
        numbers = ", ".join(map(str, unknown))
        message = f"{case.id} has no message {numbers} (intake show {case.id} --json lists them as id)"
        raise MergeRefused("refused_no_message", message, case=case.id, numbers=numbers)
    if not any(m.direction == "in" for m in leaving):
        message = "name at least one message that came in: a new case opens for what someone sent"
        raise MergeRefused("refused_no_incoming", message, case=case.id)
    if len(leaving) == len(mine):
        message = f"those are all of {case.id}'s messages: nothing would be left in it"
        raise MergeRefused("refused_all_messages", message, case=case.id)
    return leaving


def _answers(session: Session, case_id: str, leaving: list[Message]) -> list[int]:
    """The outbox replies of the case that answered a message leaving."""
    ids = [m.message_id for m in leaving if m.message_id]
    if not ids:
        return []
    query = select(OutboxReply.id).where(
        OutboxReply.case_id == case_id, col(OutboxReply.in_reply_to).in_(ids)
    )
    return [i for i in session.exec(query.order_by(col(OutboxReply.id))) if i is not None]


def _reply_records(session: Session, case_id: str, reply_ids: list[int]) -> list[int]:
    """The case's own record of each of those replies (an outgoing message, ``outbox:ID``)."""
    refs = [f"outbox:{i}" for i in reply_ids]
    if not refs:
        return []
    query = select(Message.id).where(Message.case_id == case_id, col(Message.source_ref).in_(refs))
    return [i for i in session.exec(query.order_by(col(Message.id))) if i is not None]
