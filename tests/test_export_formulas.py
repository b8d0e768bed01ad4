"""Every CSV export (the queue, the register, the roster — from the command line and from the desk)
writes a cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)
with an apostrophe before it (OWASP's CSV-injection rule), and a real LibreOffice Calc opens it as
text. The register file still reads back exactly what was exported."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import openpyxl
import pytest

from intake.documents.libreoffice import find_soffice
from support.desk import add_staff, desk_server
from support.staff_builders import CaseBuilder

SUBJECT = '=HYPERLINK("http://evil.example/","詳細")'
QUEUE_ORG = "@SUM(1+1)*cmd|' /C calc'!A0"
ROSTER_ORG = "=1+1株式会社"
ROSTER_SECTOR = "-2+3"
REGISTER_ROW = {
    "org_name": "+81ホールディングス株式会社",
    "corporate_number": "",
    "department": "\t=情報システム部",
    "name": "山田 太郎",
    "email": "taro.yamada@example.co.jp",
    "phone": "+81-3-1111-0001",
    "system_registration": "要",
    "poc": "する",
}
# what the register keeps of the row: the tab is white space the import strips
REGISTER_KEPT = {**REGISTER_ROW, "department": "=情報システム部"}


@pytest.fixture
def hostile(workspace):
    """A case, a roster member and a register row whose texts look like formulas."""
    workspace.write()
    built = CaseBuilder(workspace.engine())
    built.case("incident_report", org=QUEUE_ORG, subject=SUBJECT)
    member = built.case("membership_application", org=ROSTER_ORG)
    built.application(member, ROSTER_ORG, sector=ROSTER_SECTOR, roster_publication="登載する")
    assert workspace.cli("set-status", member, "accepted").returncode == 0
    path = workspace.root / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(REGISTER_ROW), lineterminator="\r\n")
        writer.writeheader()
        writer.writerow(REGISTER_ROW)
    result = workspace.cli("register", "import", str(path))
    assert result.returncode == 0, result.stderr
    return workspace


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _row_of(rows: list[dict[str, str]], column: str, value: str) -> dict[str, str]:
    found = [r for r in rows if r[column] == value]
    assert len(found) == 1, (value, rows)
    return found[0]


def _assert_escaped(rows: list[dict[str, str]], what: str) -> None:
    if what == "queue":
        row = _row_of(rows, "subject", "'" + SUBJECT)
        assert row["organisation"] == "'" + QUEUE_ORG
    elif what == "roster":
        row = _row_of(rows, "org_name", "'" + ROSTER_ORG)
        assert row["sector"] == "'" + ROSTER_SECTOR
    else:
        row = _row_of(rows, "org_name", "'" + REGISTER_KEPT["org_name"])
        assert row["department"] == "'" + REGISTER_KEPT["department"]
        assert row["phone"] == "'" + REGISTER_KEPT["phone"]
        assert row["email"] == REGISTER_KEPT["email"]  # an ordinary text stays as it is
    for cell in (c for r in rows for c in r.values() if c):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


COMMANDS = {"queue": ("export",), "roster": ("roster", "export"), "register": ("register", "export")}


@pytest.mark.parametrize("what", list(COMMANDS))
def test_cli_csv_exports_write_formulas_as_text(hostile, what):
    to_stdout = hostile.cli(*COMMANDS[what], "--format", "csv")
    assert to_stdout.returncode == 0, to_stdout.stderr
    _assert_escaped(_rows(to_stdout.stdout), what)
    path = hostile.root / f"{what}.csv"
    to_file = hostile.cli(*COMMANDS[what], "--format", "csv", "--output", str(path))
    assert to_file.returncode == 0, to_file.stderr
    _assert_escaped(_rows(path.read_text(encoding="utf-8-sig")), what)


def test_desk_csv_downloads_write_formulas_as_text(hostile):
    config = hostile.config()
    add_staff(config)
    with desk_server(config) as desk:
        client = desk.signed_in()
        for what in COMMANDS:
            response = client.get(f"/exports/{what}.csv")
            assert response.status_code == 200, what
            _assert_escaped(_rows(response.content.decode("utf-8")), what)


def test_the_register_reads_back_exactly_what_it_exported(hostile, tmp_path_factory):
    exported = hostile.cli("register", "export")
    shown = hostile.cli("register", "show", REGISTER_KEPT["org_name"], "--json").stdout
    assert REGISTER_KEPT["phone"] in shown and "'+81" not in shown  # stored without the apostrophe
    fresh = tmp_path_factory.mktemp("fresh")
    (fresh / "register.csv").write_text(exported.stdout, encoding="utf-8")
    hostile.root = fresh
    hostile.write()
    hostile.engine()
    assert hostile.cli("register", "import", str(fresh / "register.csv")).returncode == 0
    assert hostile.cli("register", "export").stdout == exported.stdout
    assert "nothing changed" in hostile.cli("register", "import", str(fresh / "register.csv")).stdout


def _calc_cells(csv_file: Path) -> list[openpyxl.cell.Cell]:
    """The cells of ``csv_file`` as LibreOffice Calc opens it (converted to .xlsx headless)."""
    soffice = find_soffice()
    assert soffice, "LibreOffice is missing: scripts/bootstrap installs it"
    with tempfile.TemporaryDirectory(prefix="intake-calc-") as work:
        command = [
            soffice, "--headless", f"-env:UserInstallation=file://{work}/profile", "--infilter=CSV:44,34,76,1",
            "--convert-to", "xlsx", "--outdir", work, str(csv_file),
        ]  # fmt: skip
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            said, _ = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out = Path(work) / (csv_file.stem + ".xlsx")
        assert out.exists(), f"Calc did not convert the file (libreoffice-calc-nogui installed?): {said!r}"
        return [cell for row in openpyxl.load_workbook(out).active.iter_rows() for cell in row]


def test_libreoffice_calc_shows_the_exported_cells_as_text(hostile, tmp_path):
    path = tmp_path / "queue.csv"
    assert hostile.cli("export", "--format", "csv", "--output", str(path)).returncode == 0
    plain = tmp_path / "unescaped.csv"  # the same cell written as it was before: a formula to Calc
    with plain.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows([["subject"], [SUBJECT]])
    [unescaped] = [c for c in _calc_cells(plain) if c.row == 2]
    assert unescaped.data_type == "f", "Calc no longer runs formulas from CSV: this test proves nothing"
    subject = [c for c in _calc_cells(path) if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in subject] == [("'" + SUBJECT, "s")]
