"""``intake backup DIR`` and ``intake restore DIR``: everything intake keeps, in one folder.

A backup holds the SQLite database (SQLite's online backup: consistent while ``intake run``
writes), the archive of raw messages (``storage.archive_dir``), the single files listed in
:data:`KEPT_FILES` (the key file, the desk's session key, the token cache) and ``manifest.json``:
the SHA-256 and size of every file, the intake version, the schema revision and the time. With the
keys (``--with-keys``) it also holds the GnuPG home and the S/MIME files, sealed with a passphrase
(:mod:`intake.tools.backup_keys`); without, the summary says they were left out.

The database is copied before the archive: a message is archived before it is processed, so every
message the copied database knows of is in the archive by then. Restore checks every file of the
backup before it writes anything, refuses to overwrite data it finds unless told to (``force``),
and writes each item where the configuration in use names it — the database last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import SecretStr
from sqlalchemy.engine import make_url

import intake
from intake.clock import jst_iso, utcnow
from intake.config import Config
from intake.db import head_revision
from intake.db.engine import MIGRATIONS
from intake.errors import ConfigError, IntakeError
from intake.tools import backup_keys
from intake.tools.backup_files import (
    MANIFEST,
    copy_database,
    copy_file,
    file_digest,
    inside,
    private_dirs,
    read_manifest,
    schema_revision,
    verify,
    write_manifest,
)

FORMAT = 1
DATABASE = "intake.db"
ARCHIVE = "archive"
STATE_DIR = ".state"  # intake.runner.guards keeps its small files there
#: The single files kept besides the database and the archive: (name in the backup, configuration
#: key). Add a row for a new one. A key this configuration does not have, or a file not made yet
#: (the desk's key before its first start), is left out of the backup.
KEPT_FILES: tuple[tuple[str, str], ...] = (
    ("intake.key", "storage.key_file"),
    ("desk.key", "desk.session_key_file"),
    ("tokens.enc", "storage.token_cache_file"),
)


@dataclass(frozen=True)
class Summary:
    """What a backup or a restore did, for the one line the command prints."""

    folder: Path
    revision: str | None
    messages: int  # files of the archive
    kept: list[str]  # KEPT_FILES names
    keys: list[str] = field(default_factory=list)  # configuration keys of the sealed PGP / S/MIME keys
    keys_left_out: list[str] = field(default_factory=list)  # configured secret keys not in the backup


def configured_path(config: Config, key: str) -> Path | None:
    """The path the dotted configuration ``key`` names, or None if this configuration has no such key."""
    value: object = config
    for part in key.split("."):
        value = getattr(value, part, None)
    return Path(value) if isinstance(value, str | Path) and str(value) else None


def sqlite_file(config: Config) -> Path:
    """The SQLite file of ``storage.database``; any other database is backed up with its own tool."""
    url = make_url(config.storage.database)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise ConfigError(
            f"storage.database: intake backup and restore handle a SQLite file only; back up a "
            f"{url.get_backend_name()} database with its own tool (pg_dump for PostgreSQL)"
        )
    return Path(url.database)


def backup(config: Config, folder: Path, *, keys_passphrase_env: str | None = None) -> Summary:
    """Copy the database, the archive and the kept files into ``folder`` (new or empty); with
    ``keys_passphrase_env``, the PGP and S/MIME keys too, sealed with the passphrase it holds."""
    database = sqlite_file(config)
    if not database.is_file():
        raise IntakeError(f"storage.database: {database} does not exist; nothing to back up")
    if folder.absolute().resolve().is_relative_to(config.storage.archive_dir.absolute().resolve()):
        raise IntakeError(f"{folder}: inside storage.archive_dir; back up somewhere else")
    sealing = _keys_to_seal(config, keys_passphrase_env)
    _new_folder(folder)
    copy_database(database, folder / DATABASE, timeout=config.storage.lock_timeout_seconds)
    files = {DATABASE: file_digest(folder / DATABASE)}
    revision = schema_revision(folder / DATABASE)
    for name, source in archive_files(config.storage.archive_dir):
        files[f"{ARCHIVE}/{name}"] = copy_file(source, inside(folder, f"{ARCHIVE}/{name}"))
    kept: dict[str, str] = {}
    for name, key in KEPT_FILES:
        path = configured_path(config, key)
        if path is not None and path.is_file():
            files[name] = copy_file(path, folder / name)
            kept[name] = key
    manifest = _manifest(revision, files, kept)
    if sealing is not None:
        sources, passphrase = sealing
        files[backup_keys.SEALED] = backup_keys.seal(sources, passphrase, folder / backup_keys.SEALED)
        manifest["keys"] = {"file": backup_keys.SEALED, "items": list(sources), "sealed": backup_keys.METHOD}
    write_manifest(folder, manifest)
    sealed = list(sealing[0]) if sealing else []
    left_out = [] if sealing else [k for k in backup_keys.SECRET_KEYS if configured_path(config, k)]
    return Summary(folder, revision, _count_archive(files), list(kept), sealed, left_out)


def _keys_to_seal(config: Config, passphrase_env: str | None) -> tuple[dict[str, Path], SecretStr] | None:
    """The key files and folders to seal and the passphrase (None: keys not asked for); checked
    before anything is written."""
    if passphrase_env is None:
        return None
    passphrase = backup_keys.passphrase_from(passphrase_env)
    sources = backup_keys.key_sources({key: configured_path(config, key) for _, key in backup_keys.KEY_ITEMS})
    if not any(key in sources for key in backup_keys.SECRET_KEYS):
        raise ConfigError(
            "crypto.gnupg_home: --with-keys, but [crypto] names neither gnupg_home nor smime_key"
        )
    return sources, passphrase


def _manifest(revision: str | None, files: dict[str, dict], kept: dict[str, str]) -> dict:
    return {
        "format": FORMAT,
        "intake_version": intake.__version__,
        "schema_revision": revision,
        "created": jst_iso(utcnow()),
        "database": DATABASE,
        "archive": ARCHIVE,
        "kept_files": kept,
        "files": files,
    }


def _new_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise IntakeError(f"{folder}: not an empty folder; back up into a new or empty one")
    private_dirs(folder)
    folder.chmod(0o700)


def archive_files(root: Path) -> list[tuple[str, Path]]:
    """Every file of the archive, as (path inside it with ``/``, path). Left out: a message being
    written (``<sha>.tmp<pid>``, renamed once whole: the next backup has it) and the pollers'
    locks and in-hand markers (``.state``: about processes running here, not data)."""
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.rglob("*")
        if p.is_file() and ".tmp" not in p.suffix and p.relative_to(root).parts[0] != STATE_DIR
    ]
    return sorted((p.relative_to(root).as_posix(), p) for p in found)


def _count_archive(files: dict) -> int:
    return sum(1 for name in files if name.startswith(f"{ARCHIVE}/"))


def restore(
    config: Config,
    folder: Path,
    *,
    force: bool = False,
    keys_passphrase_env: str,
) -> Summary:
    """Write the backup in ``folder`` where ``config`` names each item, after checking it whole
    (sealed keys are opened with the passphrase in ``keys_passphrase_env`` before anything is written)."""
    database = sqlite_file(config)
    manifest = read_manifest(folder)
    verify(folder, manifest)
    revision = _restorable_revision(manifest)
    targets = _targets(config, manifest)
    keys, key_targets = _sealed_keys(config, folder, manifest, keys_passphrase_env)
    if not force:
        clashes = backup_keys.conflicts(keys, key_targets) if keys else []
        _refuse_overwrite(manifest, database, config.storage.archive_dir, targets, clashes)
    for name, target in targets.items():
        copy_file(inside(folder, name), target)
    if keys:
        backup_keys.put_back(keys, key_targets)
    archive = [n for n in sorted(manifest["files"]) if n.startswith(f"{ARCHIVE}/")]
    for name in archive:
        copy_file(inside(folder, name), config.storage.archive_dir / name.removeprefix(f"{ARCHIVE}/"))
    copy_database(inside(folder, manifest.get("database", DATABASE)), database)
    return Summary(folder, revision, len(archive), list(targets), list(key_targets))


def _sealed_keys(
    config: Config, folder: Path, manifest: dict, passphrase_env: str
) -> tuple[backup_keys.KeyFiles | None, dict[str, Path]]:
    """The backup's sealed keys, opened, and where each goes under this configuration."""
    sealed = manifest.get("keys")
    if not sealed:
        return None, {}
    passphrase = backup_keys.passphrase_from(passphrase_env)
    opened = backup_keys.unseal(inside(folder, sealed.get("file", backup_keys.SEALED)), passphrase)
    targets: dict[str, Path] = {}
    for key in opened.items:
        target = configured_path(config, key)
        if target is None:
            raise IntakeError(f"the backup holds sealed keys for {key}, but this configuration has no {key}")
        targets[key] = target
    return opened, targets


def _restorable_revision(manifest: dict) -> str | None:
    """The backup's schema revision; one this intake does not know was made by a newer intake."""
    revision = manifest.get("schema_revision")
    if revision is not None and revision != head_revision() and not known_revision(revision):
        raise IntakeError(
            f"the backup's database is at schema revision {revision}, which this intake does not know "
            f"(a newer intake made it): restore it with intake {manifest.get('intake_version', '?')}"
        )
    return revision


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this intake's migrations."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def _targets(config: Config, manifest: dict) -> dict[str, Path]:
    """Where each kept file of the backup goes under this configuration."""
    targets: dict[str, Path] = {}
    for name, key in sorted(manifest.get("kept_files", {}).items()):
        target = configured_path(config, key)
        if name not in manifest["files"]:
            raise IntakeError(f"{MANIFEST}: {name} ({key}) is not among the backup's files")
        if target is None:
            raise IntakeError(f"the backup holds {name} ({key}), but this configuration has no {key}")
        targets[name] = target
    return targets


def _refuse_overwrite(
    manifest: dict, database: Path, archive_dir: Path, targets: dict[str, Path], keys: list[str]
) -> None:
    """Refuse when restoring would replace data that is there: a database, an archive holding
    files, a kept file with other contents, a GnuPG home or key file (``keys``)."""
    found = list(keys)
    if database.is_file() and database.stat().st_size > 0:
        found.append(f"the database {database}")
    if archive_files(archive_dir):
        found.append(f"the archive {archive_dir}")
    for name, target in targets.items():
        if target.exists() and file_digest(target)["sha256"] != manifest["files"][name]["sha256"]:
            found.append(f"{target}")
    if found:
        raise IntakeError(f"restore would overwrite {', '.join(found)}; use --force to replace them")
