"""``intake demo``: run the product on its embedded defaults, no servers needed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from intake import demo
from intake.cli import app
from intake.cli.runtime import Runtime


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--dir", help="Demo folder (made afresh).")] = Path("storage/demo"),
) -> None:
    """Seed a demo folder with realistic mail, poll it, and show the review queue."""
    config_file = demo.prepare(folder)
    rt = Runtime(config_file=config_file, operator=ctx.obj.by)
    rt.out.print(f"demo folder: {folder}  (configuration {config_file})")
    from intake.cli.casecmds import queue
    from intake.cli.mailcmds import init, poll

    sub = typer.Context(ctx.command, obj=rt)
    init(sub)
    poll(sub)
    queue(sub)
    cli = f"intake --config {config_file}"
    rt.out.print(
        f"\nNext, as the secretariat would:\n"
        f"  {cli} show <case id>        one case, whole\n"
        f"  {cli} unlock                 the applicant phoned: the form's password is {demo.DEMO_PASSWORD}\n"
        f"  {cli} outbox                 replies written so far (held for staff in the demo)\n"
        f"  {cli} outbox release <id>    let one go",
        markup=False,
    )
