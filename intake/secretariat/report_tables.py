"""The month's figures (:mod:`.report`) as the tables staff read — on the 状況 page beside its
charts, in ``intake report`` and in its workbook, so all three show the same numbers — and as
JSON with the codes kept.

A cell is a text (a label) or a number: an int for a count, a float for hours (shown with one
decimal), None where there is nothing to measure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from intake.clock import jst_iso
from intake.secretariat.labels import kind_label, report_text, status_label
from intake.secretariat.report import AGE_KEYS, FORM_KINDS, KINDS, Durations, MonthReport, Week

Cell = str | int | float | None


@dataclass(frozen=True)
class ReportTable:
    key: str  # received | times | backlog | missing
    caption: str
    headers: tuple[str, ...]
    rows: list[list[Cell]]  # the first cell of each row heads it
    total: list[Cell] | None = None  # a last row of sums


def week_label(week: Week) -> str:
    """「12/7〜12/13」."""
    return f"{week.first.month}/{week.first.day}〜{week.last.month}/{week.last.day}"


def tables(report: MonthReport, rules_dir: Path) -> list[ReportTable]:
    """The four tables, captions and headers in Japanese from ``[report]``."""
    return [_received(report, rules_dir), _times(report, rules_dir), _backlog(report, rules_dir),
            _missing(report, rules_dir)]  # fmt: skip


def _received(report: MonthReport, rules_dir: Path) -> ReportTable:
    text = _texts(rules_dir)
    headers = (text("week"), *(kind_label(k, rules_dir) for k in KINDS), text("total"))
    rows: list[list[Cell]] = [[week_label(w), *(w.counts[k] for k in KINDS), w.total] for w in report.weeks]
    total: list[Cell] = [text("total"), *(report.received[k] for k in KINDS), report.total]
    return ReportTable("received", text("received"), headers, rows, total)


def _times(report: MonthReport, rules_dir: Path) -> ReportTable:
    text = _texts(rules_dir)
    headers = (text("step"), text("reached"), text("waiting"), text("median"), text("p90"))
    rows = [_durations_row(text("first_reply"), report.first_reply),
            _durations_row(text("acceptance"), report.acceptance)]  # fmt: skip
    return ReportTable("times", text("times"), headers, rows)


def _durations_row(label: str, durations: Durations) -> list[Cell]:
    return [label, durations.count, durations.waiting, _hours(durations.median), _hours(durations.p90)]


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _backlog(report: MonthReport, rules_dir: Path) -> ReportTable:
    text = _texts(rules_dir)
    headers = (text("status"), *(text(key) for key in AGE_KEYS), text("total"))
    rows: list[list[Cell]] = [[status_label(r.status, rules_dir), *r.ages, r.total] for r in report.backlog]
    sums = [sum(r.ages[i] for r in report.backlog) for i in range(len(AGE_KEYS))]
    return ReportTable("backlog", text("backlog"), headers, rows, [text("total"), *sums, sum(sums)])


def _missing(report: MonthReport, rules_dir: Path) -> ReportTable:
    text = _texts(rules_dir)
    rows: list[list[Cell]] = [
        [kind_label(FORM_KINDS.get(m.form, m.form), rules_dir), m.label, m.cases] for m in report.missing
    ]
    return ReportTable("missing", text("missing"), (text("form"), text("item"), text("cases")), rows)


def _texts(rules_dir: Path):
    return lambda key, **values: report_text(key, rules_dir, **values)


def cell_text(cell: Cell) -> str:
    """How a cell reads on the page and in the terminal: hours with one decimal, ``-`` for none."""
    if cell is None:
        return "-"
    if isinstance(cell, float):
        return f"{cell:.1f}"
    return str(cell)


def as_json(report: MonthReport) -> dict[str, object]:
    """The figures with their codes (kinds, statuses, form items), for programs."""

    def durations(d: Durations) -> dict[str, object]:
        return {"count": d.count, "waiting": d.waiting, "median_hours": d.median, "p90_hours": d.p90}

    return {
        "month": report.month,
        "from": jst_iso(report.start),
        "to": jst_iso(report.end),
        "as_of": jst_iso(report.as_of),
        "received": report.received,
        "weeks": [
            {"from": w.first.isoformat(), "to": w.last.isoformat(), "counts": w.counts} for w in report.weeks
        ],
        "first_reply": durations(report.first_reply),
        "acceptance": durations(report.acceptance),
        "backlog": [
            {"status": r.status, "ages": dict(zip(AGE_KEYS, r.ages, strict=True))} for r in report.backlog
        ],
        "missing": [
            {"form": m.form, "field": m.field, "label": m.label, "cases": m.cases} for m in report.missing
        ],
    }


def write_xlsx(report: MonthReport, target: Path | BinaryIO, rules_dir: Path) -> None:
    """The four tables, one sheet each (the caption on the first row, the headers on the second);
    counts and hours as numbers, labels as text (never a formula)."""
    from openpyxl import Workbook  # only when a workbook is written: it is slow to import

    book = Workbook()
    book.remove(book.active)
    for table in tables(report, rules_dir):
        sheet = book.create_sheet(table.key)
        sheet.append([table.caption])
        sheet.append(list(table.headers))
        for row in [*table.rows, *([table.total] if table.total else [])]:
            sheet.append([_xlsx_cell(cell) for cell in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "B3"
    book.save(target)


def _xlsx_cell(cell: Cell) -> Cell:
    return "" if cell is None else cell


def rows_with_total(table: ReportTable) -> Sequence[list[Cell]]:
    return [*table.rows, *([table.total] if table.total else [])]
