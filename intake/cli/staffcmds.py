"""Commands staff act with: note, set-status, decide, audit, register …, roster export, export."""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from intake import exports, register, staff
from intake.cli import app
from intake.cli.runtime import Runtime, add_row
from intake.clock import jst_iso
from intake.db import session_scope
from intake.errors import NotFound
from intake.records import Organisation

register_app = typer.Typer(no_args_is_help=True, help="The member register: organisations and their people.")
roster_app = typer.Typer(no_args_is_help=True, help="The public member roster (Q16): no personal data.")
app.add_typer(register_app, name="register")
app.add_typer(roster_app, name="roster")


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Secrecy(StrEnum):
    secret = "secret"
    not_secret = "not_secret"


FormatOpt = Annotated[Format, typer.Option("--format", help="csv or xlsx.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="Write to this file (default: stdout).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE_ID")]


@app.command()
def note(ctx: typer.Context, case_id: CaseArg, text: Annotated[str, typer.Argument(metavar="TEXT")]) -> None:
    """Add a staff note to a case."""
    rt: Runtime = ctx.obj
    with session_scope(rt.ready_engine()) as session:
        staff.add_note(session, case_id, text, by=rt.by)
    rt.out.print(f"note added to {case_id}")


@app.command("set-status")
def set_status(
    ctx: typer.Context,
    case_id: CaseArg,
    status: Annotated[str, typer.Argument(metavar="STATUS", help=", ".join(staff.STATUSES))],
    note_text: Annotated[str | None, typer.Option("--note", help="A note kept with the change.")] = None,
) -> None:
    """Move a case; accepting a membership application or staff registration updates the register."""
    rt: Runtime = ctx.obj
    with session_scope(rt.ready_engine()) as session:
        before = staff.get_case(session, case_id).status
        staff.set_status(session, case_id, status, by=rt.by, note=note_text)
    rt.out.print(f"{case_id}: {before} → {status}")


@app.command()
def decide(
    ctx: typer.Context,
    case_id: CaseArg,
    secret: Annotated[Secrecy | None, typer.Option("--secret", help="Staff's secrecy decision.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Staff's sharing scope decision.")] = None,
) -> None:
    """Record staff's decision on an incident report (kept apart from what the reporter asked, Q22)."""
    rt: Runtime = ctx.obj
    with session_scope(rt.ready_engine()) as session:
        record = staff.record_incident_decision(
            session, case_id, secret=secret.value if secret else None, scope=scope, by=rt.by
        )
        decided = f"secret={record.decided_secret or '-'} scope={record.decided_scope or '-'}"
    rt.out.print(f"{case_id}: decided {decided}", markup=False)


@app.command()
def audit(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE_ID]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The append-only record of staff actions (of one case, or all)."""
    rt: Runtime = ctx.obj
    with Session(rt.reading_engine()) as session:
        items = [_audit_item(e) for e in staff.audit_entries(session, case_id)]
    if as_json:
        rt.print_json(items)
        return
    table = Table("at", "by", "case", "action", "detail", title=f"audit: {len(items)} entries")
    for e in items:
        detail = e["detail"] if isinstance(e["detail"], str) else json.dumps(e["detail"], ensure_ascii=False)
        add_row(table, e["at"], e["by"], e["case_id"] or "", e["action"], detail)
    rt.out.print(table)


def _audit_item(entry) -> dict:
    try:
        detail = json.loads(entry.detail)
    except ValueError:
        detail = None
    return {
        "id": entry.id,
        "at": jst_iso(entry.at),
        "by": entry.by,
        "case_id": entry.case_id,
        "action": entry.action,
        "detail": detail if isinstance(detail, dict) else entry.detail,
    }


@register_app.command("import")
def register_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False
) -> None:
    """Add or update organisations and people from a register file (CSV or XLSX)."""
    rt: Runtime = ctx.obj
    with session_scope(rt.ready_engine()) as session:
        report = register.import_register(session, file, by=rt.by)
    if as_json:
        rt.print_json(report.as_dict() | {"changed": report.changed})
        return
    if not report.changed:
        rt.out.print(f"{file.name}: {report.rows} rows, nothing changed", markup=False)
        return
    rt.out.print(
        f"{file.name}: {report.rows} rows; organisations {report.organisations_added} added, "
        f"{report.organisations_updated} updated; people {report.people_added} added, "
        f"{report.people_updated} updated",
        markup=False,
    )


@register_app.command("show")
def register_show(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(metavar="ORG", help="Organisation name or 法人番号.")],
    as_json: JsonOpt = False,
) -> None:
    """One organisation (every department of it) and everyone registered, removed people included."""
    rt: Runtime = ctx.obj
    with Session(rt.reading_engine()) as session:
        found = register.find_organisations(session, org)
        if not found:
            raise NotFound(f"no organisation {org!r} on the register")
        items = [_organisation_item(session, o) for o in found]
    if as_json:
        rt.print_json(items)
        return
    for item in items:
        _print_organisation(rt, item)


def _organisation_item(session: Session, org: Organisation) -> dict:
    keys = ("id", "name", "corporate_number", "department", "category", "sector", "participation")
    item = {k: getattr(org, k) for k in keys}
    item |= {
        "roster_publication": org.roster_publication,
        "poc_email": org.poc_email,
        "is_member": org.is_member,
    }
    item["people"] = [
        {k: getattr(p, k) for k in register.PERSON_FIELDS}
        | {"status": p.status, "removed_at": jst_iso(p.removed_at), "source": p.source}
        for p in register.people(session, org, include_removed=True)
    ]
    return item


def _print_organisation(rt: Runtime, item: dict) -> None:
    rt.out.print(
        f"{item['name']}  {item['department'] or ''}  法人番号 {item['corporate_number'] or '-'}  "
        f"区分 {item['category'] or '-'}  分野 {item['sector'] or '-'}  {item['participation'] or ''}  "
        f"roster {'yes' if item['roster_publication'] else 'no'}  POC {item['poc_email'] or '-'}",
        markup=False,
    )
    table = Table("name", "email", "phone", "system", "poc", "status", "removed", "source")
    for p in item["people"]:
        add_row(
            table, p["name"], p["email"], p["phone"], p["system_registration"], p["poc"],
            p["status"], p["removed_at"], p["source"],
        )  # fmt: skip
    rt.out.print(table)


@register_app.command("export")
def register_export(ctx: typer.Context, fmt: FormatOpt = Format.csv, output: OutputOpt = None) -> None:
    """The register as a register file (active people only): imports back unchanged."""
    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with Session(rt.reading_engine()) as session:
        rows = register.register_rows(session)
    _emit(rt, rows, register.REGISTER_COLUMNS, fmt, output, title="register")


@roster_app.command("export")
def roster_export(ctx: typer.Context, fmt: FormatOpt = Format.csv, output: OutputOpt = None) -> None:
    """The public member roster: organisation, 区分, 分野, participation class; never personal data."""
    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with Session(rt.reading_engine()) as session:
        rows = exports.roster_rows(session)
    _emit(rt, rows, exports.ROSTER_COLUMNS, fmt, output, title="roster")


@app.command("export")
def export_queue(ctx: typer.Context, fmt: FormatOpt = Format.xlsx, output: OutputOpt = None) -> None:
    """The queue as a spreadsheet: one row per case."""
    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with Session(rt.reading_engine()) as session:
        rows = exports.queue_export_rows(session)
    _emit(rt, rows, exports.QUEUE_COLUMNS, fmt, output, title="queue")


def _check_output(fmt: Format, output: Path | None) -> None:
    """A workbook cannot go to standard output: usage error, exit 2."""
    if fmt is Format.xlsx and output is None:
        typer.echo("intake: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(2)


def _emit(rt: Runtime, rows: list[dict], columns, fmt: Format, output: Path | None, *, title: str) -> None:
    """Write rows to the file (CSV with a BOM, for Excel) or, as UTF-8 CSV, to standard output."""
    if output is None:
        buffer = io.StringIO(newline="")
        exports.write_csv(rows, buffer, columns)
        sys.stdout.flush()
        sys.stdout.buffer.write(buffer.getvalue().encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    if fmt is Format.xlsx:
        exports.write_xlsx(rows, output, columns, title=title)
    else:
        with output.open("w", encoding="utf-8-sig", newline="") as out:
            exports.write_csv(rows, out, columns)
    rt.out.print(f"wrote {len(rows)} rows to {output}", markup=False)
