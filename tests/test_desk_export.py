"""`intake export --format xlsx`: the queue as a spreadsheet, one row per case."""

from __future__ import annotations

import openpyxl

from intake.secretariat.exports import QUEUE_COLUMNS
from support import cli
from support.staff_builders import CaseBuilder


def test_queue_export_has_one_row_per_case_with_its_findings(workspace):
    workspace.write()
    built = CaseBuilder(workspace.engine())
    first = built.case("membership_application", status="waiting_for_sender", org="株式会社テスト")
    built.finding(first, "required_field:poc.email")
    built.finding(first, "choice_required:roster_publication")
    built.finding(first, "encryption_required", open=False)
    second = built.case(
        "staff_registration", org="テスト協会", subject='=HYPERLINK("http://evil.example/","x")'
    )
    built.prefix = "CSC"
    third = built.case("incident_report", status="new")
    built.finding(third, "secret_designation")

    out = workspace.root / "queue.xlsx"
    result = workspace.cli("export", "--format", "xlsx", "--output", str(out))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == QUEUE_COLUMNS
    by_id = {row[0]: dict(zip(QUEUE_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert len(rows) == 4 and set(by_id) == {first, second, third}

    assert by_id[first]["status"] == "waiting_for_sender"
    assert by_id[first]["organisation"] == "株式会社テスト"
    assert by_id[first]["open_findings"] == "required_field:poc.email, choice_required:roster_publication"
    assert by_id[first]["resolved_findings"] == "encryption_required"
    assert by_id[third]["kind"] == "incident_report" and by_id[third]["mailbox"] == "anken"
    assert by_id[third]["open_findings"] == "secret_designation"
    assert by_id[second]["open_findings"] is None
    assert by_id[first]["received"].startswith("2026-10-05T11:00:00+09:00")
    # a subject that looks like a formula is kept as text, never run by Excel
    assert by_id[second]["subject"] == '=HYPERLINK("http://evil.example/","x")'
    cell = next(c for c in sheet["G"] if c.value == by_id[second]["subject"])
    assert cell.data_type == "s"


def test_queue_export_as_xlsx_needs_an_output_file(workspace):
    workspace.write()
    workspace.engine()
    result = workspace.cli("export", "--format", "xlsx")
    assert result.returncode == 2
    assert "needs --output" in result.stderr


def test_queue_table_keeps_every_case_id_whole_on_an_80_column_terminal(workspace):
    workspace.write()
    built = CaseBuilder(workspace.engine())
    ids = [
        built.case("membership_application", org="一般社団法人とても長い名前のサイバーセキュリティ推進協会"),
        built.case("staff_registration", org="株式会社テスト", sender="a.very.long.address@example.co.jp"),
    ]
    built.finding(ids[0], "required_field:poc.email")
    result = cli.run(["queue"], env={**workspace.environment, "COLUMNS": "80"}, cwd=workspace.root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for case_id in ids:
        assert any(case_id in line for line in lines), case_id
