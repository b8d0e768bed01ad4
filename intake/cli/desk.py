"""The web desk and its accounts: ``intake desk`` serves it, ``intake user …`` manages who may sign in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.cli.secrets import stdin_password, typed_twice
from intake.clock import jst_iso

user_app = typer.Typer(no_args_is_help=True, help="Accounts of the web desk (secretariat operators).")
app.add_typer(user_app, name="user")

StdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (default: ask, not shown)."),
]
EmailOpt = Annotated[
    str | None, typer.Option("--email", help="Where the daily digest of overdue and due cases goes.")
]


@app.command()
def desk(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Listen here (default: desk.host in the configuration).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Listen on this port (default: desk.port in the configuration)."),
    ] = None,
) -> None:
    """Serve the web desk: the queue, cases, phoned-in passwords and replies, for signed-in staff."""
    from intake.cli.answering import answering
    from intake.desk.server import serve  # the web stack loads only for this command

    rt: Runtime = ctx.obj
    with answering(rt, service="desk"):  # intake queue and the like ask this process meanwhile
        serve(config=rt.config, engine=rt.ready_engine(), host=host, port=port, out=rt.out)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    password_stdin: StdinOpt = False,
    email: EmailOpt = None,
) -> None:
    """Add an account; the password is asked twice without echo (or read from standard input)."""
    from pydantic import SecretStr

    from intake.secretariat import users

    rt: Runtime = ctx.obj
    password = SecretStr(stdin_password() if password_stdin else typed_twice())
    with rt.session_scope() as session:
        users.add_user(session, name, password, by=rt.by, email=email)
    rt.out.print(f"desk user {name} added", markup=False)


@user_app.command("set")
def user_set(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")], email: EmailOpt = None
) -> None:
    """Change an account's details: --email ADDRESS (--email "" removes it: no digest)."""
    from intake.secretariat import users

    if email is None:
        raise typer.BadParameter("nothing to change: give --email")
    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        user = users.set_email(session, name, email, by=rt.by)
        address = user.email
    rt.out.print(f"desk user {name}: e-mail {address or '(none)'}", markup=False)


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")], password_stdin: StdinOpt = False
) -> None:
    """Set a new password for an account; its desk sessions end (everyone signed in as it signs in again)."""
    from pydantic import SecretStr

    from intake.secretariat import users

    rt: Runtime = ctx.obj
    password = SecretStr(stdin_password() if password_stdin else typed_twice())
    with rt.session_scope() as session:
        ended = users.set_password(session, name, password, by=rt.by)
    rt.out.print(f"password of {name} changed; desk sessions ended: {ended}", markup=False)


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Disable an account: its desk sessions end and it can no longer sign in (its actions stay in the audit log)."""
    from intake.secretariat import users

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        ended = users.disable_user(session, name, by=rt.by)
    rt.out.print(f"desk user {name} disabled; desk sessions ended: {ended}", markup=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The desk's accounts."""
    from intake.secretariat import users

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        items = [
            {
                "name": u.name,
                "disabled": u.disabled,
                "email": u.email,
                "created_at": jst_iso(u.created_at),
                "last_sign_in_at": jst_iso(u.last_sign_in_at),
            }
            for u in users.list_users(session)
        ]
    if as_json:
        rt.print_json(items)
        return
    table = Table("name", "state", "e-mail", "created", "last sign-in", title=f"desk users: {len(items)}")
    for u in items:
        add_row(
            table,
            u["name"],
            "disabled" if u["disabled"] else "active",
            u["email"] or "",
            u["created_at"],
            u["last_sign_in_at"] or "",
        )
    rt.out.print(table)
