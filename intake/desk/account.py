"""Signing in and out, and an account's own password: the desk's sessions begin and end here.

A session is a row in the database (:mod:`intake.secretariat.sessions`); the cookie carries its token.
Signing out deletes the row, so the cookie opens nothing any more, wherever it was copied to. A
new password ends the account's other sessions. Every password try — at sign-in and as the current
password of a change — takes its place in the throttle (:mod:`intake.secretariat.throttle`) before it is
checked, and a wrong one is audited.
"""

from __future__ import annotations

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.desk import returning
from intake.desk.base import (
    SESSION,
    SIGN_IN_LIMIT,
    Desk,
    action,
    desk_of,
    flash,
    page,
    read_form,
    session_token,
    signed_in,
    size_text,
    text_of,
)
from intake.desk.guard import csrf_ok, csrf_token
from intake.secretariat import sessions, users

# ---- sign-in -------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    desk = desk_of(request)
    if await run_in_threadpool(signed_in, request, desk):
        return RedirectResponse("/", status_code=303)
    return desk.render(request, "login.html")


async def login(request: Request) -> Response:
    """Sign in. Without the cookie the sign-in page gave, nothing of the body is read; each try
    takes its place in the throttle before the password is checked."""
    desk = desk_of(request)
    if not request.session.get("csrf"):
        return desk.refuse(request, 403, "reload_sign_in")
    async with read_form(request, desk, SIGN_IN_LIMIT) as form:
        if form is None:
            return desk.refuse(request, 413, "form_too_large", limit=size_text(SIGN_IN_LIMIT))
        if not csrf_ok(request, text_of(form.get("csrf"))):
            return desk.refuse(request, 403, "reload_sign_in")
        name, password = text_of(form.get("name")) or "", SecretStr(text_of(form.get("password")) or "")
    token, problem = await run_in_threadpool(_sign_in, desk, name, password, _address(request))
    if token is None:
        status = 429 if problem == THROTTLED else 401
        return desk.render(request, "login.html", status, error=desk.text(problem))
    kept = returning.carried(request)  # the page to return to, and what was typed there
    request.session.clear()  # a new cookie, and a new CSRF token, for the new session
    request.session.update(kept)
    request.session[SESSION] = token
    csrf_token(request)
    back = returning.local_path(request.session.pop(returning.NEXT, None)) or "/"
    return RedirectResponse(back, status_code=303)


THROTTLED, WRONG = "sign_in_throttled", "sign_in_failed"


def _sign_in(desk: Desk, name: str, password: SecretStr, address: str) -> tuple[str | None, str]:
    """The new session's token, or None and why (a label key)."""
    checked = _check(desk, name, password, address)
    if isinstance(checked, str):
        return None, checked
    with desk.writing() as session:
        desk.throttle.succeeded(session, name, address)
        desk.throttle.sweep(session)
        sessions.sweep(session, desk.lifetimes)
        return users.signed_in(session, checked), ""


def _check(desk: Desk, name: str, password: SecretStr, address: str) -> int | str:
    """The account's id if the password is right, else :data:`THROTTLED` (too many tries: it was
    not checked) or :data:`WRONG` (audited)."""
    with desk.writing() as session:
        admitted = desk.throttle.admit(session, name, address)
    if not admitted:
        return THROTTLED
    with desk.reading() as session:  # the slow check holds no write lock
        user = users.authenticate(session, name, password)
        uid = user.id if user is not None else None
    if uid is None:
        with desk.writing() as session:
            users.sign_in_refused(session, name, address)
        return WRONG
    return uid


@action(after="/login")
def logout(request: Request, desk: Desk, name: str, form: FormData) -> Response:
    token = session_token(request)
    if token is not None:
        with desk.writing() as session:
            sessions.end(session, token)  # the cookie, wherever it was copied, opens nothing now
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ---- the account's own password --------------------------------------------------------------------


@page
def account_page(request: Request, desk: Desk, name: str) -> Response:
    return desk.render(request, "account.html", min_length=users.MIN_LENGTH)


@action(after="/account")
def change_password(request: Request, desk: Desk, name: str, form: FormData) -> Response:
    """A new password for the signed-in account: the current one first (counted like a sign-in);
    every other session of the account ends, this one goes on."""
    current = SecretStr(text_of(form.get("current")) or "")
    new, again = text_of(form.get("new")) or "", text_of(form.get("again")) or ""
    address = _address(request)
    problem = _password_problem(desk, name, current, new, again, address)
    if problem:
        flash(request, desk.text(problem, min_length=users.MIN_LENGTH), "error")
        return RedirectResponse("/account", status_code=303)
    with desk.writing() as session:
        users.set_password(session, name, SecretStr(new), by=name, keep_session=session_token(request))
        desk.throttle.succeeded(session, name, address)
    flash(request, desk.text("password_changed"))
    return RedirectResponse("/account", status_code=303)


def _password_problem(desk: Desk, name: str, current: SecretStr, new: str, again: str, address: str) -> str:
    if new != again:
        return "password_mismatch"
    if len(new) < users.MIN_LENGTH:
        return "password_too_short"
    checked = _check(desk, name, current, address)
    if isinstance(checked, str):
        return THROTTLED if checked == THROTTLED else "password_current_wrong"
    return ""


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
]
