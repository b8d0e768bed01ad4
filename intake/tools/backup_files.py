"""The file work under ``intake backup`` and ``intake restore``: copying a file while hashing it,
copying a SQLite database with SQLite's online backup, and the manifest that lists every file of a
backup with its SHA-256 and size.

Everything written here is private: files mode 0600, folders 0700, each file written under a
temporary name and renamed into place, so a file is either whole or absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from intake.errors import IntakeError

MANIFEST = "manifest.json"
CHUNK = 1 << 20


def copy_file(source: Path, target: Path) -> dict:
    """Copy ``source`` to ``target`` (0600); returns the ``sha256`` and ``size`` of what was written."""
    digest, size = hashlib.sha256(), 0
    partial = _partial(target)
    try:
        with source.open("rb") as src, _private(partial) as dst:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
            _sync(dst)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"sha256": digest.hexdigest(), "size": size}


def file_digest(path: Path) -> dict:
    """The ``sha256`` and ``size`` of the file at ``path``."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def copy_database(source: Path, target: Path, *, timeout: float = 30.0) -> None:
    """Copy the SQLite database ``source`` into ``target`` with SQLite's online backup: one
    consistent snapshot, taken as a reader (``intake run`` writing meanwhile neither waits nor is
    seen half-way). ``target`` is made 0600 if new; an existing one is replaced whole. The copy is
    left in rollback-journal mode, one file with nothing beside it; intake turns WAL on when it opens it."""
    private_file(target)
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=timeout)
    dst = sqlite3.connect(target, timeout=timeout)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def schema_revision(database: Path) -> str | None:
    """The migration revision recorded in the SQLite file ``database`` (None: never initialised)."""
    db = sqlite3.connect(f"file:{quote(str(database))}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    return row[0] if row else None


def private_file(path: Path) -> None:
    """Make the (empty) file ``path`` with mode 0600, and its folders 0700, unless it exists."""
    private_dirs(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` (last: a backup without one is a backup that did not finish)."""
    write_private(
        folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    )


def write_private(target: Path, data: bytes) -> dict:
    """Write ``data`` to ``target`` (0600, whole or not at all); returns its ``sha256`` and ``size``."""
    partial = _partial(target)
    try:
        with _private(partial) as fh:
            fh.write(data)
            _sync(fh)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def read_manifest(folder: Path) -> dict:
    """The manifest of the backup in ``folder``; refused when it is missing or unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IntakeError(f"{folder}: no {MANIFEST}, not an intake backup") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntakeError(f"{folder / MANIFEST}: cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise IntakeError(f"{folder / MANIFEST}: not an intake backup manifest")
    return manifest


def verify(folder: Path, manifest: dict) -> None:
    """Check every file the manifest lists against its size and SHA-256; the first that is
    missing or differs is named in one line (nothing is written before this passes)."""
    for name, expected in sorted(manifest["files"].items()):
        path = inside(folder, name)
        if not path.is_file():
            raise IntakeError(f"{path}: missing from the backup")
        if file_digest(path) != {"sha256": expected.get("sha256"), "size": expected.get("size")}:
            raise IntakeError(f"{path}: differs from the manifest (sha256 or size): the backup is damaged")


def inside(folder: Path, name: str) -> Path:
    """The file ``name`` (a manifest entry) of the backup in ``folder``, never a path outside it."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise IntakeError(f"{folder / MANIFEST}: {name!r} is not a file inside the backup")
    return folder.joinpath(*relative.parts)


def private_dirs(folder: Path) -> None:
    """Make ``folder`` and each missing folder above it with mode 0700 (``mkdir(parents=True)``
    would give the ones above the default mode)."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)


def _partial(target: Path) -> Path:
    private_dirs(target.parent)
    return target.with_name(f".{target.name}.partial{os.getpid()}")


def _private(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def _sync(fh) -> None:
    fh.flush()
    os.fsync(fh.fileno())
