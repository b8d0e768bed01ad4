"""Files made from the database: the public member roster (Q16), the queue as a spreadsheet, and
the writers they share (CSV and XLSX).

The roster (協議会構成員名簿) is what NISC publishes: organisation name, 区分 (category), 分野
(sector) and 参加区分 (participation class: 一般の構成員 ordinary member, タスクフォース第一類構成員 /
第二類構成員 task-force class 1 / 2). It never holds a person's data — no name, e-mail or phone of a
registered person or of the POC — and lists only members whose accepted application chose 登載する
(publish) for 構成員名簿への登載.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from sqlmodel import Session, col, select

from intake.clock import jst_iso
from intake.db.tables import Finding, Organisation
from intake.secretariat import views

ROSTER_COLUMNS = ("org_name", "category", "sector", "participation")
# What a spreadsheet takes for the start of a formula in a CSV cell (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUEUE_COLUMNS = (
    "id",
    "kind",
    "status",
    "mailbox",
    "organisation",
    "sender",
    "subject",
    "received",
    "updated",
    "open_findings",
    "resolved_findings",
)


def roster_rows(session: Session) -> list[dict[str, str]]:
    """The public roster: members that chose 登載する, by name; four columns, none personal."""
    query = (
        select(Organisation)
        .where(Organisation.is_member, Organisation.roster_publication)
        .order_by(col(Organisation.name_key), col(Organisation.id))
    )
    return [
        {"org_name": org.name, "category": org.category or "", "sector": org.sector or "",
         "participation": org.participation or ""}
        for org in session.exec(query)
    ]  # fmt: skip


def queue_export_rows(session: Session) -> list[dict[str, str]]:
    """One row per case, newest first, with its open and resolved finding codes."""
    cases = views.list_cases(session)
    found: dict[str, dict[bool, list[str]]] = {c.id: {True: [], False: []} for c in cases}
    for finding in session.exec(select(Finding).order_by(col(Finding.id))):
        if finding.case_id in found:
            found[finding.case_id][finding.open].append(finding.code)
    return [
        {
            "id": c.id,
            "kind": c.kind,
            "status": c.status,
            "mailbox": c.mailbox,
            "organisation": c.org_name or "",
            "sender": c.sender,
            "subject": c.subject,
            "received": jst_iso(c.received_at) or "",
            "updated": jst_iso(c.updated_at) or "",
            "open_findings": ", ".join(found[c.id][True]),
            "resolved_findings": ", ".join(found[c.id][False]),
        }
        for c in cases
    ]


def write_csv(
    rows: Iterable[Mapping[str, object]], out: TextIO, columns: Sequence[str] | None = None
) -> None:
    """Rows as CSV with a header row; ``columns`` fixes the header (needed when there are no rows).
    Every text cell goes through :func:`as_text_cell`: Excel and LibreOffice show it, never run it."""
    rows = list(rows)
    names = list(columns or (rows[0].keys() if rows else ()))
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: as_text_cell(v) for k, v in row.items()} for row in rows)


def as_text_cell(value: object) -> object:
    """A text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, tab or CR
    first) with an apostrophe before it, so it is shown as text. A text that already starts with
    apostrophes before such a character gets one more, so :func:`from_text_cell` reads back exactly
    what was written (the register file round trip)."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def from_text_cell(text: str) -> str:
    """The value :func:`as_text_cell` made ``text`` from (a CSV cell read back)."""
    if text.startswith("'") and text[1:].lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_xlsx(
    rows: Iterable[Mapping[str, object]],
    path: Path | BinaryIO,
    columns: Sequence[str] | None = None,
    *,
    title: str = "intake",
) -> None:
    """Rows as a one-sheet workbook with a header row. Every value is written as text: a subject or
    name beginning with ``=`` stays text, never a formula Excel would run."""
    rows = list(rows)
    names = list(columns or (rows[0].keys() if rows else ()))
    from openpyxl import Workbook  # only when a spreadsheet is written: it is slow to import
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for r, values in enumerate([dict(zip(names, names, strict=True)), *rows], start=1):
        for c, name in enumerate(names, start=1):
            text = ILLEGAL_CHARACTERS_RE.sub("", str(values.get(name) or ""))
            if text:
                sheet.cell(row=r, column=c, value=text).data_type = "s"
    sheet.freeze_panes = "A2"
    book.save(path)
