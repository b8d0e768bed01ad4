"""The typer application every command module adds itself to, and the global options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from intake.cli.runtime import Runtime

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # pretty tracebacks print local variables: never, they may hold secrets
    help="Mail intake for the Cybersecurity Council secretariat.",
)


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $INTAKE_CONFIG, else ./config.toml)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Operator name for the audit log (default: OS user).")
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", help="Say which path answered (service, database, full command line)."),
    ] = False,
) -> None:
    if isinstance(ctx.obj, Runtime):  # a read-only command the running service answers on its own runtime
        return
    if verbose:
        typer.echo("intake: answered by the full command line", err=True)
    ctx.obj = Runtime(config_file=config, operator=by)
    ctx.call_on_close(ctx.obj.close)
