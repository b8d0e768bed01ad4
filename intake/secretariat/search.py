"""Staff's search (the desk's search box, ``intake search``): the cases whose subject, senders,
organisation, mail, forms, notes or replies hold the query, newest match first, each with where
it matched and a short piece of the text around the first match; and register organisations
whose name holds it. The index itself is :mod:`intake.db.search`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from intake.clock import jst_iso
from intake.db import search
from intake.db.tables import Case, Organisation

DEFAULT_LIMIT = 50
AROUND = 30  # characters shown before the match; twice as many after it
SOURCES = ("case", "message", "application", "staff", "organisation", "note", "reply")


@dataclass
class _Found:
    """One case (or organisation) found: where it matched, and its first snippet."""

    sources: list[str] = field(default_factory=list)
    snippet: dict | None = None


def find(session: Session, query: str, *, limit: int = DEFAULT_LIMIT) -> dict:
    """The search's answer: ``cases`` (at most ``limit``, newest match first), ``organisations``
    (those matched among the rows read until the page of cases was full), ``more`` when more
    cases hold it, and ``index_empty`` when cases exist but the index has no row
    (a database from before the index: ``intake search --reindex``)."""
    wanted = search.normal(query)
    cases: dict[str, _Found] = {}
    orgs: dict[str, _Found] = {}
    more = False
    for entry in search.entries(session, query):
        found = orgs if entry.case_id is None else cases
        key = entry.source_id if entry.case_id is None else entry.case_id
        if key not in found and len(found) >= limit:
            if found is cases:  # the page is full: what is older waits for a narrower query
                more = True
                break
            continue
        _add(found.setdefault(key, _Found()), entry, wanted)
    return {
        "query": query,
        "normalised": wanted,
        "cases": _case_items(session, cases),
        "more": more,
        "organisations": _organisation_items(session, orgs),
        "index_empty": 0 if cases or orgs or not wanted else index_empty(session),
    }


def index_empty(session: Session) -> int:
    """How many cases there are when the index has no row at all (else 0)."""
    if search.has_entries(session):
        return 0
    return session.exec(select(func.count()).select_from(Case).where(col(Case.purged_at).is_(None))).one()


def _add(found: _Found, entry: search.Entry, wanted: str) -> None:
    if entry.source not in found.sources:
        found.sources.append(entry.source)
    if found.snippet is None:
        found.snippet = snippet(entry.text, wanted) | {"source": entry.source}


def snippet(text: str, wanted: str) -> dict:
    """The text around the first match: ``before``, ``match``, ``after`` (plain text: the page and
    the terminal escape it)."""
    at = max(text.find(wanted), 0)
    end = at + len(wanted)
    start, stop = max(at - AROUND, 0), end + 2 * AROUND
    return {
        "before": ("…" if start else "") + text[start:at],
        "match": text[at:end],
        "after": text[end:stop] + ("…" if stop < len(text) else ""),
    }


def _case_items(session: Session, found: dict[str, _Found]) -> list[dict]:
    if not found:
        return []
    rows = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(list(found))))}
    return [
        {
            "id": case.id,
            "kind": case.kind,
            "status": case.status,
            "subject": case.subject,
            "org_name": case.org_name,
            "received_at": jst_iso(case.received_at),
            "matched": sorted(hit.sources, key=SOURCES.index),
            "snippet": hit.snippet,
        }
        for case_id, hit in found.items()
        if (case := rows.get(case_id)) is not None
    ]


def _organisation_items(session: Session, found: dict[str, _Found]) -> list[dict]:
    if not found:
        return []
    ids = [int(i) for i in found]
    rows = {str(o.id): o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(ids)))}
    return [
        {
            "id": org.id,
            "name": org.name,
            "department": org.department,
            "is_member": org.is_member,
            "snippet": hit.snippet,
        }
        for org_id, hit in found.items()
        if (org := rows.get(org_id)) is not None
    ]
