"""Sweep a folder of password-protected Office files with their known passwords.

For every file listed in a ``passwords.tsv`` (``filename<TAB>password[<TAB>…]``, first row a
header; the password ``UNKNOWN`` means nobody knows it) the file is triaged, then opened with
its stated password and with a wrong one. A Word file passes when the right password opens it
and the wrong one is refused, or when both attempts say "unsupported" (never "wrong
password" for a file that cannot be opened at all). Other files are listed and counted apart.
Passwords are never printed.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from intake.documents.office import decrypt_office
from intake.documents.triage import Triage, triage
from intake.errors import DocumentError, UnsupportedEncryption, WrongPassword

UNKNOWN_PASSWORD = "UNKNOWN"
_WRONG_PROBE = "Definitely-Not-The-Password-7"
_WORD_SUFFIXES = (".docx", ".docm", ".doc", ".dotx", ".dotm")


@dataclass(frozen=True)
class Attempt:
    """One decryption attempt: ``opened``, ``wrong_password``, ``unsupported``, ``not_word`` or ``error``."""

    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file of the folder."""

    name: str
    triage: Triage
    word: bool
    content: str
    right: Attempt | None
    wrong: Attempt
    verdict: str

    @property
    def failed(self) -> bool:
        return self.verdict.startswith("FAIL")


@dataclass
class CorpusReport:
    """All results, plus listed files that are missing and present files that are not listed."""

    results: list[FileResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    def totals(self) -> Counter[str]:
        """Counts per group (``word`` / ``other``) and verdict."""
        counts: Counter[str] = Counter()
        for result in self.results:
            group = "word" if result.word else "other"
            counts[f"{group} files"] += 1
            counts[f"{group}: {result.verdict.split(':')[0]}"] += 1
            if result.right and result.right.outcome == "opened":
                counts[f"{group}: opened with right password"] += 1
            if result.wrong.outcome == "wrong_password":
                counts[f"{group}: refused wrong password"] += 1
        return counts

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.results) and not self.missing


def read_passwords(passwords_tsv: Path) -> dict[str, str]:
    """File name → password from a tab-separated file whose first row is a header."""
    with passwords_tsv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return {row[0].strip(): row[1] for row in rows[1:] if len(row) >= 2 and row[0].strip()}


def check_folder(folder: str | Path, passwords_tsv: str | Path) -> CorpusReport:
    """Check every file listed in ``passwords_tsv`` that lies in ``folder``."""
    folder, passwords_tsv = Path(folder), Path(passwords_tsv)
    passwords = read_passwords(passwords_tsv)
    report = CorpusReport()
    for name, password in passwords.items():
        path = folder / name
        if not path.is_file():
            report.missing.append(name)
            continue
        report.results.append(check_file(name, path.read_bytes(), password))
    listed = set(passwords) | {passwords_tsv.name}
    report.unlisted = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.name not in listed and p.suffix not in (".tsv", ".md", ".txt")
    )
    return report


def check_file(name: str, data: bytes, password: str) -> FileResult:
    """Triage ``data``, then try its password (unless unknown) and a wrong one."""
    kind = triage(data, name)
    right, opened = (None, None) if password == UNKNOWN_PASSWORD else _attempt(data, password)
    wrong, _ = _attempt(data, _WRONG_PROBE if password != _WRONG_PROBE else _WRONG_PROBE + "!")
    opened_kind = triage(opened) if opened is not None else None
    word = _is_word(name, kind, opened_kind)
    content = opened_kind.detail if opened_kind else kind.detail
    return FileResult(name, kind, word, content, right, wrong, _verdict(right, wrong, word))


def _attempt(data: bytes, password: str) -> tuple[Attempt, bytes | None]:
    try:
        return Attempt("opened"), decrypt_office(data, password)
    except WrongPassword as exc:
        return Attempt("wrong_password", str(exc)), None
    except UnsupportedEncryption as exc:
        return Attempt("unsupported", str(exc)), None
    except DocumentError as exc:
        return Attempt("not_word", str(exc)), None
    except Exception as exc:  # a bug: report it, keep sweeping
        return Attempt("error", f"{type(exc).__name__}: {exc}"), None


def _is_word(name: str, kind: Triage, opened: Triage | None) -> bool:
    """Word by content when it can be seen; an undecryptable OOXML file by its name."""
    if opened is not None:
        return opened.format in ("docx", "doc")
    if kind.format == "doc":
        return True
    return kind.format == "docx" and kind.encrypted and name.lower().endswith(_WORD_SUFFIXES)


def _verdict(right: Attempt | None, wrong: Attempt, word: bool) -> str:
    outcomes = (right.outcome if right else None, wrong.outcome)
    if "error" in outcomes:
        return "FAIL: crashed"
    if outcomes == ("opened", "wrong_password"):
        return "ok: opened, wrong refused"
    if outcomes == (None, "wrong_password"):
        return "ok: password unknown, refused"
    if outcomes in (("unsupported", "unsupported"), (None, "unsupported")):
        return "unsupported: " + wrong.detail
    if not word and outcomes in (("not_word", "not_word"), (None, "not_word")):
        return "not Word: " + wrong.detail
    if wrong.outcome == "opened":
        return "FAIL: a wrong password opened it"
    if right and right.outcome == "wrong_password":
        return "FAIL: the right password was refused"
    return f"FAIL: inconsistent ({outcomes[0]} / {outcomes[1]})"


def format_report(report: CorpusReport) -> str:
    """A plain-text table and totals, without any password."""
    lines = [f"{'file':52} {'word':4} {'right pw':14} {'wrong pw':14} verdict", "-" * 120]
    for r in report.results:
        right = r.right.outcome if r.right else "(unknown)"
        lines.append(
            f"{r.name[:52]:52} {'yes' if r.word else 'no':4} {right:14} {r.wrong.outcome:14} {r.verdict}"
        )
        lines.append(f"{'':52}      content: {r.content}")
    lines.append("")
    totals = report.totals()
    for key in sorted(totals):
        lines.append(f"{key:45} {totals[key]}")
    if report.missing:
        lines.append("listed but missing: " + ", ".join(report.missing))
    if report.unlisted:
        lines.append("present but not listed: " + ", ".join(report.unlisted))
    failures = sum(r.failed for r in report.results)
    lines.append(f"failures: {failures}" + ("" if report.ok else "  <-- NOT OK"))
    return "\n".join(lines)
