"""``intake queue`` read straight from the database (:mod:`.direct`) and printed as the full
command line prints it (:func:`intake.cli.cases.queue`): the same rich table, the same JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from intake.quick.direct import Printed, Source, Unanswered, connect, count_cases, failing_servers, queue
from intake.quick.printing import add_row, printed
from intake.secretariat.labels import case_status_label, short_label

DEFAULT_PAGE = 100  # as intake.cli.cases.DEFAULT_PAGE
VALUED = ("--status", "--kind", "--mailbox", "--org", "--owner", "--limit")


def options(args: list[str]) -> dict:
    """``intake queue``'s options (the last of a repeated one wins, as with click)."""
    found: dict = {"--robots": False, "--all": False, "--json": False, "--limit": str(DEFAULT_PAGE)}
    rest = iter(args)
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name in VALUED:
            found[name] = value if equals else next(rest)
        else:
            found[arg] = True
    limit = found["--limit"]
    if not limit.isdigit() or int(limit) < 1:
        raise Unanswered("--limit: the full command line says what is wrong")
    found["--limit"] = int(limit)
    return found


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake queue ARGS`` prints, read from the database."""
    given = options(args)
    every = given["--all"]
    filters = {key: given.get(f"--{key}") for key in ("status", "kind", "mailbox", "org", "owner")}
    filters["robots"] = None if every else given["--robots"]
    conn = connect(source.database, source.timeout)
    try:
        if failing_servers(conn):
            raise Unanswered("a mail server is failing: the full command line says which")
        items = queue(conn, filters, None if every else given["--limit"])
        total = len(items) if every else count_cases(conn, filters)
    finally:
        conn.close()
    if given["--json"]:
        return Printed(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return Printed(printed(_queue_table(items, total, source.rules, robots=given["--robots"])))


# As intake.cli.cases._queue_table, _due and _age (tests/test_quick_direct.py compares the two).
def _queue_table(items: list[dict], total: int, rules: Path, *, robots: bool) -> Table:
    shown = (
        f"{total} cases" if total == len(items) else f"{len(items)} of {total} cases (--all for every one)"
    )
    title = f"robot mail: {shown}" if robots else shown
    table = Table(
        "case",
        "kind",
        "status",
        "担当",
        "期限",
        "organisation",
        "sender",
        "age",
        "open findings",
        title=title,
    )
    table.columns[0].no_wrap = True
    table.columns[0].min_width = 18
    for c in items:
        labels = "、".join(short_label(code, rules) for code in c["open_findings"])
        add_row(
            table,
            c["id"],
            c["kind"],
            case_status_label(c["status"], c.get("merged_into"), rules),
            c["owner"] or "",
            _due(c),
            c["org_name"] or "",
            c["sender"],
            _age(c["received_at"]),
            labels,
            style="red" if c["overdue"] else None,
        )
    return table


def _due(item: dict) -> str:
    if not item["due_at"]:
        return ""
    day = item["due_at"][5:].replace("-", "/")
    if item["overdue"]:
        return f"期限超過 {day}"
    return f"今日 {day}" if item["due_today"] else day


def _age(iso: str | None) -> str:
    if not iso:
        return ""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))}分"
    if seconds < 86400:
        return f"{int(seconds // 3600)}時間"
    return f"{int(seconds // 86400)}日"
