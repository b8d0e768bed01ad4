"""A sweep over a folder of Outlook containers (winmail.dat / .tnef, .msg): each one sent as the
attachment of a test message and read by the real parser, as mail brings it.

Every file is opened (its files and attached messages counted) or refused with the plain reason
the case would show; an exception escaping the parser is counted as a crash (the command then
exits 1). Files are read where they are, never copied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from intake.mail import Limits, ParsedAttachment, parse_message
from intake.mail.containers import container_kind

_SKIP_SUFFIXES = {".tsv", ".md", ".txt"}
_TYPES = {".msg": "application/vnd.ms-outlook", ".eml": "message/rfc822"}
_TNEF_TYPE = "application/ms-tnef"


@dataclass(frozen=True)
class ContainerReport:
    name: str
    files: int = 0
    messages: int = 0
    problem: str | None = None  # why it was not opened
    crash: str | None = None  # an exception that escaped the parser
    seconds: float = 0.0


def corpus_report(folder: Path, *, limits: Limits = Limits()) -> list[ContainerReport]:
    """One report per file of ``folder`` (sorted by name; .tsv/.md/.txt skipped)."""
    files = sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() not in _SKIP_SUFFIXES
    )
    return [report_file(path, limits=limits) for path in files]


def wrapped(path: Path) -> bytes:
    """The file as the one attachment of a message, typed as a mail program types it."""
    mail = EmailMessage()
    mail["From"] = "sender@example.jp"
    mail["To"] = "intake@example.jp"
    mail["Subject"] = "container"
    mail.set_content("see attachment")
    maintype, subtype = _TYPES.get(path.suffix.lower(), _TNEF_TYPE).split("/")
    data = path.read_bytes()
    if maintype == "message":
        maintype, subtype = "application", "octet-stream"  # the .eml is read as a file sent
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return mail.as_bytes()


def report_file(path: Path, *, limits: Limits = Limits()) -> ContainerReport:
    """What the parser made of one file; never raises."""
    started = time.perf_counter()
    try:
        parsed = parse_message(wrapped(path), limits=limits)
    except Exception as exc:  # the sweep must go on: this is what it exists to find
        return ContainerReport(path.name, crash=f"{type(exc).__name__}: {exc}"[:300])
    seconds = time.perf_counter() - started
    (outer, *inner) = parsed.attachments
    return ContainerReport(
        path.name,
        files=len(inner),
        messages=len(parsed.attached_messages),
        problem=outer.problem or _not_a_container(outer),
        seconds=seconds,
    )


def _not_a_container(outer: ParsedAttachment) -> str | None:
    """None for a container (opened, perhaps holding no file: a plain message, a read receipt)."""
    if container_kind(outer.filename, outer.content_type, outer.payload) or outer.container:
        return None
    return "not a TNEF file or Outlook item"


def format_report(reports: list[ContainerReport]) -> str:
    """One line per file, then totals."""
    lines = []
    for r in reports:
        if r.crash:
            lines.append(f"CRASH   {r.name}: {r.crash}")
        elif r.problem:
            lines.append(f"refused {r.name}: {r.problem}")
        else:
            lines.append(f"opened  {r.name}: {r.files} files, {r.messages} messages ({r.seconds:.2f} s)")
    lines.append(_totals(reports))
    return "\n".join(lines)


def _totals(reports: list[ContainerReport]) -> str:
    opened = [r for r in reports if not r.crash and not r.problem]
    refused = sum(1 for r in reports if r.problem and not r.crash)
    crashed = sum(1 for r in reports if r.crash)
    slowest = max((r.seconds for r in reports), default=0.0)
    return (
        f"-- {len(reports)} containers: {len(opened)} opened ({sum(r.files for r in opened)} files, "
        f"{sum(r.messages for r in opened)} attached messages), {refused} refused with a reason, "
        f"{crashed} crashed; slowest {slowest:.2f} s"
    )
