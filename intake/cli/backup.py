"""Backups: ``intake backup DIR`` and ``intake restore DIR [--force]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from intake.cli.app import app
from intake.cli.runtime import Runtime

if TYPE_CHECKING:
    from intake.tools.backup import Summary

FolderArg = Annotated[Path, typer.Argument(metavar="DIR", help="The backup folder.")]


@app.command("backup")
def backup_cmd(ctx: typer.Context, folder: FolderArg) -> None:
    """Copy the database (consistent while `intake run` works), the archive and the key files into
    DIR, a new or empty folder, with manifest.json (SHA-256 and size of every file)."""
    from intake.tools import backup as backups

    rt: Runtime = ctx.obj
    done = backups.backup(rt.config, folder)
    rt.out.print(
        f"backed up to {done.folder}: the database (schema revision {done.revision}), "
        f"{done.messages} archived files, {_kept(done)}",
        markup=False,
    )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    folder: FolderArg,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the database, archive and key files that are there.")
    ] = False,
) -> None:
    """Check every file of the backup in DIR against its manifest, then write the database, the
    archive and the key files where this configuration names them (stop intake run and intake desk
    first). Existing data is not overwritten without --force."""
    from intake.db import head_revision
    from intake.tools import backup as backups

    rt: Runtime = ctx.obj
    done = backups.restore(rt.config, folder, force=force)
    rt.out.print(
        f"restored from {done.folder}: the database (schema revision {done.revision}), "
        f"{done.messages} archived files, {_kept(done)}",
        markup=False,
    )
    if done.revision != head_revision():
        rt.out.print("the database is older than this intake: run `intake init` to upgrade it", markup=False)


def _kept(done: Summary) -> str:
    return ", ".join(done.kept) if done.kept else "no key files"
