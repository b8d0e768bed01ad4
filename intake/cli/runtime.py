"""What every command needs: the configuration, the database, and a console to print to.

The configuration and the database are loaded when a command first asks for them, so that
``intake --help`` and the commands that need neither start without them.
"""

from __future__ import annotations

import getpass
import json
import logging
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from intake.errors import IntakeError
from intake.resources import default_rules_dir
from intake.secretariat.labels import error_text

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from intake.config import Config


_RULES: list[Path] = []  # the rules folder of the configuration a command loaded


def rules_in_use() -> Path:
    """The rules folder of the configuration the command loaded, else the one shipped with intake
    (what an error is worded from)."""
    return _RULES[-1] if _RULES else default_rules_dir()


@dataclass
class Runtime:
    config_file: Path | None = None
    operator: str | None = None
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))

    @cached_property
    def config(self) -> Config:
        from intake.config import load_config

        config = load_config(self.config_file)
        setup_logging(config.log_level)
        _RULES.append(config.rules_path)
        return config

    @cached_property
    def engine(self) -> Engine:
        from intake.db import make_engine

        storage = self.config.storage
        return make_engine(storage.database, lock_timeout=storage.lock_timeout_seconds)

    def ready_engine(self) -> Engine:
        """The engine of a database whose schema is current (else: run `intake init`)."""
        from intake.db import require_current

        require_current(self.engine)
        return self.engine

    def close(self) -> None:
        """Let the database go (called when the command ends)."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def reading_engine(self) -> Engine:
        """:meth:`ready_engine` for a command that only reads (it never waits for the poller)."""
        from intake.db import reading

        return reading(self.ready_engine())

    def session(self) -> Session:
        """A session on :meth:`ready_engine`; the command commits what it does."""
        from sqlmodel import Session

        return Session(self.ready_engine())

    def reading_session(self) -> Session:
        """A session on :meth:`reading_engine`, for a command that only reads."""
        from sqlmodel import Session

        return Session(self.reading_engine())

    def session_scope(self) -> AbstractContextManager[Session]:
        """:func:`intake.db.session_scope` on :meth:`ready_engine`: committed on success, else
        rolled back."""
        from intake.db import session_scope

        return session_scope(self.ready_engine())

    @property
    def by(self) -> str:
        return self.operator or getpass.getuser()

    def print_json(self, data: object) -> None:
        self.out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")  # standard output


def add_row(table: Table, *cells: object, style: str | None = None) -> None:
    """Add cells as plain text: a subject like ``[KYOGIKAI-2026-0001]`` is not rich markup."""
    table.add_row(*(Text("" if c is None else str(c)) for c in cells), style=style)


def setup_logging(level: str) -> None:
    """Log records to standard error; set up again, it replaces its own handler only."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "intake", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.intake = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # Library chatter (IMAP commands, SQL) stays out of the log whatever the level.
    for noisy in ("imapclient", "sqlalchemy", "alembic", "apscheduler.executors", "aiosmtplib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def said(exc: IntakeError, rules_dir: Path | None = None) -> str:
    """An error as staff read it: a labelled one in Japanese (labels.toml ``[errors]``, of
    ``rules_dir`` or the rules in use), its English line after it in brackets for the log and for
    searching; any other as its English line."""
    if exc.label is None:
        return str(exc)
    return f"{error_text(exc, rules_dir or rules_in_use())} ({exc})"
