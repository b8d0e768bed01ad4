"""What every route of the desk shares: the :class:`Desk` (configuration, database, templates,
throttle), and the two kinds of route — a *page* (GET) needs a signed-in session of an enabled
account; an *action* (POST) also needs the cookie's CSRF token, and its body is read only then, up
to its bound. Handlers read the form, call the same case operations as the command line (which
audit under the account's name), and redirect to a fixed page of the desk.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from intake.desk.guard import Bounded, TooLarge, csrf_ok, csrf_token, declared_too_large
from intake.errors import IntakeError
from intake.secretariat import servers, sessions
from intake.secretariat.labels import desk_text, error_text
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

    def refuse(self, request: Request, status: int, key: str, **values: object) -> Response:
        """A refusal said in Japanese; the connection closes, so an unread body is not read either."""
        context = {"message": self.text(key, **values), "csrf": csrf_token(request)}
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
    """A GET route for a signed-in session of an enabled account (else: to the sign-in page). The
    handler runs in a worker thread: database work and decryption never hold up the other staff's
    requests."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        desk = desk_of(request)
        name = await run_in_threadpool(signed_in, request, desk)
        if name is None:
            return RedirectResponse("/login", status_code=303)
        return _touched(request, desk, await run_in_threadpool(handler, request, desk, name))

    return run


def action(*, after: str, upload: bool = False) -> Callable[[ActionHandler], Route]:
    """A POST route: a signed-in session (else 403 before a byte of the body is read), a body within
        its bound (an upload's is ``[desk] max_upload_mb``, any other form's :data:`FORM_LIMIT`; else
        413), and the cookie's CSRF token in the form (else 403, before anything is changed). An
        IntakeError is said on the page ``after`` names (filled in from the path: never the Referer), and
    so is a database held by another program for longer than ``lock_timeout_seconds``."""

    def wrap(handler: ActionHandler) -> Route:
        @wraps(handler)
        async def run(request: Request) -> Response:
            desk = desk_of(request)
            name = await run_in_threadpool(signed_in, request, desk)
            if name is None:
                return desk.refuse(request, 403, "sign_in_again")
            limit = desk.upload_limit if upload else FORM_LIMIT
            async with read_form(request, desk, limit) as form:  # uploads are closed afterwards
                if form is None:
                    return desk.refuse(request, 413, "form_too_large", limit=size_text(limit))
                if not csrf_ok(request, text_of(form.get("csrf"))):
                    return desk.refuse(request, 403, "sign_in_again")
                try:
                    response = await run_in_threadpool(handler, request, desk, name, form)
                except IntakeError as exc:
                    flash(request, error_text(exc, desk.config.rules_path), "error")
                    response = RedirectResponse(after.format(**request.path_params), status_code=303)
                except OperationalError as exc:  # held past lock_timeout_seconds: said, never a 500
                    log.warning("%s: the database could not be written (%s)", request.url.path, exc.orig)
                    flash(request, desk.text("database_busy"), "error")
                    response = RedirectResponse(after.format(**request.path_params), status_code=303)
            return _touched(request, desk, response)

        return run

    return wrap


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
