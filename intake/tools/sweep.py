"""The corpus sweep: every file of a folder through the real parsing and classification, into a
throwaway database, with counts — parsed, quarantined by reason, robots by reason, attachment
names decoded, speed, and the exceptions that escaped (internal errors; there should be none).

Counts are per file: a file that repeats a message already seen (same content, or same
Message-ID from the same sender) is counted with the verdict of the message it repeats.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from intake.config import parse_config
from intake.db import make_engine, upgrade
from intake.db.tables import Attachment, Message, QuarantineEntry
from intake.runner.poller import Poller, PollReport
from intake.sources import Fetched

SKIP = {"MANIFEST.tsv", "README.md", "SOURCES.md"}


@dataclass
class FolderCounts:
    files: int = 0
    kept: int = 0  # became a case or joined one (repeats included)
    quarantined: Counter = field(default_factory=Counter)
    robots: Counter = field(default_factory=Counter)
    robot_files: list[str] = field(default_factory=list)
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
    logging.getLogger("intake.runner.poller").setLevel(logging.ERROR)  # the counts say it all
    with tempfile.TemporaryDirectory(prefix="intake-sweep-") as tmp:
        return {
            name: _sweep_group(Path(tmp) / f"g{i}", files, profile)
            for i, (name, files) in enumerate(groups.items())
        }


def _sweep_group(work: Path, files: list[Path], profile: str) -> FolderCounts:
    config = parse_config(
        {
            "storage": {"database": f"sqlite:///{work}/sweep.db", "archive_dir": str(work / "messages")},
            "replies": {"mode": "off"},
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
    counts, stored = FolderCounts(files=len(files)), dict[str, int]()
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, len(files), 100):
            for path in files[start : start + 100]:
                fetched = Fetched(ref=f"file:{path.name}", raw=path.read_bytes(), key=path.name)
                result = poller.process_one(session, mailbox, fetched, PollReport(mailbox="sweep"))
                if result is not None and result.message_pk is not None:  # (only a sent copy stores none)
                    stored[path.name] = result.message_pk
            session.commit()
        counts.seconds = time.perf_counter() - started
        counts.kept = len(stored)
        _tally(session, counts, stored)
    engine.dispose()
    return counts


def _tally(session: Session, counts: FolderCounts, stored: dict[str, int]) -> None:
    for error, ref in session.exec(select(QuarantineEntry.error, QuarantineEntry.source_ref)):
        if error.startswith("internal error"):
            counts.internal_errors.append(f"{ref}: {error}")
        counts.quarantined[_reason(error)] += 1
    messages = {m.id: m for m in session.exec(select(Message))}
    for name, pk in stored.items():
        reason = messages[pk].no_reply_reason
        if reason:
            counts.robots[reason] += 1
            counts.robot_files.append(name)
    for message in messages.values():
        if _garbled(message.subject):
            counts.bad_subjects.append(f"{message.source_ref}: {message.subject}")
    for filename in session.exec(select(Attachment.filename)):
        counts.attachments += 1
        if filename:
            counts.names_decoded += 1
            if _garbled(filename):
                counts.bad_names.append(filename)


def _garbled(text: str | None) -> bool:
    if not text:
        return False
    return "\ufffd" in text or ("=?" in text and "?=" in text)


def _reason(error: str) -> str:
    """A short bucket for a quarantine error: its words before the first colon, without numbers."""
    head = error.split(":", 1)[0]
    return " ".join(w for w in head.split() if not any(c.isdigit() for c in w))[:80] or "error"
