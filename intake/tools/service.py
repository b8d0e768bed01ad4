"""``intake service-unit``: the shipped systemd unit, filled in for the installation that runs it.

The units in ``packaging/`` are written for the documented layout (a virtual environment in
``/opt/intake``, the configuration in ``/etc/intake/config.toml``, the data in ``/var/lib/intake``).
Here the same text gets this installation's ``intake`` command, the absolute path of the
configuration in use, and, as the only folders it may write (``ReadWritePaths=``), the folders that
configuration stores its data in.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from intake.config import Config
from intake.errors import IntakeError
from intake.resources import packaging_dir
from intake.sources import kind_of
from intake.tools.backup import KEPT_FILES, configured_path

UNITS = {False: "intake.service", True: "intake-desk.service"}
TEMPLATE_COMMAND = "/opt/intake/bin/intake"
TEMPLATE_CONFIG = "/etc/intake/config.toml"
STATE_DIRECTORY = Path("/var/lib/intake")
READ_WRITE = re.compile(r"^ReadWritePaths=.*$", re.MULTILINE)


def template(*, desk: bool) -> str:
    """The shipped unit: ``intake.service`` (``intake run``) or ``intake-desk.service``."""
    return (packaging_dir() / UNITS[desk]).read_text(encoding="utf-8")


def render_unit(config: Config, config_file: Path, command: Path, *, desk: bool) -> str:
    """The unit with ``command``, ``config_file`` and the configuration's data folders in it."""
    text = template(desk=desk)
    shipped = f"ExecStart={TEMPLATE_COMMAND} --config {TEMPLATE_CONFIG} "
    if shipped not in text or not READ_WRITE.search(text):
        raise IntakeError(f"{UNITS[desk]} in {packaging_dir()} is not the unit this intake shipped")
    ours = f"ExecStart={unit_word(str(command))} --config {unit_word(str(config_file))} "
    writable = " ".join(unit_word(str(p)) for p in writable_dirs(config, desk=desk))
    return READ_WRITE.sub(lambda _m: f"ReadWritePaths={writable}", text.replace(shipped, ours), count=1)


def intake_command() -> Path:
    """The ``intake`` command of the running installation: the script this process was started as,
    else the one beside this Python (a virtual environment's ``bin`` folder)."""
    started_as = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started_as is not None and started_as.name == "intake" and started_as.is_file():
        return started_as.resolve()
    beside = Path(sys.executable).parent / "intake"  # not resolved: a venv's python is a symlink
    if beside.is_file():
        return beside.absolute()
    raise IntakeError(
        f"cannot find the intake command beside {sys.executable}; run `intake service-unit` as installed"
    )


def writable_dirs(config: Config, *, desk: bool = False) -> list[Path]:
    """Where the service writes: the folders holding the database, the archive and the kept files
    (keys, token cache: :data:`~intake.tools.backup.KEPT_FILES`), the GnuPG home of ``[crypto]``,
    and (not the desk) each local folder a mailbox's source moves messages in (a Maildir); a folder inside another one is left out."""
    storage = config.storage
    files = [storage.archive_dir, *filter(None, (configured_path(config, key) for _, key in KEPT_FILES))]
    database = make_url(storage.database)
    if database.get_backend_name() == "sqlite" and database.database not in (None, "", ":memory:"):
        files.append(Path(database.database))  # its folder too: SQLite writes -wal and -shm beside it
    folders = {p.absolute().parent for p in files}
    if config.crypto.gnupg_home is not None:  # gpg writes its agent socket and trust database there
        folders.add(config.crypto.gnupg_home.absolute())
    if not desk:
        folders |= {path for mb in config.mailbox for path in kind_of(mb).writable_dirs(mb)}
    return sorted(f for f in folders if not any(o != f and f.is_relative_to(o) for o in folders))


def missing_dirs(config: Config, *, desk: bool = False) -> list[Path]:
    """The writable folders that do not exist yet: systemd refuses to start a unit naming one
    (``/var/lib/intake`` is made by the unit itself: ``StateDirectory=intake``)."""
    return [p for p in writable_dirs(config, desk=desk) if not p.is_dir() and p != STATE_DIRECTORY]


def unit_word(value: str) -> str:
    """``value`` as one word of a unit file: ``%`` doubled, quoted when it holds a space or quote."""
    value = value.replace("%", "%%")
    if re.search(r"[\s\"'\\]", value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
