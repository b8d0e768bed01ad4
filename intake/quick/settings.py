"""The few settings the quick path needs, read from the configuration file with :mod:`tomllib`
alone: where the data folder is (the service's sockets live there) and the database.

Nothing is validated here: a configuration this cannot read sends the command to the full
command line, which says what is wrong with it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from intake.resources import default_rules_dir

CONFIG_ENV = "INTAKE_CONFIG"  # the same as intake.config's
DEFAULT_CONFIG = "config.toml"
DEFAULT_KEY_FILE = "storage/intake.key"  # the data folder is where the key file lives
DEFAULT_DATABASE = "sqlite:///storage/intake.db"
DEFAULT_ARCHIVE = "storage/messages"
SQLITE = "sqlite:///"
SOCKET_NAMES = ("intake-run.sock", "intake-desk.sock")  # intake run's, intake desk's


def config_file(explicit: str | os.PathLike[str] | None) -> Path:
    """The configuration file a command reads, as an absolute path (as intake.config finds it)."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).absolute()


def read_config(file: Path) -> dict | None:
    """The configuration's TOML, or None when it cannot be read as such."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def data_folder(data: dict, base: Path) -> Path | None:
    """The folder of ``storage.key_file``, relative paths taken from the configuration's folder."""
    storage = data.get("storage", {})
    key_file = storage.get("key_file", DEFAULT_KEY_FILE) if isinstance(storage, dict) else None
    if not isinstance(key_file, str) or not key_file:
        return None
    path = Path(key_file)
    return (path if path.is_absolute() else base / path).parent


def sqlite_file(data: dict, base: Path) -> Path | None:
    """The SQLite file of ``storage.database`` (relative to the configuration's folder), or None
    for another database (PostgreSQL is read by the full command line)."""
    storage = data.get("storage", {})
    url = storage.get("database", DEFAULT_DATABASE) if isinstance(storage, dict) else None
    if not isinstance(url, str) or not url.startswith(SQLITE) or url == SQLITE + ":memory:":
        return None
    path = Path(url.removeprefix(SQLITE))
    return path if path.is_absolute() else (base / path).resolve()


def lock_timeout(data: dict) -> float:
    """How long a reader waits for a busy database (``storage.lock_timeout_seconds``)."""
    value = data.get("storage", {}).get("lock_timeout_seconds", 30.0)
    return float(value) if isinstance(value, int | float) and value > 0 else 30.0


def rules_dir(data: dict, base: Path) -> Path:
    """``rules_dir`` (relative to the configuration's folder), else the rules shipped with intake."""
    configured = data.get("rules_dir")
    if isinstance(configured, str) and configured:
        path = Path(configured)
        return path if path.is_absolute() else base / path
    return default_rules_dir()


def sockets(folder: Path) -> list[Path]:
    """Where a running ``intake run`` and ``intake desk`` answer the read-only commands."""
    return [folder / name for name in SOCKET_NAMES]


def archive_folder(data: dict, base: Path) -> Path | None:
    """``storage.archive_dir`` (relative to the configuration's folder): the archived messages;
    None when it is not a path (the full command line says so)."""
    storage = data.get("storage", {})
    value = storage.get("archive_dir", DEFAULT_ARCHIVE) if isinstance(storage, dict) else None
    if not isinstance(value, str) or not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else base / path
