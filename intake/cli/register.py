"""The member register, the public roster and the queue export: register import / show / export,
roster export, export."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.clock import jst_iso
from intake.errors import NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from intake.db.tables import Organisation

register_app = typer.Typer(no_args_is_help=True, help="The member register: organisations and their people.")
roster_app = typer.Typer(no_args_is_help=True, help="The public member roster (Q16): no personal data.")
app.add_typer(register_app, name="register")
app.add_typer(roster_app, name="roster")


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


FormatOpt = Annotated[Format, typer.Option("--format", help="csv or xlsx.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="Write to this file (default: stdout).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@register_app.command("import")
def register_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False
) -> None:
    """Add or update organisations and people from a register file (CSV or XLSX)."""
    from intake.secretariat import register

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        report = register.import_register(session, file, by=rt.by, rules_dir=rt.config.rules_path)
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
    from intake.cases.organisations import find_organisations

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        found = find_organisations(session, org, rules_dir=rt.config.rules_path)
        if not found:
            raise NotFound(f"no organisation {org!r} on the register")
        items = [_organisation_item(session, o) for o in found]
    if as_json:
        rt.print_json(items)
        return
    for item in items:
        _print_organisation(rt, item)


def _organisation_item(session: Session, org: Organisation) -> dict:
    from intake.cases.organisations import people
    from intake.secretariat import register

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
        for p in people(session, org, include_removed=True)
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
    from intake.secretariat import register

    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with rt.reading_session() as session:
        rows = register.register_rows(session)
    _emit(rt, rows, register.REGISTER_COLUMNS, fmt, output, title="register")


@roster_app.command("export")
def roster_export(ctx: typer.Context, fmt: FormatOpt = Format.csv, output: OutputOpt = None) -> None:
    """The public member roster: organisation, 区分, 分野, participation class; never personal data."""
    from intake.secretariat import exports

    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with rt.reading_session() as session:
        rows = exports.roster_rows(session)
    _emit(rt, rows, exports.ROSTER_COLUMNS, fmt, output, title="roster")


@app.command("export")
def export_queue(ctx: typer.Context, fmt: FormatOpt = Format.xlsx, output: OutputOpt = None) -> None:
    """The queue as a spreadsheet: one row per case."""
    from intake.secretariat import exports

    rt: Runtime = ctx.obj
    _check_output(fmt, output)
    with rt.reading_session() as session:
        rows = exports.queue_export_rows(session)
    _emit(rt, rows, exports.QUEUE_COLUMNS, fmt, output, title="queue")


def _check_output(fmt: Format, output: Path | None) -> None:
    """A workbook cannot go to standard output: usage error, exit 2."""
    if fmt is Format.xlsx and output is None:
        typer.echo("intake: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(2)


def _emit(rt: Runtime, rows: list[dict], columns, fmt: Format, output: Path | None, *, title: str) -> None:
    """Write rows to the file (CSV with a BOM, for Excel) or, as UTF-8 CSV, to standard output."""
    from intake.secretariat import exports

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
