"""Commands for replies: ``outbox`` (list, show, release, cancel), ``send``, and staff's own
``reply`` from a case (``reply-templates`` lists the secretariat's templates)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import add_row
from intake.errors import NotFound
from intake.quick.tables import outbox_table

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
    from intake.replies.outbox import list_replies
    from intake.secretariat import views

    rt = ctx.obj
    with rt.reading_session() as session:
        items = [views.reply_item(r) for r in list_replies(session, state=state)]
    if as_json:
        rt.print_json(items)
        return
    rt.out.print(outbox_table(items, rt.config.rules_path))


@outbox_app.command("show")
def show_reply(
    ctx: typer.Context,
    reply_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One reply with its body, e.g. to read it before releasing it."""
    from intake.db.tables import OutboxReply
    from intake.secretariat import views

    rt = ctx.obj
    with rt.reading_session() as session:
        reply = session.get(OutboxReply, reply_id)
        if reply is None:
            raise NotFound(f"no reply {reply_id} in the outbox")
        item = {**views.reply_item(reply), "body": reply.body}
    if as_json:
        rt.print_json(item)
        return
    for key in (
        "id",
        "case_id",
        "to",
        "cc",
        "author",
        "subject",
        "state",
        "attempts",
        "last_error",
        "message_id",
    ):
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


@app.command("reply")
def reply_cmd(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    template: Annotated[
        str | None,
        typer.Option(
            "--template", help="One of the secretariat's templates (intake reply-templates lists them)."
        ),
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=TEXT",
            help="A value the template asks for, e.g. reason=….",
            show_default=False,
        ),
    ] = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the body from standard input and send it as written. With --template the template "
            "still picks the recipient and is recorded, but standard input replaces its text "
            "(write it with --preview first, edit, then send it with --stdin).",
        ),
    ] = False,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Recipient (default: the case's sender; the POC for a POC notice)."),
    ] = None,
    cc: Annotated[
        list[str] | None, typer.Option("--cc", help="A Cc recipient (repeat for more).", show_default=False)
    ] = None,
    quote: Annotated[
        bool, typer.Option("--quote", help="Quote the last incoming message below, as plain 「> 」 lines.")
    ] = False,
    attach: Annotated[
        list[int] | None,
        typer.Option(
            "--attach",
            metavar="ATTACHMENT_ID",
            help="Attach one of the case's files as it came.",
            show_default=False,
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", metavar="PATH", help="Attach a file from disk.", show_default=False),
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Print the recipient and the written template; queue nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write a reply from the case: queued in the outbox like the automatic ones (held for another
    desk user's release under replies.staff_review), threaded to the last incoming message."""
    from intake.secretariat import replying
    from intake.secretariat.views import reply_item

    rt = ctx.obj
    given = _pairs(values or [])
    if preview:
        if not template:
            raise typer.BadParameter("--preview needs --template")
        with rt.reading_session() as session:
            draft = replying.draft(session, rt.config, case_id, template, given, by=rt.by)
        rt.out.print(f"宛先: {draft.to_addr}\n\n{draft.body}", markup=False)
        return
    body = sys.stdin.read() if stdin else None
    request = replying.ReplyRequest(
        case_id=case_id,
        template=template,
        values=given,
        body=body,
        to_addr=to,
        cc=cc or [],
        quote=quote,
        attachment_ids=attach or [],
        uploads=[_file(p) for p in files or []],
    )
    with rt.session_scope() as session:
        reply = replying.send_reply(session, rt.config, request, by=rt.by)
        item = reply_item(reply)
    if as_json:
        rt.print_json(item)
    elif item["state"] == "held":
        rt.out.print(
            f"返信 {item['id']} を作成しました（{item['to']} 宛て）。別の担当者が確認して送信します: intake --by NAME outbox release {item['id']}",
            markup=False,
        )
    else:
        rt.out.print(
            f"返信 {item['id']} を送信待ちにしました（{item['to']} 宛て）。次の送信で送られます。",
            markup=False,
        )


@app.command("reply-templates")
def reply_templates(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The secretariat's reply templates (rules/templates/staff): name, title, what they ask for."""
    from intake.replies.staff_templates import load_staff_templates

    rt = ctx.obj
    templates = load_staff_templates(rt.config.rules_path)
    items = [
        {
            "name": t.name,
            "title": t.title,
            "description": t.description,
            "to": t.to,
            "inputs": [i.name for i in t.inputs],
        }
        for t in templates.values()
    ]
    if as_json:
        rt.print_json(items)
        return
    table = Table("名前", "ひな形", "宛先", "入力", "説明", title="返信のひな形")
    for t in items:
        add_row(
            table,
            t["name"],
            t["title"],
            "POC" if t["to"] == "poc" else "送信者",
            ", ".join(t["inputs"]),
            t["description"],
        )
    rt.out.print(table)


def _pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--set takes NAME=TEXT, not {value!r}")
        pairs[name.strip()] = text
    return pairs


def _file(path: Path):
    import mimetypes

    from intake.replies.staff import ReplyFile

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"--file {path}: {exc.strerror}") from None
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return ReplyFile(filename=path.name, content_type=kind, data=data)
