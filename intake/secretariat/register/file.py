"""Reading the register file: CSV (UTF-8, with or without the BOM Excel writes) or XLSX.

One row per registered person, an organisation with nobody registered having one row with the
person columns empty (interface.md, "Register file"). ``system_registration`` is 要 (needs an
account on the Council system) / 不要; ``poc`` is する (the organisation's point of contact) / しない.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from intake.errors import IntakeError
from intake.forms.normalize import fold
from intake.secretariat.exports import from_text_cell

PERSON_FIELDS = ("name", "email", "phone", "system_registration", "poc")
REGISTER_COLUMNS = ("org_name", "corporate_number", "department", *PERSON_FIELDS)
_CHOICES = {"system_registration": ("要", "不要"), "poc": ("する", "しない")}


def read_register_file(path: Path) -> list[dict[str, str | None]]:
    """The rows of a register file (CSV in UTF-8 with or without BOM, or XLSX), checked whole."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IntakeError(
            f"cannot read {path}: {exc.strerror}", label="register_unreadable", file=path.name
        ) from None
    table = _xlsx_table(raw, path) if raw.startswith(b"PK\x03\x04") else _csv_table(raw, path)
    if not table:
        columns = ", ".join(REGISTER_COLUMNS)
        raise IntakeError(
            f"{path.name}: empty; the header must be {columns}",
            label="register_empty",
            file=path.name,
            columns=columns,
        )
    header = _check_header(path.name, table[0])
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {name: _cell(cells[i]) if i < len(cells) else None for i, name in header.items()}
        if any(values.values()):
            rows.append(_check_row(path.name, number, values))
    return rows


def _csv_table(raw: bytes, path: Path) -> list[list]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeError(
            f"{path.name}: not UTF-8 text (save it as 'CSV UTF-8' or as .xlsx)",
            label="register_not_utf8",
            file=path.name,
        ) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    return [[from_text_cell(cell) for cell in row] for row in rows]  # as our own export wrote them


def _xlsx_table(raw: bytes, path: Path) -> list[list]:
    import openpyxl  # only for .xlsx: it is slow to import

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise IntakeError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})",
            label="register_not_xlsx",
            file=path.name,
        ) from None


def _cell(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into Excel, e.g. a 法人番号
    text = "" if value is None else str(value).strip()
    return text or None


def _check_header(filename: str, cells: list) -> dict[int, str]:
    """Column index → column name; every register column exactly once, nothing else."""
    names = {i: fold(str(c)).lower() for i, c in enumerate(cells) if c is not None and str(c).strip()}
    for name in names.values():
        if name not in REGISTER_COLUMNS:
            columns = ", ".join(REGISTER_COLUMNS)
            raise IntakeError(
                f"{filename}: unknown column {name!r}; the columns are {columns}",
                label="register_column_unknown",
                file=filename,
                column=name,
                columns=columns,
            )
        if list(names.values()).count(name) > 1:
            raise IntakeError(
                f"{filename}: column {name!r} appears twice",
                label="register_column_twice",
                file=filename,
                column=name,
            )
    for name in REGISTER_COLUMNS:
        if name not in names.values():
            raise IntakeError(
                f"{filename}: missing column {name!r}",
                label="register_column_missing",
                file=filename,
                column=name,
            )
    return names


def _check_row(filename: str, number: int, row: dict[str, str | None]) -> dict[str, str | None]:
    if not row["org_name"]:
        raise IntakeError(
            f"{filename} row {number}: column 'org_name' is empty",
            label="register_no_org",
            file=filename,
            row=number,
        )
    if not row["name"] and any(row[k] for k in PERSON_FIELDS):
        raise IntakeError(
            f"{filename} row {number}: column 'name' is empty but other person columns are not",
            label="register_no_name",
            file=filename,
            row=number,
        )
    for key, allowed in _CHOICES.items():
        if row[key] is not None and row[key] not in allowed:
            choices = " or ".join(allowed)
            raise IntakeError(
                f"{filename} row {number}: column {key!r} must be {choices}",
                label="register_bad_choice",
                file=filename,
                row=number,
                column=key,
                choices="、".join(allowed),
            )
    return row
