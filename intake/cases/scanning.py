"""Scanning attachments with ClamAV (``[scan] clamd_socket``) as they arrive and as they are
decrypted, and keeping what was found.

A verdict is kept in the case's audit log, which nothing can change afterwards: ``malware_detected``
(the signature) or ``attachment_not_scanned`` (why: clamd down, too slow, refusing the file), each
naming the attachment and the file. A clean file leaves nothing. :mod:`intake.cases.scans` reads
them back for the checks, ``intake show`` and the desk (which offers a detected file only zipped).
A clamd that failed once is not asked again for the rest of the same message or unlock, so a dead
clamd costs one timeout, not one per file.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from sqlmodel import Session

from intake.cases.scans import DETECTED, NOT_SCANNED
from intake.config import Config
from intake.db import audit
from intake.db.tables import Attachment
from intake.documents.scan import Clamd, ScanUnavailable

log = logging.getLogger(__name__)
ACTOR = "intake"


Verdict = tuple[str, dict]  # (audit action, detail without the attachment's id)


class Scanner:
    """The scans of one message or one unlock; does nothing when ``[scan]`` is off. :meth:`check`
    talks to clamd only (no database: a message is scanned before its write begins);
    :meth:`scan` also records the verdicts."""

    def __init__(self, config: Config) -> None:
        socket = config.scan.clamd_socket
        self._clamd = Clamd(socket=socket, timeout=config.scan.timeout_seconds) if socket else None
        self._down: str | None = None

    def check(self, own: str, files: list[tuple[str | None, bytes]]) -> list[Verdict]:
        """The verdicts on ``files`` of the attachment named ``own`` (its bytes, or what was
        decrypted from it): what was found, and what could not be scanned."""
        if self._clamd is None:
            return []
        verdicts: list[Verdict] = []
        for name, data in files:
            where = _file_name(own, name)
            try:
                if self._down:
                    raise ScanUnavailable(self._down)
                found = self._clamd.scan(data)
            except ScanUnavailable as exc:
                self._down = str(exc)
                log.warning("%s not scanned: %s", where, exc)
                verdicts.append((NOT_SCANNED, {"file": where, "reason": str(exc)}))
                continue
            if found:
                log.warning("%s: ClamAV found %s", where, found)
                verdicts.append((DETECTED, {"file": where, "signature": found}))
        return verdicts

    def scan(self, session: Session, attachment: Attachment, files: list[tuple[str | None, bytes]]) -> None:
        """Scan ``files`` of ``attachment`` and record the verdicts."""
        record(session, attachment, self.check(own_name(attachment), files))


def own_name(attachment: Attachment) -> str:
    return attachment.filename or f"attachment {attachment.id}"


def record(session: Session, attachment: Attachment, verdicts: list[Verdict]) -> None:
    """Keep the verdicts on ``attachment`` in its case's audit log."""
    for action, detail in verdicts:
        detail = {"attachment": attachment.id, **detail}
        audit.record(session, by=ACTOR, action=action, case_id=attachment.case_id, detail=detail)


def _file_name(own: str, name: str | None) -> str:
    inner = PurePosixPath(name).name if name else ""
    return own if not inner or inner == PurePosixPath(own).name else f"{own}/{inner}"
