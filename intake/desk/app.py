"""The desk as a Starlette application: the routes and the middleware.

Nothing here decides anything about a case: :mod:`.cases` and :mod:`.office` call the same case
operations as the command line, :mod:`.account` signs staff in and out (see :mod:`.base` for what
every route checks first, :mod:`.guard` for what stands in front of them).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from intake.clock import jst_iso
from intake.config import Config
from intake.desk import (
    accepting,
    account,
    attachments,
    cases,
    merges,
    office,
    privacy,
    returning,
    search,
    status,
)
from intake.desk.base import Desk, desk_of, not_found, signed_in
from intake.desk.guard import SECURITY_HEADERS, SecurityHeaders, TrustedProxies, session_key
from intake.replies.staff_templates import validate_staff_templates
from intake.secretariat.labels import (
    action_label,
    answer_label,
    case_status_label,
    code_label,
    desk_page_text,
    detail_lines,
    kind_label,
    merge_text,
    search_text,
    short_label,
    status_label,
)
from intake.secretariat.throttle import SignInThrottle

HERE = Path(__file__).resolve().parent
COOKIE = "intake_desk"


def make_app(*, config: Config, engine: Engine) -> Starlette:
    validate_staff_templates(config.rules_path)  # a broken template stops start-up, naming it
    desk = Desk(config, engine, _templates(config), SignInThrottle())
    routes = [
        *account.ROUTES,
        *cases.ROUTES,
        *merges.ROUTES,
        *accepting.ROUTES,
        *office.ROUTES,
        *attachments.ROUTES,
        *search.ROUTES,
        *privacy.ROUTES,
        *status.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(TrustedProxies, proxies=config.desk.trusted_proxies),
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_key(config.desk.session_key_file),
            session_cookie=COOKIE,
            max_age=config.desk.session_max_hours * 3600,  # the database ends a session sooner
            same_site="strict",
            https_only=config.desk.secure_cookies,
        ),
    ]
    handlers = {404: _not_found, 405: _not_found, 500: _server_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.desk = desk
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    """A path the desk has no page for: said in Japanese, with the ways back (never a bare 404)."""
    desk = desk_of(request)
    await run_in_threadpool(signed_in, request, desk)  # the header shows who is signed in
    return not_found(request, desk, getattr(exc, "status_code", 404))


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug: a page in Japanese saying so, with the way back (the trace goes to the log only). It
    is answered outside the other middleware, so it carries the desk's headers itself."""
    desk = desk_of(request)
    back = request.url.path if request.method == "GET" else "/"
    parts = request.url.path.split("/")
    if request.method != "GET" and len(parts) > 2 and parts[1] == "cases":
        back = f"/cases/{parts[2]}"
    response = desk.templates.TemplateResponse(
        request, "server_error.html", {"back": returning.local_path(back)}, status_code=500
    )
    response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS.items()})
    return response


def _templates(config: Config) -> Jinja2Templates:
    loader = FileSystemLoader(HERE / "templates")
    environment = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    templates = Jinja2Templates(env=environment)
    templates.env.filters["jst"] = lambda when: (jst_iso(when) or "").replace("T", " ")[:16]
    templates.env.filters["label"] = lambda code: short_label(code, config.rules_path)
    templates.env.filters["status"] = lambda status: status_label(status, config.rules_path)
    templates.env.filters["kind"] = lambda kind: kind_label(kind, config.rules_path)
    templates.env.filters["case_status"] = lambda case: case_status_label(
        case["status"], case.get("merged_into"), config.rules_path
    )
    templates.env.filters["action"] = lambda code: action_label(code, config.rules_path)
    templates.env.filters["code"] = lambda code, section: code_label(section, code, config.rules_path)
    templates.env.filters["detail"] = lambda entry: detail_lines(
        entry["action"], entry["detail"], config.rules_path
    )
    templates.env.globals["merge_text"] = lambda key, **values: merge_text(key, config.rules_path, **values)
    templates.env.filters["answer"] = lambda value, item: (
        answer_label(item, value, config.rules_path) if value else value
    )
    templates.env.globals["page_label"] = lambda key, **values: desk_page_text(
        key, config.rules_path, **values
    )
    templates.env.globals["search_label"] = lambda key, **values: search_text(
        key, config.rules_path, **values
    )
    return templates
