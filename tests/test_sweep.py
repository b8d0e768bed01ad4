"""`intake sweep` and `intake check-forms` on folders the test builds (no outside material)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from intake.forms import write_application
from support import cli
from support.mailfactory import make_mail
from support.samples import APPLICATION


def run(*args: str) -> subprocess.CompletedProcess:
    return cli.run(list(args), env={}, cwd=Path.cwd())


def test_sweep_counts_cases_quarantine_robots_and_names(tmp_path):
    folder = tmp_path / "mails"
    (folder / "inner").mkdir(parents=True)
    (folder / "a.eml").write_bytes(
        make_mail(
            attachments=[("201201_協議会加入申込書（テスト株式会社）.pdf", b"%PDF-1.4\n", "application/pdf")]
        )
    )
    (folder / "b.eml").write_bytes(
        make_mail(subject="Undelivered Mail Returned to Sender", sender="MAILER-DAEMON@example.com")
    )
    (folder / "same-as-b.eml").write_bytes((folder / "b.eml").read_bytes())
    (folder / "note.txt").write_bytes(b"\x00\x01 not a mail")
    (folder / "inner" / "c.eml").write_bytes(make_mail(headers={"Auto-Submitted": "auto-replied"}))
    (folder / "MANIFEST.tsv").write_text("file\tnote\n")

    result = run("sweep", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    top, inner = counts["."], counts["inner"]
    assert (top["files"], top["kept"], sum(top["quarantined"].values())) == (4, 3, 1)
    assert top["robots"] == {"robot_sender": 2}  # the repeated bounce counts with its original
    assert (top["attachments"], top["names_decoded"], top["bad_names"]) == (1, 1, [])
    assert top["internal_errors"] == []
    assert (inner["files"], inner["robots"]) == (1, {"auto_submitted": 1})


def test_check_forms_reports_what_each_file_holds(tmp_path):
    (tmp_path / "form.docx").write_bytes(write_application(APPLICATION, checkbox_style="legacy_field"))
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    result = run("check-forms", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "2 files, 1 read, 1 with errors" in result.stdout
    assert "legacy check boxes" in result.stdout
