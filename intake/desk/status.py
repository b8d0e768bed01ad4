"""The 状況 page: the month in figures (:mod:`intake.secretariat.report`, the same as
``intake report``), each as a chart drawn on the server (:mod:`.charts`) with its table beside it.
The month is chosen in the address (``?month=YYYY-MM``, GET); this month by default."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake import clock
from intake.clock import jst_iso
from intake.desk import charts
from intake.desk.base import Desk, page
from intake.secretariat.labels import kind_label, report_text, status_label
from intake.secretariat.report import AGE_KEYS, KINDS, MonthError, MonthReport, month_of, month_report
from intake.secretariat.report_tables import Cell, ReportTable, cell_text, tables, week_label


@page
def status_page(request: Request, desk: Desk, user: str) -> Response:
    now = clock.utcnow()
    asked = request.query_params.get("month", "").strip()
    rules, problem = desk.config.rules_path, None
    with desk.reading() as session:
        try:
            figures = month_report(session, asked or month_of(now), as_of=now, rules_dir=rules)
        except MonthError:  # a month not written YYYY-MM: said, and this month shown
            problem = report_text("bad_month", rules, month=asked)
            figures = month_report(session, month_of(now), as_of=now, rules_dir=rules)
    shown = tables(figures, rules)
    return desk.render(
        request,
        "status.html",
        report=figures,
        text=lambda key, **values: report_text(key, rules, **values),
        pairs=list(zip(_charts(figures, shown, desk), shown, strict=True)),
        cell=cell_text,
        as_of=(jst_iso(figures.as_of) or "").replace("T", " ")[:16],
        problem=problem,
        status=400 if problem else 200,
    )


def _charts(figures: MonthReport, shown: list[ReportTable], desk: Desk) -> list:
    rules = desk.config.rules_path

    def text(key: str, **values: object) -> str:
        return report_text(key, rules, **values)

    received, times, backlog, missing = shown
    kinds = [kind_label(k, rules) for k in KINDS]
    return [
        charts.stacked(
            "received", received.caption, _described(received), [week_label(w) for w in figures.weeks],
            kinds, [[w.counts[k] for k in KINDS] for w in figures.weeks],
        ),
        charts.hbars("times", times.caption, _described(times), [
            (f"{row[0]} {header}", _number(row[col]), "-" if row[col] is None else text("hours", value=cell_text(row[col])))
            for row in times.rows for col, header in ((3, text("median")), (4, text("p90")))
        ]),
        charts.stacked(
            "backlog", backlog.caption, _described(backlog), [status_label(r.status, rules) for r in figures.backlog],
            [text(key) for key in AGE_KEYS], [list(r.ages) for r in figures.backlog],
        ),
        charts.hbars("missing", missing.caption, _described(missing), [
            (f"{row[0]} {row[1]}", _number(row[2]), cell_text(row[2])) for row in missing.rows
        ]),
    ]  # fmt: skip


def _number(cell: Cell) -> float | None:
    return float(cell) if isinstance(cell, int | float) else None


def _described(table: ReportTable) -> str:
    """The chart's description for a screen reader: each row of its table in words."""
    lines = []
    for row in table.rows:
        pairs = [f"{h} {cell_text(c)}" for h, c in zip(table.headers[1:], row[1:], strict=True)]
        lines.append(f"{cell_text(row[0])}: " + "、".join(pairs))
    return "。".join(lines)


ROUTES = [Route("/status", status_page, methods=["GET"])]
