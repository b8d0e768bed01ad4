"""How long 受理 takes now that it is shown first and can be undone, for an organisation of PEOPLE
registered people whose 事務従事者登録届 keeps them all (each with a new phone) and adds ten.

    python scripts/bench_accept.py [PEOPLE] [RUNS]     # default 200 people, 5 runs

On a SQLite file in a temporary directory, the median wall time of RUNS runs of: the preview
(what the desk's confirmation page and ``intake accept --dry-run`` compute: the change tried in a
savepoint and rolled back), the acceptance itself (a trial to find the rows, the rows kept before,
the change, the rows kept after, all in one transaction), and its undo; and the size of the
acceptance's audit entry. Timing lives here, never in tests.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from intake.db import make_engine, session_scope, upgrade
from intake.db.tables import Attachment, AuditEntry, Case, Message, Organisation, RegisteredPerson, StaffEntry
from intake.secretariat import accepting, actions

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 200
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
RULES = Path(__file__).resolve().parent.parent / "rules"
ORG = "株式会社ベンチ"
CASE = "KYOGIKAI-2026-0001"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/intake.db")
        upgrade(engine)
        _fill(engine)
        times: dict[str, list[float]] = {"preview": [], "accept": [], "undo": []}
        for _ in range(RUNS):
            times["preview"].append(_timed(engine, lambda s: accepting.preview(s, CASE, rules_dir=RULES)))
            times["accept"].append(_timed(engine, _accept))
            times["undo"].append(
                _timed(engine, lambda s: accepting.undo(s, CASE, by="bench", rules_dir=RULES))
            )
        with Session(engine) as session:
            entry = session.exec(select(AuditEntry).where(AuditEntry.action == "acceptance")).first()
            size = len(entry.detail.encode()) if entry else 0
        engine.dispose()
    print(f"{PEOPLE} people on file, {PEOPLE + 10} blocks; median of {RUNS} runs (SQLite)")
    for name, values in times.items():
        print(f"  {name:8} {statistics.median(values) * 1000:7.1f} ms")
    print(f"  acceptance audit entry: {size / 1024:.1f} KiB")


def _accept(session: Session) -> None:
    actions.set_status(session, CASE, "accepted", by="bench", rules_dir=RULES)


def _timed(engine, work) -> float:
    start = time.perf_counter()
    with session_scope(engine) as session:
        work(session)
    return time.perf_counter() - start


def _fill(engine) -> None:
    when = datetime(2026, 10, 5, tzinfo=UTC)
    with session_scope(engine) as session:
        org = Organisation(name=ORG, name_key=ORG)
        session.add(org)
        session.flush()
        for n in range(PEOPLE):
            name = f"職員 {n:04d}"
            session.add(
                RegisteredPerson(
                    organisation_id=org.id, name=name, name_key=name.replace(" ", ""),
                    email=f"staff{n}@bench.example.jp", phone="03-0000-0000", source="import",
                )
            )  # fmt: skip
        session.add(
            Case(
                id=CASE, mailbox="kyogikai", kind="staff_registration", status="ready_for_review",
                org_name=ORG, sender="poc@bench.example.jp", subject="登録届", received_at=when, updated_at=when,
            )
        )  # fmt: skip
        session.add(Message(case_id=CASE, mailbox="kyogikai", sha256="0" * 64, subject="登録届"))
    with session_scope(engine) as session:
        message = session.exec(select(Message)).one()
        attachment = Attachment(
            case_id=CASE, message_pk=message.id, part_index=2, filename="staff.docx", format="docx",
            state="decrypted", document="staff_registration",
        )  # fmt: skip
        session.add(attachment)
        session.flush()
        for n in range(PEOPLE + 10):
            kind = "継続" if n < PEOPLE else "新規"
            session.add(
                StaffEntry(
                    case_id=CASE, attachment_id=attachment.id, position=n + 1, org_name=ORG,
                    name=f"職員 {n:04d}", email=f"staff{n}@bench.example.jp", phone="03-1111-1111",
                    application_type=kind, system_registration="要", poc="しない",
                )
            )  # fmt: skip


if __name__ == "__main__":
    main()
