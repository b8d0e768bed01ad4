"""Backups: ``intake backup DIR [--with-keys]`` and ``intake restore DIR [--force]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from intake.cli.app import app
from intake.cli.runtime import Runtime

if TYPE_CHECKING:
    from intake.tools.backup import Summary

FolderArg = Annotated[Path, typer.Argument(metavar="DIR", help="The backup folder.")]
PASSPHRASE_ENV = "INTAKE_BACKUP_PASSPHRASE"  # the default of --keys-passphrase-env
PassphraseEnvOpt = Annotated[
    str,
    typer.Option(
        "--keys-passphrase-env",
        metavar="NAME",
        help="The environment variable holding the passphrase that seals the keys.",
    ),
]


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    folder: FolderArg,
    with_keys: Annotated[
        bool,
        typer.Option(
            "--with-keys",
            help="Also the GnuPG home and the S/MIME certificate and key, sealed with a passphrase.",
        ),
    ] = False,
    passphrase_env: PassphraseEnvOpt = PASSPHRASE_ENV,
) -> None:
    """Copy the database (consistent while `intake run` works), the archive and the key files into
    DIR, a new or empty folder, with manifest.json (SHA-256 and size of every file). With
    --with-keys, the PGP and S/MIME keys too, sealed (scrypt + AES-256-GCM) with the passphrase in
    the environment variable --keys-passphrase-env names."""
    from intake.tools import backup as backups

    rt: Runtime = ctx.obj
    done = backups.backup(rt.config, folder, keys_passphrase_env=passphrase_env if with_keys else None)
    rt.out.print(
        f"backed up to {done.folder}: the database (schema revision {done.revision}), "
        f"{done.messages} archived files, {_kept(done)}",
        markup=False,
    )
    if done.keys_left_out:
        rt.out.print(
            f"the PGP and S/MIME keys were not included ({', '.join(done.keys_left_out)}): "
            f"back up with --with-keys, or keep them safe elsewhere",
            markup=False,
        )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    folder: FolderArg,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the database, archive and key files that are there.")
    ] = False,
    passphrase_env: PassphraseEnvOpt = PASSPHRASE_ENV,
) -> None:
    """Check every file of the backup in DIR against its manifest, then write the database, the
    archive and the key files where this configuration names them (stop intake run and intake desk
    first). Keys backed up with --with-keys are opened with the passphrase in --keys-passphrase-env.
    Existing data is not overwritten without --force."""
    from intake.db import head_revision
    from intake.tools import backup as backups

    rt: Runtime = ctx.obj
    done = backups.restore(rt.config, folder, force=force, keys_passphrase_env=passphrase_env)
    rt.out.print(
        f"restored from {done.folder}: the database (schema revision {done.revision}), "
        f"{done.messages} archived files, {_kept(done)}",
        markup=False,
    )
    if done.revision != head_revision():
        rt.out.print("the database is older than this intake: run `intake init` to upgrade it", markup=False)


def _kept(done: Summary) -> str:
    kept = ", ".join(done.kept) if done.kept else "no key files"
    return f"{kept}; sealed keys: {', '.join(done.keys)}" if done.keys else kept
