"""What every route of the desk shares: the :class:`Desk` (configuration, database, templates,
throttle), and the two kinds of route — a *page* (GET) needs a signed-in, enabled account; an
*action* (POST) also needs the session's CSRF token. Handlers read the form, call the same case
operations as the command line (which audit under the account's name), and redirect.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from intake.config import Config
from intake.db import reading, session_scope
from intake.db.tables import DeskUser
from intake.desk import servers
from intake.errors import IntakeError
from intake.web.guard import SignInThrottle, csrf_ok, csrf_token


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

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context |= {"user": request.session.get("user"), "csrf": csrf_token(request)}
        context["flash"] = request.session.pop("flash", None)
        if context["user"]:  # a mailbox that is not being fetched shows on every page until it recovers
            with self.reading() as session:
                context["server_alerts"] = servers.alerts(session, self.config)
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def desk_of(request: Request) -> Desk:
    return request.app.state.desk


MAX_PART = 10 * 1024 * 1024  # a register file is the largest thing staff upload
PageHandler = Callable[[Request, "Desk", str], Response]
ActionHandler = Callable[[Request, "Desk", str, FormData], Response]


def page(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
    """A GET route for a signed-in, enabled account (else: to the sign-in page). The handler runs in
    a worker thread: database work and decryption never hold up the other staff's requests."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        desk = desk_of(request)
        name = await run_in_threadpool(signed_in, request, desk)
        if name is None:
            return RedirectResponse("/login", status_code=303)
        return await run_in_threadpool(handler, request, desk, name)

    return run


def action(handler: ActionHandler) -> Callable[[Request], Awaitable[Response]]:
    """A POST route: signed in, and the form carries the session's CSRF token (else 403, before
    anything is read or changed). An IntakeError is said on the page the form came from."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        desk = desk_of(request)
        async with request.form(max_part_size=MAX_PART) as form:  # uploads are closed afterwards
            name = await run_in_threadpool(signed_in, request, desk)
            if name is None or not csrf_ok(request, text_of(form.get("csrf"))):
                return HTMLResponse("refused: sign in again and send the form again", status_code=403)
            try:
                return await run_in_threadpool(handler, request, desk, name, form)
            except IntakeError as exc:
                flash(request, str(exc), "error")
                return RedirectResponse(back(request), status_code=303)

    return run


def back(request: Request) -> str:
    """Where the form came from, if it is one of ours, else the queue."""
    referer = request.headers.get("referer") or ""
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin) :] if referer.startswith(origin + "/") else "/"


def flash(request: Request, text: str, kind: str = "ok") -> None:
    request.session["flash"] = {"text": text, "kind": kind}


def signed_in(request: Request, desk: Desk) -> str | None:
    name = request.session.get("user")
    if not name:
        return None
    with desk.reading() as session:
        user = session.get(DeskUser, request.session.get("uid"))
        if user is None or user.disabled or user.name != name:
            request.session.clear()
            return None
    request.session["seen"] = int(
        time.time() // 60
    )  # a changed session is signed anew: idle time starts again
    return name


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None
