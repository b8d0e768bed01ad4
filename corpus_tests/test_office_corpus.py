"""Every Word file of the encrypted-Office corpus opens with its stated password and is refused
with a wrong one; the output never shows a password."""

from __future__ import annotations

import subprocess
import sys


def test_check_office_on_the_corpus_opens_every_word_file_and_prints_no_password(corpus_dir):
    folder = corpus_dir / "office_encrypted"
    result = subprocess.run(
        [sys.executable, "-m", "intake", "check-office", str(folder), str(folder / "passwords.tsv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failures: 0" in result.stdout and "word: ok" in result.stdout
    rows = [line.split("\t") for line in (folder / "passwords.tsv").read_text().splitlines()[1:] if line]
    names = " ".join(row[0] for row in rows)
    distinctive = {row[1] for row in rows if len(row[1]) >= 6 and row[1] != "UNKNOWN" and row[1] not in names}
    assert "Password1234_" in distinctive
    for password in distinctive:
        assert password not in result.stdout + result.stderr
