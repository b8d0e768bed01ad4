"""Commands for replies: ``outbox`` (list, show, release, cancel) and ``send``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import add_row
from intake.errors import NotFound

outbox_app = typer.Typer(
    name="outbox",
    invoke_without_command=True,
    no_args_is_help=False,
    help="Replies: queued, held, sent, failed. Without a sub-command: the list.",
)
app.add_typer(outbox_app)


@outbox_app.callback()
def outbox(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="Only replies in this state.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Replies: queued, held, sent, failed (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from intake.desk import views
    from intake.replies.outbox import list_replies

    rt = ctx.obj
    with rt.reading_session() as session:
        items = [views.reply_item(r) for r in list_replies(session, state=state)]
    if as_json:
        rt.print_json(items)
        return
    table = Table("id", "case", "to", "state", "tries", "template", "subject", "last error", title="outbox")
    for r in items:
        add_row(
            table,
            r["id"],
            r["case_id"],
            r["to"],
            r["state"],
            r["attempts"],
            r["template"],
            r["subject"],
            r["last_error"] or "",
        )
    rt.out.print(table)


@outbox_app.command("show")
def show_reply(
    ctx: typer.Context,
    reply_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One reply with its body, e.g. to read it before releasing it."""
    from intake.db.tables import OutboxReply
    from intake.desk import views

    rt = ctx.obj
    with rt.reading_session() as session:
        reply = session.get(OutboxReply, reply_id)
        if reply is None:
            raise NotFound(f"no reply {reply_id} in the outbox")
        item = {**views.reply_item(reply), "body": reply.body}
    if as_json:
        rt.print_json(item)
        return
    for key in ("id", "case_id", "to", "subject", "state", "attempts", "last_error", "message_id"):
        rt.out.print(f"{key}: {item[key] if item[key] is not None else ''}", markup=False)
    rt.out.print("")
    rt.out.print(item["body"], markup=False)


@outbox_app.command("release")
def release_cmd(ctx: typer.Context, reply_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Let a reply that hold mode kept back (or one that failed) go with the next send."""
    from intake.replies.outbox import release

    rt = ctx.obj
    with rt.session_scope() as session:
        reply = release(session, reply_id, rt.by)
        to_addr = reply.to_addr
    rt.out.print(f"reply {reply_id} to {to_addr} released: it goes out with the next send", markup=False)


@outbox_app.command("cancel")
def cancel_cmd(ctx: typer.Context, reply_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Drop a reply that has not gone out (queued, held or failed)."""
    from intake.replies.outbox import cancel

    rt = ctx.obj
    with rt.session_scope() as session:
        cancel(session, reply_id, rt.by)
    rt.out.print(f"reply {reply_id} cancelled", markup=False)


@app.command("send")
def send_cmd(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Send the replies that are due now, then exit (exit 1 if one failed or the server was unusable)."""
    from intake.replies.sender import send_due

    rt = ctx.obj
    report = send_due(config=rt.config, engine=rt.ready_engine())
    if as_json:
        rt.print_json(report.as_dict())
    else:
        rt.out.print(
            f"{len(report.sent)} sent, {len(report.retrying)} to retry later, {len(report.failed)} failed",
            markup=False,
        )
    server_down = report.stopped and rt.config.replies.mode != "off"
    if server_down:
        rt.err.print(f"intake: replies: {report.stopped}", markup=False, highlight=False)
    if report.failed or server_down:
        raise typer.Exit(1)
