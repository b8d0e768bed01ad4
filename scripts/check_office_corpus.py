"""Sweep a folder of encrypted Office files: python scripts/check_office_corpus.py FOLDER PASSWORDS_TSV.

Prints one row per file (triage, right password, wrong password, verdict) and totals; exits 1
if any file failed (right password refused, wrong password accepted, crash). Passwords are
never printed. The logic lives in :mod:`intake.documents.corpus_check`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.documents.corpus_check import check_folder, format_report  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    report = check_folder(argv[0], argv[1])
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
