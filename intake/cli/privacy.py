"""Personal data: ``intake purge [--apply]`` (retention) and ``intake person find|erase``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row

if TYPE_CHECKING:
    from intake.secretariat.privacy.person import Hit
    from intake.secretariat.privacy.retention import Plan

person_app = typer.Typer(
    no_args_is_help=True, help="A person's data: find it (disclosure request), erase it (on request)."
)
app.add_typer(person_app, name="person")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TermsArg = Annotated[
    list[str],
    typer.Argument(metavar="EMAIL|NAME...", help="The person's e-mail address and/or name (any of them)."),
]


@app.command("purge")
def purge_cmd(
    ctx: typer.Context,
    apply: Annotated[bool, typer.Option("--apply", help="Purge; without it nothing changes.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What is past [retention]: closed or rejected cases (stripped to their skeleton) and removed
    people (deleted). A dry run unless --apply; each purge is written to the audit log."""
    from intake.db.tables import utcnow
    from intake.secretariat.privacy.retention import apply_retention, due

    rt: Runtime = ctx.obj
    if apply:
        plan = apply_retention(rt.ready_engine(), rt.config, by=rt.by)
    else:
        with rt.reading_session() as session:
            plan = due(session, rt.config, utcnow())
    if as_json:
        rt.print_json(plan.as_dict() | {"applied": apply})
        return
    _print_plan(rt, plan, applied=apply)


def _print_plan(rt: Runtime, plan: Plan, *, applied: bool) -> None:
    items = plan.as_dict()
    if not (plan.cases or plan.people):
        rt.out.print("nothing is past retention", markup=False)
        return
    verb = "purged" if applied else "past retention (dry run: run with --apply to purge)"
    if plan.cases:
        table = Table("case", "mailbox", "kind", "status", "last change", "rule", title=f"cases {verb}")
        for c in items["cases"]:
            add_row(table, c["id"], c["mailbox"], c["kind"], c["status"], c["last_change"], c["rule"])
        rt.out.print(table)
    if plan.people:
        table = Table("person", "organisation", "removed", "rule", title=f"removed people {verb}")
        for p in items["people"]:
            add_row(table, p["id"], p["organisation"], p["removed_at"], p["rule"])
        rt.out.print(table)
    if applied:
        rt.out.print(f"{plan.files_removed} archived files deleted", markup=False)


@person_app.command("find")
def person_find(ctx: typer.Context, terms: TermsArg, as_json: JsonOpt = False) -> None:
    """Every case, message, archived mail, form, note, reply, audit entry and register row that
    holds the person's data (for a disclosure request)."""
    from intake.secretariat.privacy.matching import Terms
    from intake.secretariat.privacy.person import find

    rt: Runtime = ctx.obj
    wanted = Terms(terms)
    with rt.reading_session() as session:
        hits = find(session, rt.config, wanted)
    if as_json:
        rt.print_json([h.as_dict() for h in hits])
        return
    _print_hits(rt, hits, title=f"{len(hits)} records hold the person's data")


def _print_hits(rt: Runtime, hits: list[Hit], *, title: str) -> None:
    table = Table("place", "id", "case", "fields", title=title)
    for h in hits:
        add_row(table, h.place, h.id, h.case_id or "", ", ".join(h.fields))
    rt.out.print(table)


@person_app.command("erase")
def person_erase(
    ctx: typer.Context,
    terms: TermsArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove or mask the person's data everywhere `person find` shows it, the register included;
    archived mail holding it is deleted whole. Asks first (--yes: does not)."""
    from intake.secretariat.privacy.erasure import erase_everywhere
    from intake.secretariat.privacy.matching import Terms
    from intake.secretariat.privacy.person import find

    rt: Runtime = ctx.obj
    wanted = Terms(terms)
    with rt.reading_session() as session:
        hits = find(session, rt.config, wanted)
    if not hits:
        rt.out.print("nothing holds the person's data", markup=False)
        return
    _print_hits(rt, hits, title=f"{len(hits)} records will be masked or deleted")
    if not yes and not typer.confirm("erase the person's data from all of them? this cannot be undone"):
        rt.err.print("nothing erased", markup=False)
        raise typer.Exit(1)
    done = erase_everywhere(rt.ready_engine(), rt.config, wanted, by=rt.by)
    places = ", ".join(f"{place} {count}" for place, count in sorted(done.counts.items()))
    rt.out.print(
        f"erased from {len(done.hits)} records ({places}); {done.files_removed} archived files deleted",
        markup=False,
    )
