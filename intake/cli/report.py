"""The month in figures for the Council's monthly report: ``intake report --month YYYY-MM``."""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from intake import clock
from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.clock import jst_iso
from intake.secretariat.labels import report_text


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    xlsx = "xlsx"


@app.command()
def report(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="The month, YYYY-MM in Japan time (default: this month).")
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="text, json or xlsx.")] = ReportFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (xlsx: required).")
    ] = None,
) -> None:
    """Cases received per week by kind, time to the first reply and to acceptance (median, 90th
    percentile), the open backlog by status and age, the items of the forms most often missing."""
    from intake.secretariat import report_tables
    from intake.secretariat.report import month_of, month_report

    rt: Runtime = ctx.obj
    if fmt is ReportFormat.xlsx and output is None:
        typer.echo("intake: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(2)
    now = clock.utcnow()
    rules = rt.config.rules_path
    with rt.reading_session() as session:
        figures = month_report(session, month or month_of(now), as_of=now, rules_dir=rules)
    if fmt is ReportFormat.xlsx:
        assert output is not None
        report_tables.write_xlsx(figures, output, rules)
        rt.out.print(f"wrote {figures.month} to {output}", markup=False)
    elif fmt is ReportFormat.json:
        _write(rt, output, report_tables.as_json(figures))
    else:
        _print_text(rt, figures, rules, output)


def _write(rt: Runtime, output: Path | None, data: object) -> None:
    import json

    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _print_text(rt: Runtime, figures, rules: Path, output: Path | None) -> None:
    from rich.console import Console

    from intake.secretariat.report_tables import cell_text, rows_with_total, tables

    with output.open("w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout) as stream:
        console = Console(file=stream, width=200, no_color=output is not None, highlight=False)
        console.print(report_text("heading", rules, month=figures.month), markup=False)
        at = (jst_iso(figures.as_of) or "").replace("T", " ")[:16]
        console.print(report_text("as_of", rules, at=at), markup=False)
        for table in tables(figures, rules):
            shown = Table(title=table.caption, title_justify="left")
            if not table.rows:  # no item of a form was missing this month
                console.print(table.caption, markup=False)
                console.print(report_text("no_missing", rules), markup=False)
                continue
            for header in table.headers:
                shown.add_column(header, overflow="fold")
            for row in rows_with_total(table):
                add_row(shown, *(cell_text(cell) for cell in row))
            console.print(shown)
        console.print(report_text("reply_note", rules), markup=False)
