"""Commands about the mail servers: status (for people and monitoring), doctor, auth status/login."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.cli.secrets import hidden
from intake.errors import ConfigError
from intake.quick.tables import counts_line, overdue_line, servers_table

if TYPE_CHECKING:
    from intake.config import ServerConfig

auth_app = typer.Typer(help="OAuth2 sign-in of mailboxes and SMTP: status, login.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MARK = {"ok": "✓", "warn": "!", "fail": "✗"}
OVERDUE_EXIT = 4  # intake status: a case is overdue (and no server is failing: that is 1)


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Each mailbox's and SMTP's last success, last error and backlog, the outbox, the quarantine
    and the overdue cases (期限超過).

    Exit code 1 when a server has been failing at least monitoring.failing_minutes; else 4 when a
    case is overdue (for monitoring)."""
    from intake.secretariat import servers, views

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        items, counts = servers.servers(session, rt.config), servers.counts(session)
        alerting = servers.alerting(session, rt.config)
        overdue = views.overdue_count(session)
    if as_json:
        rt.print_json({"servers": items, **counts, "overdue": overdue, "alerting": alerting})
    else:
        rules = rt.config.rules_path
        rt.out.print(servers_table(items, rules))
        rt.out.print(counts_line(counts, rules), markup=False)
        rt.out.print(overdue_line(overdue), style="bold red" if overdue else None, markup=False)
    if alerting:
        rt.err.print(
            f"failing for at least {rt.config.monitoring.failing_minutes} min: {', '.join(alerting)}",
            markup=False,
        )
        raise typer.Exit(1)
    if overdue:
        raise typer.Exit(OVERDUE_EXIT)


@app.command()
def doctor(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Try every part intake needs (database, keys, each mailbox, SMTP, LibreOffice) and say how to
    fix what fails; changes nothing. Exit code 1 on any failure."""
    from intake.tools.doctor import failed, run_doctor

    rt: Runtime = ctx.obj
    checks = run_doctor(rt.config)
    if as_json:
        rt.print_json([c.as_dict() for c in checks])
    else:
        table = Table("", "part", "result", "fix", title="intake doctor")
        for c in checks:
            add_row(table, MARK[c.state], c.area, c.detail, c.fix)
        rt.out.print(table)
    if failed(checks):
        raise typer.Exit(1)


@auth_app.command("status")
def auth_status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Each server's way of logging in, its token's expiry and its last success."""
    from intake.secretariat import servers
    from intake.secretariat.labels import server_state_label

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        items = servers.servers(session, rt.config)
    if as_json:
        rt.print_json(
            [
                {
                    k: i[k]
                    for k in ("name", "auth", "state", "token_expires_at", "last_success_at", "last_error")
                }
                for i in items
            ]
        )
        return
    table = Table("server", "auth", "state", "token expires", "last success", "last error", title="sign-in")
    for i in items:
        add_row(
            table,
            i["name"],
            i["auth"],
            server_state_label(i["state"], rt.config.rules_path),
            i["token_expires_at"] or "-",
            i["last_success_at"] or "never",
            i["last_error"] or "",
        )
    rt.out.print(table)


@auth_app.command("login")
def auth_login(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="MAILBOX", help="A mailbox name, or smtp.")],
    token_stdin: Annotated[
        bool,
        typer.Option("--stdin", help="google refresh_token: read the refresh token from standard input."),
    ] = False,
) -> None:
    """Sign in once for a mailbox (or smtp) that keeps a refresh token: Microsoft's device code
    (open the address shown, type the code) or a Google refresh token (asked without echo)."""
    from intake.access.oauth import sign_in
    from intake.access.tokens import TokenStore

    rt: Runtime = ctx.obj
    server = _server(rt, name)

    def secret() -> str:
        return sys.stdin.readline().strip() if token_stdin else hidden("refresh token (not shown): ")

    sign_in(
        server,
        TokenStore.for_config(rt.config),
        say=lambda text: rt.out.print(text, markup=False),
        secret=secret,
    )
    rt.out.print(
        f"{name}: signed in; the token is kept sealed in {rt.config.storage.token_cache_file}", markup=False
    )


def _server(rt: Runtime, name: str) -> ServerConfig:
    if name == "smtp":
        return rt.config.smtp
    mailbox = rt.config.get_mailbox(name)
    from intake.config import ServerConfig

    if not isinstance(mailbox, ServerConfig):  # a local folder (a Maildir): no server to sign in to
        raise ConfigError(f"mailbox {name!r} is a {mailbox.source} mailbox: it has no sign-in")
    return mailbox
