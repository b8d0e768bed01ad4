"""The month in figures (状況, ``intake report``): cases received per week by kind, how long the
secretariat took to answer and to accept, the open backlog by status and age, and the items of the
forms applicants most often leave empty or fill in wrongly.

Times come from the audit log: a case arrived with its first ``message_received`` entry (a case
split off from another, which has none, with its own ``received_at``); it was first answered by
staff with its first ``staff_reply`` (written on the desk or with ``intake reply``),
``reply_released`` (a held reply let go) or ``sent_elsewhere`` (sent from a mail program); it was
accepted with its first ``status`` entry to ``accepted`` that was not taken back (an
``acceptance_undone`` entry forgets the acceptances before it). Automatic replies sent without staff are
not an answer. The month is a calendar month in Japan time; its weeks start on Monday and are cut
at the month's ends. Cases opened by robots' mail and cases merged into another are not counted.
The backlog is every case not yet in a final status, at ``as_of``. The missing items are the
``required_field`` and ``choice_required`` findings ever raised on the month's cases (resolved
since or not), counted once per case and item — the person blocks of a staff registration
(``staff[2].email``) counted as one item (``（７）電子メール``).

Durations are in hours; the median and the 90th percentile are those of Excel's MEDIAN and
PERCENTILE.INC (linear between the nearest ranks), so a reader can check them on the sheet.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.clock import JST, as_utc
from intake.db.tables import AuditEntry, Case, Finding
from intake.errors import IntakeError
from intake.forms.spec import load_form_specs
from intake.secretariat.statuses import STATUSES

KINDS = ("membership_application", "staff_registration", "incident_report", "other")
FINAL = frozenset({"accepted", "rejected", "closed"})
UNDONE = "acceptance_undone"  # an acceptance taken back (intake accept --undo, 受理を取り消す)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in FINAL)
REPLIES = ("staff_reply", "reply_released", "sent_elsewhere")
FIELD_FAMILIES = ("required_field", "choice_required")
# The backlog's ages: below 3 days, below a week, below two weeks, below four weeks, older.
AGE_LIMITS_DAYS = (3, 7, 14, 28)
AGE_KEYS = ("under_3_days", "under_1_week", "under_2_weeks", "under_4_weeks", "over_4_weeks")
FORM_KINDS = {"application": "membership_application", "staff_registration": "staff_registration"}
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_BLOCK = re.compile(r"^staff\[\d+\]\.")


class MonthError(IntakeError):
    """A month not written YYYY-MM: a usage error."""

    exit_code = 2


@dataclass(frozen=True)
class Week:
    """The cases received from ``first`` to ``last`` (days in Japan time), by kind."""

    first: date
    last: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Durations:
    """How long the month's cases took to reach a step: ``hours`` of those that reached it (in the
    order of their arrival); ``waiting`` had not by ``as_of``."""

    hours: tuple[float, ...]
    waiting: int

    @property
    def count(self) -> int:
        return len(self.hours)

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.hours), 2) if self.hours else None

    @property
    def p90(self) -> float | None:
        found = percentile(self.hours, 0.9)
        return None if found is None else round(found, 2)


@dataclass(frozen=True)
class BacklogRow:
    """The open cases in one status, by age (:data:`AGE_KEYS`)."""

    status: str
    ages: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.ages)


@dataclass(frozen=True)
class MissingItem:
    """An item of a form (``form``: application | staff_registration; ``field``: its key, a staff
    block's without its position) left empty or unreadable in ``cases`` of the month's cases."""

    form: str
    field: str
    label: str
    cases: int


@dataclass(frozen=True)
class MonthReport:
    month: str  # YYYY-MM
    start: datetime  # 00:00 JST of the first day, aware
    end: datetime  # 00:00 JST of the next month's first day
    as_of: datetime
    weeks: list[Week]
    first_reply: Durations
    acceptance: Durations
    backlog: list[BacklogRow]
    missing: list[MissingItem]
    received: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.received.values())


def percentile(values: Sequence[float], share: float) -> float | None:
    """Excel's PERCENTILE.INC: linear between the two nearest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_month(text: str) -> tuple[datetime, datetime]:
    """The month ``YYYY-MM`` as [00:00 JST of its first day, 00:00 JST of the next month's)."""
    found = _MONTH.fullmatch(text.strip())
    if not found:
        raise MonthError(f"month {text!r}: expected YYYY-MM, e.g. 2026-12")
    year, month = int(found.group(1)), int(found.group(2))
    start = datetime(year, month, 1, tzinfo=JST)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=JST)
    return start, end


def month_of(when: datetime) -> str:
    """``YYYY-MM`` of ``when`` in Japan time."""
    return f"{as_utc(when).astimezone(JST):%Y-%m}"


def month_report(session: Session, month: str, *, as_of: datetime, rules_dir: Path) -> MonthReport:
    """The figures of ``month`` (YYYY-MM, Japan time) from the audit log, the cases and their findings."""
    start, end = parse_month(month)
    cases = _counted_cases(session)
    arrivals = _arrivals(session, cases)
    in_month = {case_id: at for case_id, at in arrivals.items() if start <= at.astimezone(JST) < end}
    ordered = sorted(in_month, key=lambda case_id: (in_month[case_id], case_id))
    received = Counter(cases[case_id].kind for case_id in ordered)
    return MonthReport(
        month=month,
        start=start,
        end=end,
        as_of=as_utc(as_of),
        weeks=_weeks(start, end, ((in_month[c], cases[c].kind) for c in ordered)),
        first_reply=_durations(ordered, in_month, _first(session, ordered, REPLIES)),
        acceptance=_durations(ordered, in_month, _accepted(session, ordered)),
        backlog=_backlog(cases.values(), arrivals, as_utc(as_of)),
        missing=_missing(session, ordered, rules_dir),
        received={kind: received.get(kind, 0) for kind in KINDS},
    )


class Counted(NamedTuple):
    """What the figures read of a case: its kind and its status now."""

    id: str
    kind: str
    status: str


def _counted_cases(session: Session) -> dict[str, Counted]:
    """Every case but those opened by robots' mail and those merged into another (three columns:
    the whole rows of a year's cases would take longer to load than everything else)."""
    query = select(Case.id, Case.kind, Case.status).where(
        col(Case.robot).is_(False), col(Case.merged_into).is_(None)
    )
    return {row[0]: Counted(*row) for row in session.exec(query)}


def _arrivals(session: Session, cases: dict[str, Counted]) -> dict[str, datetime]:
    """When each case arrived: its first ``message_received`` entry, else (a case split off
    another, whose mail was received there) its ``received_at``."""
    query = (
        select(AuditEntry.case_id, func.min(AuditEntry.at))
        .where(AuditEntry.action == "message_received", col(AuditEntry.case_id).is_not(None))
        .group_by(AuditEntry.case_id)
    )
    first = {case_id: as_utc(at) for case_id, at in session.exec(query) if case_id in cases}
    others = [case_id for case_id in cases if case_id not in first]
    for chunk in _chunks(others):
        rows = session.exec(select(Case.id, Case.received_at).where(col(Case.id).in_(chunk)))
        first |= {case_id: as_utc(at) for case_id, at in rows}
    return first


def _first(session: Session, case_ids: Sequence[str], actions: Iterable[str]) -> dict[str, datetime]:
    """The time of each case's first entry of one of ``actions``."""
    found: dict[str, datetime] = {}
    for chunk in _chunks(case_ids):
        query = (
            select(AuditEntry.case_id, func.min(AuditEntry.at))
            .where(col(AuditEntry.action).in_(tuple(actions)), col(AuditEntry.case_id).in_(chunk))
            .group_by(AuditEntry.case_id)
        )
        found |= {case_id: as_utc(at) for case_id, at in session.exec(query) if case_id}
    return found


def _accepted(session: Session, case_ids: Sequence[str]) -> dict[str, datetime]:
    """The time of each case's first status change to ``accepted`` since its last undone acceptance."""
    found: dict[str, datetime] = {}
    for chunk in _chunks(case_ids):
        query = (
            select(AuditEntry)
            .where(col(AuditEntry.action).in_(("status", UNDONE)), col(AuditEntry.case_id).in_(chunk))
            .order_by(col(AuditEntry.at), col(AuditEntry.id))
        )
        for entry in session.exec(query):
            if not entry.case_id:
                continue
            if entry.action == UNDONE:
                found.pop(entry.case_id, None)
            elif entry.case_id not in found and _moved_to(entry.detail) == "accepted":
                found[entry.case_id] = as_utc(entry.at)
    return found


def _moved_to(detail: str) -> str | None:
    try:
        data = json.loads(detail)
    except ValueError:
        return None
    return data.get("to") if isinstance(data, dict) else None


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[list[str]]:
    for index in range(0, len(values), size):
        yield list(values[index : index + size])


def _durations(
    ordered: Sequence[str], arrivals: dict[str, datetime], reached: dict[str, datetime]
) -> Durations:
    hours = tuple(
        round(max((reached[c] - arrivals[c]).total_seconds(), 0) / 3600, 4) for c in ordered if c in reached
    )
    return Durations(hours=hours, waiting=sum(1 for c in ordered if c not in reached))


def _weeks(start: datetime, end: datetime, arrivals: Iterable[tuple[datetime, str]]) -> list[Week]:
    """Monday-to-Sunday weeks of the month, the first and last cut at its ends."""
    first, last = start.date(), (end - timedelta(days=1)).date()
    bounds: list[tuple[date, date]] = []
    day = first
    while day <= last:
        sunday = day + timedelta(days=6 - day.weekday())
        bounds.append((day, min(sunday, last)))
        day = sunday + timedelta(days=1)
    counts: list[dict[str, int]] = [dict.fromkeys(KINDS, 0) for _ in bounds]
    for at, kind in arrivals:
        day = at.astimezone(JST).date()
        index = next(i for i, (a, b) in enumerate(bounds) if a <= day <= b)
        counts[index][kind if kind in KINDS else "other"] += 1
    return [Week(a, b, c) for (a, b), c in zip(bounds, counts, strict=True)]


def _backlog(cases: Iterable[Counted], arrivals: dict[str, datetime], as_of: datetime) -> list[BacklogRow]:
    """The open cases that had arrived by ``as_of``, by status and age."""
    table: dict[str, list[int]] = {status: [0] * len(AGE_KEYS) for status in OPEN_STATUSES}
    for case in cases:
        arrived = arrivals[case.id]
        if case.status in FINAL or case.status not in table or arrived > as_of:
            continue
        table[case.status][age_index(as_of - arrived)] += 1
    return [BacklogRow(status, tuple(ages)) for status, ages in table.items()]


def age_index(age: timedelta) -> int:
    """The position in :data:`AGE_KEYS` of a case this old."""
    days = age.total_seconds() / 86400
    return next((i for i, limit in enumerate(AGE_LIMITS_DAYS) if days < limit), len(AGE_LIMITS_DAYS))


def _missing(
    session: Session, case_ids: Sequence[str], rules_dir: Path, limit: int = 10
) -> list[MissingItem]:
    """The items of the forms most often missing, most first (at most ``limit``)."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for chunk in _chunks(case_ids):
        query = select(Finding.case_id, Finding.code).where(col(Finding.case_id).in_(chunk))
        for case_id, code in session.exec(query):
            family, _, key = code.partition(":")
            if family in FIELD_FAMILIES and key:
                form = "staff_registration" if _BLOCK.match(key) else "application"
                seen[(form, _BLOCK.sub("", key))].add(case_id)
    specs = load_form_specs(rules_dir) if seen else None
    items = [
        MissingItem(form, key, _label(specs, form, key), len(cases)) for (form, key), cases in seen.items()
    ]
    items.sort(key=lambda item: (-item.cases, item.form, item.label))
    return items[:limit]


def _label(specs, form: str, key: str) -> str:
    try:
        return specs[form].label(key) if specs is not None else key
    except KeyError:
        return key


def as_hours(value: float | None) -> str:
    """``7.5`` for 7.5 hours, ``-`` when there is no value."""
    return "-" if value is None else f"{value:.1f}"
