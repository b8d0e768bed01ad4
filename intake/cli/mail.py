"""Commands that move mail: init, poll, run, quarantine, reprocess."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.progress import poll_progress
from intake.cli.runtime import add_row


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database (safe to run again)."""
    from intake.db import upgrade

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
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another intake polling the same mailbox.")
    ] = 600.0,
) -> None:
    """Fetch and process every new message once, send the replies that are due, then exit.

    A mailbox that cannot be read is reported in one line and the others are still polled;
    the exit code is then 1. A mailbox another intake is polling is waited for (--wait), then
    skipped with one line."""
    from intake.runner.poller import Poller
    from intake.runner.service import poll_round

    rt = ctx.obj
    config = rt.config
    targets = [config.get_mailbox(mailbox)] if mailbox else config.mailbox
    with poll_progress(rt.err) as progress:
        poller = Poller(config=config, engine=rt.ready_engine(), progress=progress)
        round_ = poll_round(poller, config, targets, wait_seconds=wait)
    sent = round_.sent
    if as_json:
        rt.print_json(
            {
                "mailboxes": [r.as_dict() for r in round_.reports if not r.skipped],
                "replies": sent.as_dict() if sent else None,
                "errors": round_.failures,
                "skipped": round_.skipped,
            }
        )
    else:
        _print_round(rt, round_)
    for line in round_.failures:
        rt.err.print(f"intake: {line}", markup=False, highlight=False)
    if sent and sent.stopped and config.replies.mode != "off":  # the replies wait in the outbox
        rt.err.print(
            f"intake: replies: {sent.stopped}; they wait for their next try", markup=False, highlight=False
        )
    if round_.failures:
        raise typer.Exit(1)


def _print_round(rt, round_) -> None:
    for r in round_.reports:
        if r.skipped:
            rt.out.print(r.skipped, markup=False)
            continue
        sent = f", {r.sent_joined} sent replies joined, {r.sent_unmatched} sent skipped (no case)"
        rt.out.print(
            f"{r.mailbox}: {r.fetched} fetched, {r.created} new cases, {r.joined} joined cases, "
            f"{r.duplicates} duplicates, {r.quarantined} quarantined"
            + (sent if r.sent_joined or r.sent_unmatched else "")
        )
    sent = round_.sent
    if sent and (sent.sent or sent.retrying or sent.failed):
        rt.out.print(
            f"replies: {len(sent.sent)} sent, {len(sent.retrying)} to retry, {len(sent.failed)} failed"
        )


@app.command()
def run(ctx: typer.Context) -> None:
    """The service: poll every mailbox every poll_interval seconds until SIGTERM or Ctrl-C."""
    from intake.checks.rules import load_rules
    from intake.cli.answering import answering
    from intake.replies.staff_templates import validate_staff_templates
    from intake.runner.service import serve

    rt = ctx.obj
    load_rules(rt.config.rules_path)  # a mistake in rules/ stops start-up with one line naming it
    validate_staff_templates(rt.config.rules_path)  # and so does a staff template that cannot be written
    with answering(rt, service="run"):  # intake queue and the like ask this process meanwhile
        serve(config=rt.config, engine=rt.ready_engine())


@app.command()
def quarantine(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Messages that could not be processed, with the reason."""
    from intake.runner.quarantine import open_entries
    from intake.secretariat import views

    rt = ctx.obj
    with rt.reading_session() as session:
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
    from intake.runner.quarantine import reprocess

    rt = ctx.obj
    result = reprocess(config=rt.config, engine=rt.ready_engine(), entry_id=entry_id, by=rt.by)
    rt.out.print(f"quarantine entry {entry_id} processed: case {result.case_id}")
