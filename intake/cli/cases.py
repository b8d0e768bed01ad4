"""Commands staff work cases with: queue, show, note, set-status, assign, decide, merge, split,
audit, and the daily digest of overdue and due-today cases to their owners."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from intake.cli.app import app
from intake.cli.runtime import Runtime
from intake.quick.case_text import draw_case, form_names, history_row
from intake.quick.tables import audit_item, audit_table, queue_table
from intake.secretariat.labels import merge_text
from intake.secretariat.statuses import STATUSES

DEFAULT_PAGE = 100


@app.command()
def queue(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only cases in this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only cases of this kind.")] = None,
    mailbox: Annotated[str | None, typer.Option(help="Only cases of this mailbox.")] = None,
    org: Annotated[str | None, typer.Option(help="Only organisations whose name contains this.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only cases this desk user handles.")] = None,
    robots: Annotated[
        bool,
        typer.Option("--robots", help="Robot mail (bounces, auto-replies) that answers nothing of ours."),
    ] = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every case, robot mail included, no page limit.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = DEFAULT_PAGE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The review queue, overdue cases (期限超過) first, then newest first (robot mail that answers
    nothing of ours: --robots)."""
    from intake.secretariat import servers, views

    rt = ctx.obj
    filters: dict[str, Any] = {"status": status, "kind": kind, "mailbox": mailbox, "org": org, "owner": owner}
    filters["robots"] = None if every else robots
    with rt.reading_session() as session:
        items = views.queue(session, **filters, limit=None if every else limit)
        total = len(items) if every else views.count_cases(session, **filters)
        alerts = servers.alerts(session, rt.config)
    if as_json:
        rt.print_json(items)
        return
    for line in alerts:  # a mailbox not being fetched is said before anything else
        rt.out.print(f"[bold red]![/] {escape(line)}")
    rt.out.print(queue_table(items, total, rt.config.rules_path, robots=robots))


@app.command()
def show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One case, whole: messages, attachments, fields, findings, notes, history."""
    from intake.forms import load_form_specs
    from intake.secretariat import views
    from intake.secretariat.accepting import history_detail
    from intake.secretariat.actions import audit_entries

    rt = ctx.obj
    rules = rt.config.rules_path
    with rt.reading_session() as session:
        case = views.case_detail(session, case_id, rules)
        texts = views.message_texts(session, rt.config, case_id)
        case["attached_messages"] = [a for text in texts for a in text.get("attached", ())]
        history = [
            history_row(views.jst(e.at), e.by, e.action, history_detail(e.action, e.detail, rules), rules)
            for e in audit_entries(session, case_id)
        ]
    for message, text in zip(case["messages"], texts, strict=True):
        message["segments"] = text.get("segments", [])
    if as_json:
        rt.print_json(case)
        return
    forms = form_names(load_form_specs(rules)) if {"application", "staff"} & case["fields"].keys() else {}
    draw_case(rt.out, case, [t.get("text", "") for t in texts], history, forms, rules)


class Secrecy(StrEnum):
    secret = "secret"
    not_secret = "not_secret"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE_ID")]


@app.command()
def note(ctx: typer.Context, case_id: CaseArg, text: Annotated[str, typer.Argument(metavar="TEXT")]) -> None:
    """Add a staff note to a case."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        actions.add_note(session, case_id, text, by=rt.by)
    rt.out.print(f"note added to {case_id}")


@app.command("set-status")
def set_status(
    ctx: typer.Context,
    case_id: CaseArg,
    status: Annotated[str, typer.Argument(metavar="STATUS", help=", ".join(STATUSES))],
    note_text: Annotated[str | None, typer.Option("--note", help="A note kept with the change.")] = None,
    confirm_unauthenticated: Annotated[
        bool,
        typer.Option(
            "--confirm-unauthenticated",
            help="Accept a register change whose sender failed authentication, confirmed another way (audited).",
        ),
    ] = False,
    override_missing: Annotated[
        bool,
        typer.Option("--override-missing", help="Accept although missing items are still open (audited)."),
    ] = False,
) -> None:
    """Move a case; accepting a membership application or staff registration updates the register
    (`intake accept CASE --dry-run` shows how first)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        before = actions.get_case(session, case_id).status
        actions.set_status(
            session,
            case_id,
            status,
            by=rt.by,
            note=note_text,
            rules_dir=rt.config.rules_path,
            confirm_unauthenticated=confirm_unauthenticated,
            override_missing=override_missing,
            due=rt.config.sla,
        )
    rt.out.print(f"{case_id}: {before} → {status}")


@app.command()
def assign(
    ctx: typer.Context,
    case_id: CaseArg,
    user: Annotated[
        str | None, typer.Argument(metavar="[USER]", help="A desk user (intake user list).")
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Leave the case to nobody.")] = False,
) -> None:
    """Give a case to a desk user (担当者), or to nobody with --none; audited with --by (default: OS user)."""
    from intake.secretariat import owners

    if (user is None) == (not none):
        raise typer.BadParameter("give a USER or --none (not both)")
    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        owners.assign(session, case_id, None if none else user, by=rt.by)
    rt.out.print(f"{case_id}: 担当 {user or '未割当'}", markup=False)


@app.command()
def decide(
    ctx: typer.Context,
    case_id: CaseArg,
    secret: Annotated[Secrecy | None, typer.Option("--secret", help="Staff's secrecy decision.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Staff's sharing scope decision.")] = None,
) -> None:
    """Record staff's decision on an incident report (kept apart from what the reporter asked, Q22)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        record = actions.record_incident_decision(
            session, case_id, secret=secret.value if secret else None, scope=scope, by=rt.by
        )
        decided = f"secret={record.decided_secret or '-'} scope={record.decided_scope or '-'}"
    rt.out.print(f"{case_id}: decided {decided}", markup=False)


@app.command()
def merge(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(metavar="CASE_ID")],
    second: Annotated[str | None, typer.Argument(metavar="[FROM_ID]")] = None,
    into: Annotated[str | None, typer.Option("--into", help="The case CASE_ID is merged into.")] = None,
) -> None:
    """Merge a case into another: `merge CASE_ID --into TARGET_ID` (or `merge INTO_ID FROM_ID`).
    Its mail, files, forms, notes and replies move there and it is checked again (no reply is sent);
    the merged case is closed and mail to it goes there. `intake split CASE_ID` undoes it."""
    from intake.secretariat import merging

    rt: Runtime = ctx.obj
    if (into is None) == (second is None):
        raise typer.BadParameter("give CASE_ID --into TARGET_ID, or INTO_ID FROM_ID")
    source, target = (first, into) if into is not None else (second, first)
    with rt.session_scope() as session:
        moved = merging.merge(session, source or "", into=target or "", by=rt.by, config=rt.config)
    rt.out.print(
        merge_text("merged", rt.config.rules_path, case=moved.source, into=moved.target), markup=False
    )
    _moved_lines(rt, moved)


@app.command()
def split(
    ctx: typer.Context,
    case_id: CaseArg,
    messages: Annotated[list[int] | None, typer.Argument(metavar="[MESSAGE_NUMBER]...")] = None,
) -> None:
    """Undo the merge of CASE_ID: exactly what moved goes back, it reopens in its status before.
    With MESSAGE_NUMBERs (the `id` of its messages in `show --json`): those messages, their files
    and forms and the replies to them leave CASE_ID for a new case (no reply is sent)."""
    from intake.secretariat import merging, separating

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        if messages:
            moved = separating.split_off(session, case_id, messages, by=rt.by, config=rt.config)
        else:
            moved = merging.split(session, case_id, by=rt.by, config=rt.config)
    key = "split_off" if messages else "split"
    said = merge_text(key, rt.config.rules_path, case=moved.source, into=moved.target)
    rt.out.print(said, markup=False)
    _moved_lines(rt, moved)


def _moved_lines(rt: Runtime, moved) -> None:
    from intake.secretariat.labels import table_label

    for table, count in moved.counts().items():
        rt.out.print(f"  {table_label(table, rt.config.rules_path)}: {count}", markup=False)


@app.command()
def audit(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE_ID]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The append-only record of staff actions (of one case, or all)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        entries = actions.audit_entries(session, case_id)
        items = [audit_item(e.id, e.at, e.by, e.case_id, e.action, e.detail) for e in entries]
    if as_json:
        rt.print_json(items)
        return
    rt.out.print(audit_table(items))


@app.command()
def digest(
    ctx: typer.Context,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Only queue; `intake send` sends later.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Queue today's digest (期限超過・本日期限の担当ケース) for each desk user with an e-mail, at
    most once a day each, then send the outbox. `intake run` does it daily with [sla] digest = true."""
    from intake.replies.sender import send_due
    from intake.secretariat.digest import queue_digests

    rt: Runtime = ctx.obj
    report = queue_digests(rt.ready_engine(), rt.config)
    sent = None if no_send or not report.queued else send_due(config=rt.config, engine=rt.engine)
    if as_json:
        rt.print_json(
            {
                "queued": report.queued,
                "nothing": report.nothing,
                "already": report.already,
                "stopped": report.stopped,
                "sent": sent.as_dict() if sent else None,
            }
        )
        return
    if report.stopped:
        rt.out.print(f"通知なし: {report.stopped}", markup=False)
    rt.out.print(
        f"通知を作成: {', '.join(report.queued) or 'なし'}；"
        f"該当ケースなし: {', '.join(report.nothing) or 'なし'}；"
        f"本日送信済み: {', '.join(report.already) or 'なし'}",
        markup=False,
    )
    if sent is not None:
        rt.out.print(
            f"送信 {len(sent.sent)} 件、再試行待ち {len(sent.retrying)} 件、失敗 {len(sent.failed)} 件"
        )
