"""Sweep a folder of .docx files and print the check boxes and content controls intake reads.

Usage: python scripts/check_docx_corpus.py FOLDER

For each file: every legacy form check box and content-control check box with its state and the
text after it, every text content control, and any error (a Strict Open XML file is reported as
unsupported). Files are only read, never copied. The logic is intake.forms.corpus_report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from intake.forms import corpus_report, format_report


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: check_docx_corpus.py FOLDER", file=sys.stderr)
        return 2
    print(format_report(corpus_report(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
