"""``intake search``: the cases (and register organisations) whose text holds the words, as the
desk's search box finds them; ``--reindex`` builds the index again from the database and the
archive (a database from before the index, or after a restore)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.secretariat.labels import kind_label, search_text, status_label


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(metavar="TEXT", help="What to look for.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many cases.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    reindex: Annotated[
        bool,
        typer.Option("--reindex", help="Build the search index again from the database and the archive."),
    ] = False,
) -> None:
    """Search subjects, mail, forms, organisations, notes and replies (1 character or more)."""
    rt: Runtime = ctx.obj
    if reindex:
        _reindex(rt, as_json=as_json)
        return
    if not text or not text.strip():
        raise typer.BadParameter("give the words to look for (or --reindex)", param_hint="TEXT")
    from intake.secretariat.search import find

    with rt.reading_session() as session:
        found = find(session, text, limit=limit)
    if as_json:
        rt.print_json(found)
        return
    _print(rt, found, limit)


def _reindex(rt: Runtime, *, as_json: bool) -> None:
    from intake.cases.indexing import reindex

    done = reindex(rt.ready_engine(), rt.config)
    if as_json:
        rt.print_json({"cases": done.cases, "entries": done.entries, "unreadable": done.unreadable})
        return
    rules = rt.config.rules_path
    line = search_text("reindexed", rules, cases=done.cases, entries=done.entries, unreadable=done.unreadable)
    rt.out.print(line, markup=False)


def _print(rt: Runtime, found: dict, limit: int) -> None:
    rules = rt.config.rules_path
    label = lambda key, **values: search_text(key, rules, **values)  # noqa: E731
    if found["index_empty"]:
        rt.out.print(label("index_empty", cases=found["index_empty"]), markup=False)
    cases = found["cases"]
    if not cases and not found["organisations"]:
        rt.out.print(label("none", query=found["query"]), markup=False)
        return
    title = label("results", query=found["query"], count=len(cases))
    table = Table(label("case_id"), label("kind"), label("status"), label("subject"), label("where"),
                  label("snippet"), title=title)  # fmt: skip
    table.columns[0].no_wrap = True
    for case in cases:
        where = "、".join(label(source) for source in case["matched"])
        add_row(table, case["id"], kind_label(case["kind"], rules), status_label(case["status"], rules),
                case["subject"], where, _snippet(case["snippet"]))  # fmt: skip
    rt.out.print(table)
    if found["more"]:
        rt.out.print(label("more", limit=limit), markup=False)
    if found["organisations"]:
        orgs = Table(label("organisation"), label("snippet"), title=label("organisations"))
        for org in found["organisations"]:
            add_row(orgs, f"{org['name']} {org['department'] or ''}".strip(), _snippet(org["snippet"]))
        rt.out.print(orgs)


def _snippet(snippet: dict | None) -> str:
    return "".join((snippet["before"], snippet["match"], snippet["after"])) if snippet else ""
