"""``intake accept CASE [--dry-run] [--override-missing]`` and ``intake accept --undo CASE``: 受理
with the register's change shown first, and a mistaken acceptance taken back."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row

if TYPE_CHECKING:
    from intake.secretariat.accepting import AcceptPreview


@app.command("accept")
def accept_cmd(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what accepting would change in the register; change nothing."),
    ] = False,
    override_missing: Annotated[
        bool,
        typer.Option("--override-missing", help="Accept although missing items are still open (audited)."),
    ] = False,
    confirm_unauthenticated: Annotated[
        bool,
        typer.Option(
            "--confirm-unauthenticated",
            help="The sender failed authentication and was confirmed another way (audited).",
        ),
    ] = False,
    undo: Annotated[
        bool, typer.Option("--undo", help="Take the case's acceptance back: the register as it was before.")
    ] = False,
    note_text: Annotated[str | None, typer.Option("--note", help="A note kept with the change.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Accept a case (受理): the register's change is shown, row by row and field by field, then made.
    Open missing items need --override-missing. --undo restores the register rows the acceptance
    changed (refused if they changed since) and the case's previous status; both are audited."""
    rt: Runtime = ctx.obj
    if undo:
        if dry_run or override_missing or confirm_unauthenticated:
            raise typer.BadParameter("--undo takes CASE_ID alone (and --json)")
        _undo(rt, case_id, as_json=as_json)
        return
    from intake.secretariat import accepting, actions

    with rt.session_scope() as session:
        shown = accepting.preview(session, case_id, rules_dir=rt.config.rules_path)
        if not as_json:  # the change first, also when the acceptance is refused below
            _print_preview(rt, shown)
        if not dry_run:
            actions.set_status(
                session,
                case_id,
                "accepted",
                by=rt.by,
                note=note_text,
                rules_dir=rt.config.rules_path,
                confirm_unauthenticated=confirm_unauthenticated,
                override_missing=override_missing,
                due=rt.config.sla,
            )
    if as_json:
        rt.print_json(_as_dict(shown) | {"applied": not dry_run})
        return
    key = "dry_run" if dry_run else "accepted"
    rt.out.print(_text(rt, key, case=case_id, count=len(shown.changes)), markup=False)


def _undo(rt: Runtime, case_id: str, *, as_json: bool) -> None:
    from intake.secretariat import accepting
    from intake.secretariat.labels import status_label

    with rt.session_scope() as session:
        undone = accepting.undo(session, case_id, by=rt.by, rules_dir=rt.config.rules_path)
    if as_json:
        rt.print_json(
            {"case": case_id, "status": undone.status, "restored": [asdict(c) for c in undone.changes]}
        )
        return
    status = status_label(undone.status, rt.config.rules_path)
    rt.out.print(_text(rt, "undone", case=case_id, status=status, count=len(undone.changes)), markup=False)


def _print_preview(rt: Runtime, shown: AcceptPreview) -> None:
    from intake.secretariat.accepting import change_table
    from intake.secretariat.labels import accept_label

    rules = rt.config.rules_path
    lines = change_table(shown.changes, rules)
    if lines:
        words = [_text(rt, k) for k in ("row", "change", "field", "before", "after")]
        table = Table(*words, title=_text(rt, "changes_caption", count=len(shown.changes)))
        for line in lines:
            add_row(table, line["row"], line["kind"], line["field"], line["before"], line["after"])
        rt.out.print(table)
    else:
        rt.out.print(_text(rt, "no_changes"), markup=False)
    if shown.missing:
        rt.out.print(_text(rt, "missing_title", count=len(shown.missing)), markup=False)
        for finding in shown.missing:
            rt.out.print(f"  - {finding.text}", markup=False)
    if shown.asking_replies:
        rt.out.print(_text(rt, "replies_title"), markup=False)
        for r in shown.asking_replies:
            state = accept_label("reply_states", r.state, rules)
            rt.out.print(
                "  - " + _text(rt, "reply", id=r.id, to=r.to, subject=r.subject, state=state), markup=False
            )


def _as_dict(shown: AcceptPreview) -> dict:
    return {
        "case": shown.case_id,
        "status": shown.status,
        "changes": [asdict(c) for c in shown.changes],
        "missing": [f.code for f in shown.missing],
        "unauthenticated": shown.unauthenticated,
        "asking_replies": [asdict(r) for r in shown.asking_replies],
    }


def _text(rt: Runtime, key: str, **values: object) -> str:
    from intake.secretariat.labels import accept_text

    return accept_text(key, rt.config.rules_path, **values)
