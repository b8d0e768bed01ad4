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


class Scanner:
    """The scans of one message or one unlock; does nothing when ``[scan]`` is off."""

    def __init__(self, config: Config) -> None:
        socket = config.scan.clamd_socket
        self._clamd = Clamd(socket=socket, timeout=config.scan.timeout_seconds) if socket else None
        self._down: str | None = None

    def scan(self, session: Session, attachment: Attachment, files: list[tuple[str | None, bytes]]) -> None:
        """Scan ``files`` of ``attachment`` (its own bytes, or what was decrypted from it)."""
        if self._clamd is None:
            return
        for name, data in files:
            where = _file_name(attachment, name)
            try:
                if self._down:
                    raise ScanUnavailable(self._down)
                found = self._clamd.scan(data)
            except ScanUnavailable as exc:
                self._down = str(exc)
                log.warning(
                    "attachment %s of case %s not scanned: %s", attachment.id, attachment.case_id, exc
                )
                _record(session, attachment, NOT_SCANNED, {"file": where, "reason": str(exc)})
                continue
            if found:
                log.warning(
                    "attachment %s of case %s: ClamAV found %s", attachment.id, attachment.case_id, found
                )
                _record(session, attachment, DETECTED, {"file": where, "signature": found})


def _file_name(attachment: Attachment, name: str | None) -> str:
    own = attachment.filename or f"attachment {attachment.id}"
    inner = PurePosixPath(name).name if name else ""
    return own if not inner or inner == PurePosixPath(own).name else f"{own}/{inner}"


def _record(session: Session, attachment: Attachment, action: str, detail: dict) -> None:
    detail = {"attachment": attachment.id, **detail}
    audit.record(session, by=ACTOR, action=action, case_id=attachment.case_id, detail=detail)
