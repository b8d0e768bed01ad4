"""Tools: ``intake demo`` (the product on its embedded defaults, no servers needed) and the sweeps
that run real-world material through the real code: sweep, check-office, check-forms."""

from __future__ import annotations

import secrets
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.cases import queue
from intake.cli.mail import init, poll
from intake.cli.runtime import Runtime, add_row
from intake.cli.secrets import UsageProblem
from intake.errors import IntakeError


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--dir", help="Demo folder (made afresh).")] = Path("storage/demo"),
    smtp_port: Annotated[
        int, typer.Option("--smtp-port", help="Port of the demo's local mail sink (demo-serve).")
    ] = 8725,
) -> None:
    """Seed a demo folder with realistic mail, poll it, and show the review queue."""
    from intake.tools import demo

    folder = folder.absolute()
    config_file = demo.prepare(folder, smtp_port=smtp_port)
    rt = Runtime(config_file=config_file, operator=ctx.obj.by)
    rt.out.print(f"demo folder: {folder}  (configuration {config_file})", markup=False)
    sub = typer.Context(ctx.command, obj=rt)
    init(sub)
    poll(sub)
    queue(sub)
    desk_password = _demo_account(rt)
    case_id, reply_id = _demo_examples(rt)
    cli = f"{_intake_command()} --config {shlex.quote(str(config_file))}"
    rt.out.print(
        f"\nNext, as the secretariat would (each command works as printed):\n"
        f"  {cli} show {case_id}\n      one case, whole\n"
        f"  {cli} unlock\n      the applicant phoned: the form's password is {demo.DEMO_PASSWORD}\n"
        f"  {cli} outbox\n      replies written so far (held for staff in the demo)\n"
        f"  {cli} outbox release {reply_id}\n      let one go\n"
        f"  {cli} queue --robots\n      bounces and auto-replies kept out of the queue\n"
        f"\nThe whole loop — the web desk, sending what staff release, and a local mail sink standing in\n"
        f"for the applicants' mail servers (nothing leaves this machine):\n"
        f"  {cli} demo-serve\n"
        f"  then open http://{rt.config.desk.host}:{rt.config.desk.port}/ and sign in as "
        f"{DEMO_USER} / {desk_password}  (a demo account, made just now);\n"
        f"  a reply released on the desk's 返信 page arrives in the sink: printed there, kept in "
        f"{folder / 'sent-mail'}",
        markup=False,
    )


@app.command("demo-serve")
def demo_serve_cmd(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", help="The desk's port (default: desk.port in the configuration).")
    ] = None,
) -> None:
    """The demo's whole loop until Ctrl-C: the desk, sending released replies, and a local mail
    sink (the demo's [smtp]) that prints each reply it receives."""
    from intake.desk.server import serve
    from intake.tools.demo import MARKER
    from intake.tools.demo_serve import mail_sink, sending

    rt: Runtime = ctx.obj
    folder = (rt.config_file or Path(".")).absolute().parent
    if not (folder / MARKER).exists():
        raise UsageProblem(f"{folder} is not a demo folder: demo-serve runs on what `intake demo` made")
    config, engine = rt.config, rt.ready_engine()

    def say(line: str) -> None:
        rt.out.print(line, markup=False)

    with mail_sink(config, folder, say) as kept, sending(config, engine):
        say(f"mail sink: {config.smtp.host}:{config.smtp.port}, each mail kept in {kept}")
        serve(config=config, engine=engine, host=None, port=port, out=rt.out)


def _intake_command() -> str:
    """The intake command as this installation runs it (a virtual environment's, not on PATH)."""
    from intake.tools.service import intake_command

    try:
        return shlex.quote(str(intake_command()))
    except IntakeError:
        return f"{shlex.quote(sys.executable)} -m intake"


def _demo_examples(rt: Runtime) -> tuple[str, int]:
    """A case to show (the application waiting for its password) and a held reply to release."""
    from sqlmodel import col, select

    from intake.db.tables import Case, OutboxReply

    with rt.reading_session() as session:
        cases = list(session.exec(select(Case).order_by(col(Case.id))))
        waiting = [c.id for c in cases if c.status == "waiting_for_password"]
        replies = list(session.exec(select(OutboxReply.id).where(OutboxReply.state == "held")))
    case_id = (waiting or [c.id for c in cases] or ["<case id>"])[0]
    return case_id, (replies or [0])[0] or 0


DEMO_USER = "demo"


def _demo_account(rt: Runtime) -> str:
    """A desk account for the demo, with a fresh password (the demo folder is made afresh)."""
    from pydantic import SecretStr

    from intake.secretariat import users

    password = secrets.token_urlsafe(12)
    with rt.session_scope() as session:
        users.add_user(session, DEMO_USER, SecretStr(password), by=rt.by)
    return password


@app.command("sweep")
def sweep_cmd(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder of raw messages.")],
    profile: Annotated[str, typer.Option(help="Mailbox profile to classify with.")] = "membership",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run every file of FOLDER through the real pipeline into a throwaway database and count.

    Exit 1 when any exception escaped (an internal error); needs no configuration."""
    from intake.tools.sweep import sweep

    rt = ctx.obj
    results = sweep(folder, profile=profile)
    if as_json:
        rt.print_json({name: counts.as_dict() for name, counts in results.items()})
    else:
        _print_sweep(rt, results)
    if any(c.internal_errors for c in results.values()):
        raise typer.Exit(1)


def _print_sweep(rt, results) -> None:
    table = Table(
        "folder", "files", "kept", "quarantined", "robots", "names decoded", "garbled", "escaped", "msg/s"
    )
    for name, c in results.items():
        add_row(
            table,
            name,
            c.files,
            c.kept,
            sum(c.quarantined.values()),
            sum(c.robots.values()),
            f"{c.names_decoded}/{c.attachments}",
            len(c.bad_names) + len(c.bad_subjects),
            len(c.internal_errors),
            c.as_dict()["messages_per_second"],
        )
    rt.out.print(table)
    for name, c in results.items():
        if c.robots:
            rt.out.print(
                f"{name}: robots by reason: " + ", ".join(f"{k} {v}" for k, v in c.robots.most_common())
            )
        if c.quarantined:
            reasons = ", ".join(f"{k} ({v})" for k, v in c.quarantined.most_common())
            rt.out.print(f"{name}: quarantined: {reasons}", markup=False)
        for line in c.bad_subjects + c.bad_names:
            rt.out.print(f"{name}: GARBLED {line}", markup=False)
        for line in c.internal_errors[:20]:
            rt.out.print(f"{name}: ESCAPED {line}", markup=False)


@app.command("check-forms")
def check_forms(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", exists=True, file_okay=False)],
) -> None:
    """Read every .docx of FOLDER: check boxes with their states, text controls, and what cannot be read."""
    from intake.tools import forms_corpus

    typer.echo(forms_corpus.format_report(forms_corpus.corpus_report(folder)))


@app.command("check-containers")
def check_containers(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", exists=True, file_okay=False)],
) -> None:
    """Open every winmail.dat / .tnef / .msg of FOLDER as mail brings it: files inside, or why not."""
    from intake.tools import containers_corpus

    reports = containers_corpus.corpus_report(folder)
    typer.echo(containers_corpus.format_report(reports))
    if any(r.crash for r in reports):
        raise typer.Exit(1)


@app.command("check-office")
def check_office(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", exists=True, file_okay=False)],
    passwords_tsv: Annotated[Path, typer.Argument(metavar="PASSWORDS_TSV", exists=True, dir_okay=False)],
) -> None:
    """Try every listed encrypted Office file with its password and a wrong one (passwords not shown)."""
    from intake.tools import office_corpus

    report = office_corpus.check_folder(folder, passwords_tsv)
    typer.echo(office_corpus.format_report(report))
    if not report.ok:
        raise typer.Exit(1)
