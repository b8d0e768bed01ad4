"""受理 on the desk: a confirmation first, and a way back.

Choosing 受理 in the case page's status form opens the confirmation (nothing changes yet): the
register's change as a table, field by field; the open ``missing`` findings, which need the
override box ticked; a sender that failed authentication, which needs its box; replies not sent
yet that still ask the sender for more. Its button POSTs the acceptance with a digest of what was
shown: when the register or the findings changed in between, the confirmation is shown again.
An accepted case's page has 受理を取り消す. Both call what ``intake accept`` calls, audited under
the account.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.desk.base import Desk, action, flash, page, text_of
from intake.errors import IntakeError
from intake.secretariat import accepting, actions
from intake.secretariat.labels import accept_label, accept_text, error_text, status_label


@page
def confirm_page(request: Request, desk: Desk, user: str) -> Response:
    case_id = request.path_params["case_id"]
    try:
        return confirmation(request, desk, case_id)
    except IntakeError as exc:  # not acceptable now, or the register cannot take it: said on the case
        flash(request, error_text(exc, desk.config.rules_path), "error")
        return _to_case(case_id)


def confirmation(
    request: Request, desk: Desk, case_id: str, *, posted: FormData | None = None, stale: bool = False
) -> Response:
    """The confirmation page; ``posted`` keeps what staff typed or ticked on the way here."""
    rules = desk.config.rules_path
    with desk.writing() as session:  # the change is tried and rolled back: that takes the write lock
        shown = accepting.preview(session, case_id, rules_dir=rules)
    lines = accepting.change_table(shown.changes, rules)
    replies = [
        _text(
            desk,
            "reply",
            id=r.id,
            to=r.to,
            subject=r.subject,
            state=accept_label("reply_states", r.state, rules),
        )
        for r in shown.asking_replies
    ]
    return desk.render(
        request,
        "accept_confirm.html",
        case_id=case_id,
        shown=shown,
        lines=lines,
        replies=replies,
        missing=[f.text for f in shown.missing],
        note=text_of(posted.get("note")) if posted else "",
        unauthenticated_ticked=bool(posted and text_of(posted.get("confirm_unauthenticated")) == "1"),
        stale=stale,
        t=lambda key, **values: _text(desk, key, **values),
    )


@action(after="/cases/{case_id}")
def accept(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """受理する on the confirmation: done only when what it showed still holds; a refusal (a box
    not ticked) shows the confirmation again with what staff typed, the reason at the top."""
    case_id = request.path_params["case_id"]
    rules = desk.config.rules_path
    try:
        with desk.writing() as session:
            shown = accepting.preview(session, case_id, rules_dir=rules)
            stale = shown.fingerprint != text_of(form.get("fingerprint"))
            if not stale:
                _accept(session, desk, case_id, user, form)
    except IntakeError as exc:
        flash(request, error_text(exc, desk.config.rules_path), "error")
        return confirmation(request, desk, case_id, posted=form)
    if stale:
        return confirmation(request, desk, case_id, posted=form, stale=True)
    flash(request, _text(desk, "accepted", case=case_id, count=len(shown.changes)))
    return _to_case(case_id)


def _accept(session: Session, desk: Desk, case_id: str, user: str, form: FormData) -> None:
    actions.set_status(
        session,
        case_id,
        "accepted",
        by=user,
        note=text_of(form.get("note")),
        rules_dir=desk.config.rules_path,
        confirm_unauthenticated=text_of(form.get("confirm_unauthenticated")) == "1",
        override_missing=text_of(form.get("override_missing")) == "1",
        due=desk.config.sla,
    )


@action(after="/cases/{case_id}")
def undo(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    rules = desk.config.rules_path
    with desk.writing() as session:
        undone = accepting.undo(session, case_id, by=user, rules_dir=rules)
    status = status_label(undone.status, rules)
    flash(request, _text(desk, "undone", case=case_id, status=status, count=len(undone.changes)))
    return _to_case(case_id)


def _text(desk: Desk, key: str, **values: object) -> str:
    return accept_text(key, desk.config.rules_path, **values)


def _to_case(case_id: str) -> Response:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


ROUTES = [
    Route("/cases/{case_id}/accept", confirm_page, methods=["GET"]),
    Route("/cases/{case_id}/accept", accept, methods=["POST"]),
    Route("/cases/{case_id}/accept/undo", undo, methods=["POST"]),
]
