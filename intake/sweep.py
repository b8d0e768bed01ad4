"""The corpus sweep: every file of a folder through the real parsing and classification, into a
throwaway database, with counts — parsed, quarantined by reason, robots by reason, attachment
names decoded, speed, and the exceptions that escaped (internal errors; there should be none).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from intake.config import parse_config
from intake.db import make_engine, upgrade
from intake.models import Attachment, Message, QuarantineEntry
from intake.poller import Poller, PollReport
from intake.sources import Fetched

SKIP = {"MANIFEST.tsv", "README.md", "SOURCES.md"}


@dataclass
class FolderCounts:
    files: int = 0
    cases: int = 0
    joined: int = 0
    duplicates: int = 0
    quarantined: Counter = field(default_factory=Counter)
    robots: Counter = field(default_factory=Counter)
    attachments: int = 0
    names_decoded: int = 0
    bad_names: list[str] = field(default_factory=list)  # U+FFFD or a raw encoded word left
    bad_subjects: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["quarantined"], data["robots"] = dict(self.quarantined), dict(self.robots)
        data["messages_per_second"] = round(self.files / self.seconds, 1) if self.seconds else None
        return data


def sweep(folder: Path, *, profile: str = "membership") -> dict[str, FolderCounts]:
    """Counts per sub-folder (files directly in ``folder`` count under ".")."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in SKIP):
        groups.setdefault(str(path.parent.relative_to(folder)), []).append(path)
    with tempfile.TemporaryDirectory(prefix="intake-sweep-") as tmp:
        return {
            name: _sweep_group(Path(tmp) / f"g{i}", files, profile)
            for i, (name, files) in enumerate(groups.items())
        }


def _sweep_group(work: Path, files: list[Path], profile: str) -> FolderCounts:
    config = parse_config(
        {
            "storage": {"database": f"sqlite:///{work}/sweep.db", "archive_dir": str(work / "messages")},
            "mailbox": [
                {
                    "name": "sweep",
                    "profile": profile,
                    "address": "sweep@intake.invalid",
                    "case_prefix": "SWEEP",
                    "source": "maildir",
                    "path": str(work / "maildir"),
                }
            ],
        },
        source="sweep",
    )
    engine = make_engine(config.storage.database)
    upgrade(engine)
    poller, mailbox = Poller(config=config, engine=engine), config.mailbox[0]
    report, counts = PollReport(mailbox="sweep"), FolderCounts(files=len(files))
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, len(files), 100):
            for path in files[start : start + 100]:
                fetched = Fetched(ref=f"file:{path.name}", raw=path.read_bytes(), key=path.name)
                poller.process_one(session, mailbox, fetched, report)
            session.commit()
    counts.seconds = time.perf_counter() - started
    counts.cases, counts.joined, counts.duplicates = report.created, report.joined, report.duplicates
    _tally(engine, counts)
    engine.dispose()
    return counts


def _tally(engine, counts: FolderCounts) -> None:
    with Session(engine) as session:
        for error, ref in session.exec(select(QuarantineEntry.error, QuarantineEntry.source_ref)):
            if error.startswith("internal error"):
                counts.internal_errors.append(f"{ref}: {error}")
            counts.quarantined[_reason(error)] += 1
        for reason, subject, ref in session.exec(
            select(Message.no_reply_reason, Message.subject, Message.source_ref)
        ):
            if reason:
                counts.robots[reason] += 1
            if _garbled(subject):
                counts.bad_subjects.append(f"{ref}: {subject}")
        for name in session.exec(select(Attachment.filename)):
            counts.attachments += 1
            if name:
                counts.names_decoded += 1
                if _garbled(name):
                    counts.bad_names.append(name)


def _garbled(text: str | None) -> bool:
    return bool(text) and ("\ufffd" in text or "=?" in text and "?=" in text)


def _reason(error: str) -> str:
    """A short bucket for a quarantine error: its words before the first number or colon."""
    head = error.split(":", 1)[0]
    return " ".join(w for w in head.split() if not any(c.isdigit() for c in w))[:60] or "error"
