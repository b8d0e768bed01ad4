"""Commands staff read cases with: queue, show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from intake import views
from intake.cli import app
from intake.cli.runtime import add_row


def _age(iso: str | None) -> str:
    if not iso:
        return ""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


@app.command()
def queue(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only cases in this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only cases of this kind.")] = None,
    mailbox: Annotated[str | None, typer.Option(help="Only cases of this mailbox.")] = None,
    org: Annotated[str | None, typer.Option(help="Only organisations whose name contains this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The review queue, newest first."""
    rt = ctx.obj
    with Session(rt.ready_engine()) as session:
        items = views.queue(session, status=status, kind=kind, mailbox=mailbox, org=org)
    if as_json:
        rt.print_json(items)
        return
    table = Table(
        "case",
        "kind",
        "status",
        "organisation",
        "sender",
        "age",
        "open findings",
        title=f"{len(items)} cases",
    )
    for c in items:
        add_row(
            table,
            c["id"],
            c["kind"],
            c["status"],
            c["org_name"] or "",
            c["sender"],
            _age(c["received_at"]),
            ", ".join(c["open_findings"]),
        )
    rt.out.print(table)


@app.command()
def show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One case, whole: messages, attachments, fields, findings, notes."""
    rt = ctx.obj
    with Session(rt.ready_engine()) as session:
        case = views.case_detail(session, case_id)
    if as_json:
        rt.print_json(case)
        return
    out = rt.out
    out.print(f"[bold]{case['id']}[/bold]  {case['kind']}  [bold]{case['status']}[/bold]")
    out.print(
        f"from {case['sender']}  organisation {case['org_name'] or '-'}  received {case['received_at']}"
    )
    out.print(f"subject: {case['subject']}", markup=False)
    messages = Table("dir", "from", "subject", "received", "no reply because", title="messages")
    for m in case["messages"]:
        add_row(
            messages, m["direction"], m["from"], m["subject"], m["received_at"], m["no_reply_reason"] or ""
        )
    out.print(messages)
    if case["attachments"]:
        files = Table("id", "file", "format", "encrypted", "state", "document", "detail", title="attachments")
        for a in case["attachments"]:
            add_row(
                files,
                str(a["id"]),
                a["filename"] or "(no name)",
                a["format"],
                "yes" if a["encrypted"] else "no",
                a["state"],
                a["document"] or "",
                a["detail"],
            )
        out.print(files)
    if case["findings"]:
        findings = Table("code", "severity", "open", "message", title="findings")
        for f in case["findings"]:
            add_row(findings, f["code"], f["severity"], "open" if f["open"] else "resolved", f["message_ja"])
        out.print(findings)
    for n in case["notes"]:
        out.print(f"note {n['at']} {n['by']}: {n['text']}", markup=False)
