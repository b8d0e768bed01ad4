"""``intake queue`` read straight from the database (:mod:`.direct`) and printed as the full
command line prints it (:func:`intake.cli.cases.queue`): the same rich table, the same JSON."""

from __future__ import annotations

import json

from intake.quick.direct import Printed, Source, Unanswered, connect, count_cases, failing_servers, queue
from intake.quick.printing import printed
from intake.quick.tables import queue_table

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
    return Printed(printed(queue_table(items, total, source.rules, robots=given["--robots"])))
