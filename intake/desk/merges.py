"""Merging a case into another on the desk, and splitting it back out.

Two steps, no JavaScript: the case page's form asks for the target's case id and opens a
confirmation page (GET: nothing changes) that lists what would move; its button POSTs the merge.
A merged case's page shows where it went and a button that undoes it. Both call
:mod:`intake.secretariat.merging`, as ``intake merge`` / ``intake split`` do, audited under the account.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.desk.base import Desk, action, flash, page, text_of
from intake.secretariat import merging
from intake.secretariat.labels import merge_text, table_label


@page
def confirm(request: Request, desk: Desk, user: str) -> Response:
    case_id = request.path_params["case_id"]
    into = (request.query_params.get("into") or "").strip()
    if not into:
        flash(request, _text(desk, "enter_target"), "error")
        return _to_case(case_id)
    try:
        with desk.reading() as session:
            moved = merging.preview(session, case_id, into=into)
    except merging.MergeRefused as refused:
        flash(request, _text(desk, refused.reason, **refused.values), "error")
        return _to_case(case_id)
    rows = [(table_label(table, desk.config.rules_path), count) for table, count in moved.counts().items()]
    return desk.render(
        request,
        "merge_confirm.html",
        case_id=moved.source,
        into=moved.target,
        rows=rows,
        title=_text(desk, "confirm_title", case=moved.source, into=moved.target),
        note=_text(desk, "confirm_note", into=moved.target),
        nothing=_text(desk, "nothing_moves"),
    )


@action(after="/cases/{case_id}")
def merge(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    into = (text_of(form.get("into")) or "").strip()
    try:
        with desk.writing() as session:
            moved = merging.merge(session, case_id, into=into, by=user, config=desk.config)
    except merging.MergeRefused as refused:
        flash(request, _text(desk, refused.reason, **refused.values), "error")
        return _to_case(case_id)
    flash(request, _text(desk, "merged", case=moved.source, into=moved.target))
    return _to_case(moved.target)


@action(after="/cases/{case_id}")
def split(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    try:
        with desk.writing() as session:
            moved = merging.split(session, case_id, by=user, config=desk.config)
    except merging.MergeRefused as refused:
        flash(request, _text(desk, refused.reason, **refused.values), "error")
        return _to_case(case_id)
    flash(request, _text(desk, "split", case=moved.source, into=moved.target))
    return _to_case(case_id)


def _text(desk: Desk, key: str, **values: object) -> str:
    return merge_text(key, desk.config.rules_path, **values)


def _to_case(case_id: str) -> Response:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


ROUTES = [
    Route("/cases/{case_id}/merge", confirm, methods=["GET"]),
    Route("/cases/{case_id}/merge", merge, methods=["POST"]),
    Route("/cases/{case_id}/split", split, methods=["POST"]),
]
