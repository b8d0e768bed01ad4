"""Commands that move mail: init, poll, run, quarantine, reprocess."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from intake import views
from intake.cli import app
from intake.cli.runtime import add_row
from intake.db import upgrade
from intake.poller import Poller
from intake.quarantine import open_entries, reprocess


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database (safe to run again)."""
    rt = ctx.obj
    before, after = upgrade(rt.engine)
    rt.config.storage.archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if before == after:
        rt.out.print(f"database is current (revision {after})")
    else:
        rt.out.print(f"database upgraded from {before or 'nothing'} to revision {after}")


@app.command()
def poll(
    ctx: typer.Context,
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="Poll only this mailbox.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Fetch and process every new message once, then exit."""
    rt = ctx.obj
    config = rt.config
    targets = [config.get_mailbox(mailbox)] if mailbox else config.mailbox
    poller = Poller(config=config, engine=rt.ready_engine())
    reports = [poller.poll(mb) for mb in targets]
    if as_json:
        rt.print_json([r.as_dict() for r in reports])
        return
    for r in reports:
        rt.out.print(
            f"{r.mailbox}: {r.fetched} fetched, {r.created} new cases, {r.joined} joined cases, "
            f"{r.duplicates} duplicates, {r.quarantined} quarantined"
        )


@app.command()
def run(ctx: typer.Context) -> None:
    """The service: poll every mailbox every poll_interval seconds until SIGTERM or Ctrl-C."""
    from intake.service import serve

    rt = ctx.obj
    serve(config=rt.config, engine=rt.ready_engine())


@app.command()
def quarantine(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Messages that could not be processed, with the reason."""
    rt = ctx.obj
    with Session(rt.ready_engine()) as session:
        items = [views.quarantine_item(q) for q in open_entries(session)]
    if as_json:
        rt.print_json(items)
        return
    table = Table("id", "mailbox", "received", "size", "error", title=f"quarantine: {len(items)} open")
    for q in items:
        add_row(table, str(q["id"]), q["mailbox"], q["received_at"], f"{q['size']:,}", q["error"])
    rt.out.print(table)


@app.command("reprocess")
def reprocess_cmd(ctx: typer.Context, entry_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Put one quarantined message through the pipeline again."""
    rt = ctx.obj
    result = reprocess(config=rt.config, engine=rt.ready_engine(), entry_id=entry_id, by=rt.by)
    rt.out.print(f"quarantine entry {entry_id} processed: case {result.case_id}")
