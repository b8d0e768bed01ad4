"""The desk as a Starlette application: sign-in and sign-out, the routes, the middleware.

Nothing here decides anything about a case: :mod:`.cases` and :mod:`.office` call the same case
operations as the command line (see :mod:`.base` for what every route checks first).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from intake.clock import jst_iso
from intake.config import Config
from intake.desk import users
from intake.desk.labels import kind_label, short_label, status_label
from intake.web import attachments, cases, office
from intake.web.base import Desk, action, desk_of, signed_in, text_of
from intake.web.guard import SecurityHeaders, SignInThrottle, csrf_ok, csrf_token, session_key

HERE = Path(__file__).resolve().parent


# ---- sign-in -------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    desk = desk_of(request)
    if signed_in(request, desk):
        return RedirectResponse("/", status_code=303)
    return desk.render(request, "login.html")


async def login(request: Request) -> Response:
    desk = desk_of(request)
    form = await request.form()
    name, password = text_of(form.get("name")) or "", SecretStr(text_of(form.get("password")) or "")
    address = request.client.host if request.client else "unknown"
    if not csrf_ok(request, text_of(form.get("csrf"))):
        return HTMLResponse("refused: reload the sign-in page", status_code=403)
    if desk.throttle.blocked(name, address):
        return desk.render(
            request, "login.html", 429, error="試行回数が多すぎます。しばらくしてから再度お試しください。"
        )
    uid = await run_in_threadpool(_authenticate, desk, name, password)
    if uid is None:
        desk.throttle.failed(name, address)
        return desk.render(request, "login.html", 401, error="ユーザー名またはパスワードが違います。")
    desk.throttle.succeeded(name)
    request.session.clear()  # a new session for the signed-in account
    request.session.update({"user": name, "uid": uid})
    csrf_token(request)
    return RedirectResponse("/", status_code=303)


def _authenticate(desk: Desk, name: str, password: SecretStr) -> int | None:
    with desk.writing() as session:
        user = users.authenticate(session, name, password)
        return user.id if user is not None else None


@action
def logout(request: Request, desk: Desk, name: str, form: FormData) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ---- the application -------------------------------------------------------------------------------


def make_app(*, config: Config, engine: Engine) -> Starlette:
    desk = Desk(config, engine, _templates(config), SignInThrottle())
    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *cases.ROUTES,
        *office.ROUTES,
        *attachments.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_key(config.desk.session_key_file),
            session_cookie="intake_desk",
            max_age=config.desk.idle_minutes * 60,
            same_site="strict",
            https_only=config.desk.secure_cookies,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.desk = desk
    return app


def _templates(config: Config) -> Jinja2Templates:
    loader = FileSystemLoader(HERE / "templates")
    environment = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    templates = Jinja2Templates(env=environment)
    templates.env.filters["jst"] = lambda when: (jst_iso(when) or "").replace("T", " ")[:16]
    templates.env.filters["label"] = lambda code: short_label(code, config.rules_path)
    templates.env.filters["status"] = lambda status: status_label(status, config.rules_path)
    templates.env.filters["kind"] = lambda kind: kind_label(kind, config.rules_path)
    return templates
