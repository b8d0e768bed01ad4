"""What every route of the desk shares: the :class:`Desk` (configuration, database, templates,
throttle), and the two kinds of route — a *page* (GET) needs a signed-in session of an enabled
account; an *action* (POST) also needs the cookie's CSRF token, and its body is read only then, up
to its bound. Handlers read the form, call the same case operations as the command line (which
audit under the account's name), and redirect to a fixed page of the desk.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from intake.config import Config
from intake.db import reading, session_scope
from intake.desk import returning
from intake.desk.guard import Bounded, TooLarge, csrf_ok, csrf_token, declared_too_large
from intake.errors import IntakeError, NotFound
from intake.secretariat import servers, sessions
from intake.secretariat.labels import desk_page_text, desk_text, error_text
from intake.secretariat.throttle import SignInThrottle

log = logging.getLogger(__name__)

FORM_LIMIT = 1024 * 1024  # any form but an upload: notes, statuses, passwords
SIGN_IN_LIMIT = 16 * 1024
SESSION = "sid"  # the cookie's key for the token of the session in the database


@dataclass
class Desk:
    """What every handler shares: the configuration, the database, the templates, the throttle."""

    config: Config
    engine: Engine
    templates: Jinja2Templates
    throttle: SignInThrottle
    drafts: returning.Drafts = field(default_factory=returning.Drafts)

    def reading(self) -> Session:
        return Session(reading(self.engine))

    def writing(self):
        return session_scope(self.engine)

    @property
    def lifetimes(self) -> sessions.Lifetimes:
        desk = self.config.desk
        return sessions.Lifetimes(
            idle=timedelta(minutes=desk.idle_minutes), absolute=timedelta(hours=desk.session_max_hours)
        )

    @property
    def upload_limit(self) -> int:
        return int(self.config.desk.max_upload_mb * 1024 * 1024)

    def text(self, key: str, **values: object) -> str:
        return desk_text(key, self.config.rules_path, **values)

    def page_text(self, key: str, **values: object) -> str:
        return desk_page_text(key, self.config.rules_path, **values)

    def refuse(self, request: Request, status: int, key: str, back: str = "/", **values: object) -> Response:
        """A refusal said in Japanese, with the way back to the page it came from; the connection
        closes, so an unread body is not read either."""
        context = {"message": self.text(key, **values), "csrf": csrf_token(request), "back": back}
        response = self.templates.TemplateResponse(request, "refused.html", context, status_code=status)
        response.headers["connection"] = "close"
        return response

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context |= {"user": getattr(request.state, "user", None), "csrf": csrf_token(request)}
        context["flash"] = request.session.pop("flash", None)
        if context["user"]:  # a mailbox that is not being fetched shows on every page until it recovers
            with self.reading() as session:
                context["server_alerts"] = servers.alerts(session, self.config)
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def desk_of(request: Request) -> Desk:
    return request.app.state.desk


PageHandler = Callable[[Request, "Desk", str], Response]
ActionHandler = Callable[[Request, "Desk", str, FormData], Response]
Route = Callable[[Request], Awaitable[Response]]


def page(handler: PageHandler) -> Route:
    """A GET route for a signed-in session of an enabled account (else: to the sign-in page, which
    comes back here afterwards). The handler runs in a worker thread: database work and decryption
    never hold up the other staff's requests. A case or attachment that does not exist is the
    desk's page that says so (404), with the way back."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        desk = desk_of(request)
        name = await run_in_threadpool(signed_in, request, desk)
        if name is None:
            returning.remember(request, returning.here(request))
            return RedirectResponse("/login", status_code=303)
        try:
            response = await run_in_threadpool(handler, request, desk, name)
        except NotFound:
            response = not_found(request, desk)
        return _touched(request, desk, response)

    return run


After = str | Callable[[Request, "Desk"], str]


def action(*, after: After, upload: bool = False) -> Callable[[ActionHandler], Route]:
    """A POST route: a signed-in session, a body within its bound (an upload's is ``[desk]
    max_upload_mb``, any other form's :data:`FORM_LIMIT`; else 413), and the cookie's CSRF token in
    the form (else 403, before anything is changed). ``after`` is the page the action belongs to —
    a path filled in from the route's (``/cases/{case_id}``), or a function of the request — never
    the Referer: an IntakeError is said at its top, and so is a database held by another program
    for longer than ``lock_timeout_seconds``.

    A session that ended while the form was filled in: without the cookie that carried the form's
    CSRF token, 403 before a byte of the body is read; with it, the form (up to
    :data:`FORM_LIMIT`) is kept as a one-time draft (:mod:`.returning`) and the sign-in page opens,
    after which ``after`` shows what was typed, to be sent again."""

    def wrap(handler: ActionHandler) -> Route:
        @wraps(handler)
        async def run(request: Request) -> Response:
            desk = desk_of(request)
            earlier_csrf = request.session.get("csrf")  # the ended session's: cleared by signed_in
            name = await run_in_threadpool(signed_in, request, desk)
            if name is None:
                return await _signed_out(request, desk, after, earlier_csrf)
            limit = desk.upload_limit if upload else FORM_LIMIT
            async with read_form(request, desk, limit) as form:  # uploads are closed afterwards
                if form is None:
                    back = await run_in_threadpool(_back, request, desk, after)
                    return desk.refuse(request, 413, "form_too_large", back=back, limit=size_text(limit))
                if not csrf_ok(request, text_of(form.get("csrf"))):
                    back = await run_in_threadpool(_back, request, desk, after)
                    return desk.refuse(request, 403, "sign_in_again", back=back)
                try:
                    response = await run_in_threadpool(handler, request, desk, name, form)
                except IntakeError as exc:
                    flash(request, error_text(exc, desk.config.rules_path), "error")
                    response = await _to_after(request, desk, after)
                except OperationalError as exc:  # held past lock_timeout_seconds: said, never a 500
                    log.warning("%s: the database could not be written (%s)", request.url.path, exc.orig)
                    flash(request, desk.text("database_busy"), "error")
                    response = await _to_after(request, desk, after)
            return _touched(request, desk, response)

        return run

    return wrap


def _back(request: Request, desk: Desk, after: After) -> str:
    """The page an action belongs to: the case it was taken on, never the Referer."""
    if callable(after):
        return after(request, desk)
    return after.format(**request.path_params)


async def _to_after(request: Request, desk: Desk, after: After) -> Response:
    return RedirectResponse(await run_in_threadpool(_back, request, desk, after), status_code=303)


async def _signed_out(request: Request, desk: Desk, after: After, earlier_csrf: object) -> Response:
    """An action after the session ended: the sign-in page, keeping what the form carried when it
    is this browser's own form (the ended session's CSRF token); otherwise a refusal, unread."""
    if not isinstance(earlier_csrf, str) or not earlier_csrf:
        return desk.refuse(request, 403, "sign_in_again")
    async with read_form(request, desk, FORM_LIMIT) as form:
        sent = text_of(form.get("csrf")) if form is not None else None
        if form is None or not sent or not secrets.compare_digest(earlier_csrf, sent):
            return desk.refuse(request, 403, "sign_in_again")
        back = await run_in_threadpool(_back, request, desk, after)
        kept = desk.drafts.keep(request.url.path, back, form)
    returning.remember(request, back, draft=kept)
    said = desk.page_text("draft_kept" if kept else "signed_out_back")
    return desk.render(request, "login.html", 403, notice=said)


def not_found(request: Request, desk: Desk, status: int = 404) -> Response:
    """The desk's own 404 (or 405: a page that takes no such request): what was not found, in
    Japanese, and the ways back."""
    return desk.render(request, "not_found.html", status, wanted=request.url.path)


class read_form:  # noqa: N801 (used as ``async with read_form(...) as form``)
    """The request's form, read up to ``limit`` bytes; None when the body is longer. Its uploads are
    closed when the block ends."""

    def __init__(self, request: Request, desk: Desk, limit: int) -> None:
        self.request, self.limit = request, limit
        self.form: FormData | None = None

    async def __aenter__(self) -> FormData | None:
        if declared_too_large(self.request, self.limit):
            return None
        bounded = Request(self.request.scope, Bounded(self.request.receive, self.limit))
        try:
            self.form = await bounded.form(max_part_size=self.limit, max_files=2, max_fields=50)
        except TooLarge:
            return None
        return self.form

    async def __aexit__(self, *_exc: object) -> None:
        if self.form is not None:
            await self.form.close()


def size_text(limit: int) -> str:
    """「10 MB」, 「16 KB」."""
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit // 1024} KB"


def flash(request: Request, text: str, kind: str = "ok") -> None:
    request.session["flash"] = {"text": text, "kind": kind}


def signed_in(request: Request, desk: Desk) -> str | None:
    """The name of the account whose session the cookie names, if that session is still good."""
    token = request.session.get(SESSION)
    if not isinstance(token, str):
        return None
    with desk.reading() as session:
        found = sessions.find(session, token, desk.lifetimes)
    if found is None:
        request.session.clear()
        return None
    request.state.user, request.state.stale_session = found.name, found.stale
    return found.name


def session_token(request: Request) -> str | None:
    token = request.session.get(SESSION)
    return token if isinstance(token, str) else None


def _touched(request: Request, desk: Desk, response: Response) -> Response:
    """Once a minute, the session's last use is written — after the response, so a page never waits
    for the database's write lock."""
    token = session_token(request)
    if token and getattr(request.state, "stale_session", False) and response.background is None:
        response.background = BackgroundTask(_touch, desk, token)
    return response


def _touch(desk: Desk, token: str) -> None:
    try:
        with desk.writing() as session:
            sessions.touch(session, token)
    except OperationalError as exc:  # busy: the session stays good, its idle time runs on
        log.warning("desk session: last use not written (%s)", type(exc).__name__)


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None
