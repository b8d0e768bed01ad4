"""``intake service-unit``: the systemd unit for this installation, printed to be saved by the operator."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from intake.cli.app import app
from intake.cli.runtime import Runtime


@app.command("service-unit")
def service_unit(
    ctx: typer.Context,
    desk: Annotated[
        bool, typer.Option("--desk", help="The web desk's unit (intake desk), not the poller's.")
    ] = False,
) -> None:
    """Print the systemd unit that runs `intake run` (or `intake desk`) with this installation's
    intake and this configuration:  intake service-unit > /etc/systemd/system/intake.service"""
    from intake.config import config_path
    from intake.tools.service import intake_command, missing_dirs, render_unit

    rt: Runtime = ctx.obj
    config = rt.config  # a configuration that does not load makes no unit
    config_file = config_path(rt.config_file).resolve()
    sys.stdout.write(render_unit(config, config_file, intake_command(), desk=desk))
    for folder in missing_dirs(config, desk=desk):
        rt.err.print(
            f"note: {folder} does not exist yet and systemd will not start the unit without it: "
            f"install -d -o intake -g intake -m 0700 {folder}",
            markup=False,
        )
