"""Commands for encrypted attachments: unlock, expect-password, check-office.

Passwords are read without echo (:func:`getpass.getpass`, which turns echo off *before* it writes
its prompt) or from the first line of standard input, and never printed. Each attempt is
committed on its own, so a wrong password's attempt count and audit entry are kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.cli.secrets import UsageProblem, hidden, read_line, stdin_password, typed_twice
from intake.clock import JST, as_utc
from intake.errors import DocumentError, NotFound, WrongPassword

if TYPE_CHECKING:
    from sqlmodel import Session

    from intake.cases.unlock import OpenResult, PendingAttachment

log = logging.getLogger(__name__)
WRONG_JA_EN = "パスワードが違います / wrong password"


@app.command()
def unlock(
    ctx: typer.Context,
    attachment_id: Annotated[
        int | None,
        typer.Argument(metavar="[ATTACHMENT_ID]", help="Open this one (default: pick from a list)."),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of standard input."),
    ] = False,
    from_message: Annotated[
        int | None,
        typer.Option(
            "--from-message",
            metavar="N",
            help="Try the password written in message N (of the case, or offered on it); never shown.",
        ),
    ] = None,
) -> None:
    """Open attachments waiting for a password: list them, pick one, type the password (not shown)."""
    rt: Runtime = ctx.obj
    if from_message is not None:
        if attachment_id is None or password_stdin:
            raise UsageProblem("--from-message needs an ATTACHMENT_ID, and no --password-stdin")
        _unlock_from_message(rt, attachment_id, from_message)
    elif password_stdin:
        if attachment_id is None:
            raise UsageProblem("--password-stdin needs an ATTACHMENT_ID")
        _unlock_once(rt, attachment_id, stdin_password())
    elif attachment_id is not None:
        _require_pending(rt, attachment_id)
        _ask_passwords(rt, attachment_id)
    else:
        _prompt_loop(rt)


def _unlock_once(rt: Runtime, attachment_id: int, password: str) -> None:
    """One attempt; exit 0 opened, 3 wrong password, 1 the file could not be read."""
    _report(rt, attachment_id, _attempt(rt, attachment_id, password))


def _unlock_from_message(rt: Runtime, attachment_id: int, message_pk: int) -> None:
    """The password in a mail, read from its archived copy now and tried (each candidate counts an
    attempt); committed whatever the outcome. Exit codes as with a typed password."""
    from intake.cases.password_mail import unlock_from_message
    from intake.db.tables import Case

    with rt.session() as session:
        result = unlock_from_message(
            session, config=rt.config, attachment_id=attachment_id, message_pk=message_pk, by=rt.by
        )
        session.commit()
        status = session.get_one(Case, result.case_id).status
    result.summary.append(f"case {result.case_id} is now {status}")
    _report(rt, attachment_id, result)


def _report(rt: Runtime, attachment_id: int, result: OpenResult) -> None:
    if result.opened:
        _print_opened(rt, result)
        if result.state in ("failed", "rejected"):
            raise DocumentError(
                f"attachment {attachment_id} opened, but it could not be read ({result.state})"
            )
        return
    if result.state == "password_pending":
        raise WrongPassword(f"{WRONG_JA_EN}: attachment {attachment_id} stays pending")
    detail = "; ".join(result.summary)
    raise DocumentError(f"attachment {attachment_id} could not be read ({result.state}): {detail}")


def _require_pending(rt: Runtime, attachment_id: int) -> None:
    from intake.db.tables import Attachment

    with rt.session() as session:
        attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.state != "password_pending":
        raise NotFound(f"no attachment {attachment_id} waiting for a password")


def _attempt(rt: Runtime, attachment_id: int, password: str) -> OpenResult:
    """Try ``password`` and commit, whatever the outcome (the attempt and its audit entry count)."""
    from intake.cases import unlock as unlocking
    from intake.db.tables import Case

    with rt.session() as session:
        result = unlocking.unlock(
            session, config=rt.config, attachment_id=attachment_id, password=password, by=rt.by
        )
        session.commit()
        status = session.get_one(Case, result.case_id).status
    log.debug("attachment %s: opened=%s, state %s", attachment_id, result.opened, result.state)
    result.summary.append(f"case {result.case_id} is now {status}")
    return result


def _print_opened(rt: Runtime, result: OpenResult) -> None:
    rt.out.print(
        f"[green]opened / 開封しました[/green]: attachment {result.attachment_id} of {result.case_id}"
    )
    for line in result.summary:
        rt.out.print(f"  {line}", markup=False)


def _prompt_loop(rt: Runtime) -> None:
    """List, pick, type passwords, until nothing is pending or staff quit (empty line or Ctrl-D)."""
    from intake.cases.unlock import pending_attachments

    while True:
        with rt.session() as session:
            items = pending_attachments(session)
        if not items:
            rt.out.print(
                "no attachments are waiting for a password / パスワード待ちの添付ファイルはありません"
            )
            return
        rt.out.print(_pending_table(items))
        _print_password_mails(rt, items)
        chosen = _choose(rt, items)
        if chosen is None or not _ask_passwords(rt, chosen.id):
            return


def _pending_table(items: list[PendingAttachment]) -> Table:
    table = Table(
        "#",
        "id",
        "case",
        "sender",
        "organisation",
        "file",
        "received (JST)",
        "attempts",
        title=f"waiting for a password: {len(items)}",
    )
    for number, p in enumerate(items, start=1):
        received = as_utc(p.received_at).astimezone(JST).strftime("%Y-%m-%d %H:%M")
        name = p.filename or "(no name)"
        add_row(table, number, p.id, p.case_id, p.sender, p.org or "", name, received, p.attempts)
    return table


def _print_password_mails(rt: Runtime, items: list[PendingAttachment]) -> None:
    """The mails that carry a password for a waiting file: one command opens it with theirs."""
    from intake.cases.password_mail import password_mails

    with rt.session() as session:
        found = {p.id: password_mails(session, p.case_id) for p in items}
    for attachment_id, mails in found.items():
        for mail in mails:
            line = f"attachment {attachment_id}: message {mail.message_pk} from {mail.from_addr} carries a password"
            rt.out.print(
                f"{line} — intake unlock {attachment_id} --from-message {mail.message_pk}", markup=False
            )


def _choose(rt: Runtime, items: list[PendingAttachment]) -> PendingAttachment | None:
    """Ask for a row number until a valid one is given; None when staff quit."""
    while True:
        answer = read_line(f"which one? (1-{len(items)}, empty to quit): ")
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(items):
            return items[int(answer) - 1]
        rt.out.print(f"please type a number from 1 to {len(items)}")


def _ask_passwords(rt: Runtime, attachment_id: int) -> bool:
    """Ask for the password until it opens the file; False when staff quit without opening it."""
    while True:
        password = hidden("password / パスワード (not shown, empty to quit): ")
        if not password:
            return False
        try:
            result = _attempt(rt, attachment_id, password)
        except NotFound as exc:  # opened or changed by someone else meanwhile
            rt.out.print(str(exc), markup=False)
            return True
        if result.opened:
            _print_opened(rt, result)
            return True
        if result.state != "password_pending":
            rt.out.print(f"could not be read ({result.state}): " + "; ".join(result.summary), markup=False)
            return True
        tries = _attempts(rt, attachment_id)
        rt.out.print(f"{WRONG_JA_EN} — the file stays pending; try again (attempts so far: {tries})")


def _attempts(rt: Runtime, attachment_id: int) -> int:
    from intake.db.tables import Attachment

    with rt.session() as session:
        return session.get_one(Attachment, attachment_id).attempts


@app.command("expect-password")
def expect_password(
    ctx: typer.Context,
    sender: Annotated[
        str | None, typer.Option("--sender", metavar="ADDRESS", help="The sender's address.")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", metavar="NAME", help="The organisation's name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read it from standard input (default: ask, not shown).")
    ] = False,
    ttl_hours: Annotated[
        int | None, typer.Option("--ttl-hours", min=1, help="Keep it this long (default: from the config).")
    ] = None,
) -> None:
    """Keep a password phoned in before its mail: used once, automatically, when the mail arrives."""
    from intake.cases.expected import PasswordVault, describe
    from intake.db.tables import ExpectedPassword

    rt: Runtime = ctx.obj
    if (sender is None) == (org is None):
        raise UsageProblem("give exactly one of --sender ADDRESS or --org NAME")
    if sender is not None and "@" not in sender:
        raise UsageProblem(f"--sender: {sender!r} is not a mail address")
    password = stdin_password() if password_stdin else typed_twice()
    ttl = ttl_hours or rt.config.documents.expected_password_ttl_hours
    with rt.session() as session:
        expected_id = PasswordVault(rt.config.storage.key_file).expect(
            session,
            sender=sender,
            org=org,
            password=password,
            ttl_hours=ttl,
            by=rt.by,
            rules_dir=rt.config.rules_path,
        )
        session.commit()
        row = session.get_one(ExpectedPassword, expected_id)
        whom, until = describe(row), as_utc(row.expires_at).astimezone(JST).strftime("%Y-%m-%d %H:%M JST")
        waiting = _already_waiting(session, sender, org, rt.config.rules_path)
    rt.out.print(f"password {expected_id} kept for {whom}; expires / 有効期限: {until}", markup=False)
    rt.out.print(
        "it is used once, automatically, when an encrypted attachment from them arrives", markup=False
    )
    if waiting:
        note = f"note: {waiting} attachment(s) from them already wait for a password — use `intake unlock`"
        rt.out.print(note, markup=False)


def _already_waiting(session: Session, sender: str | None, org: str | None, rules_dir: Path) -> int:
    from intake.cases.organisations import org_key
    from intake.cases.unlock import pending_attachments

    items = pending_attachments(session)
    if sender:
        return sum(1 for p in items if p.sender.lower() == sender.strip().lower())
    key = org_key(org or "", rules_dir)
    return sum(1 for p in items if p.org and org_key(p.org, rules_dir) == key)
