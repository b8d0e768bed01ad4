"""A workspace for a test: a folder with a config.toml, its database and archive, its mailboxes,
and a way to run the command line on it. The database is a SQLite file in the folder, or a fresh
PostgreSQL database with ``pytest --db=postgresql`` (:mod:`support.postgres`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from intake.config import Config, load_config
from intake.db import make_engine, upgrade
from support import postgres
from support.cli import run
from support.dovecot import ImapAccount


@dataclass
class Workspace:
    """A folder with a config.toml, its database and archive, and a way to run the CLI on it."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    env: dict[str, str] = field(default_factory=dict)
    mailboxes: list[str] = field(default_factory=list)
    extra: str = ""
    rules_dir: Path | None = None  # the configuration's rules_dir: a copy of rules/ a test edits
    poll_interval: int = 1
    database: str = ""  # the URL; a new database of the backend in use when not given
    engines: list = field(default_factory=list)  # made by engine(), let go by close()

    def __post_init__(self) -> None:
        self.database = self.database or postgres.database_url(self.root)

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    def add_imap(
        self,
        account: ImapAccount,
        *,
        name="kyogikai",
        profile="membership",
        prefix="KYOGIKAI",
        address="kyogikai-shomu@example.jp",
        folder="INBOX",
        extra="",
        port: int | None = None,
        security: str = "none",
        login: str | None = None,
    ) -> None:
        """An IMAP mailbox on ``account``; ``login`` replaces the password lines (e.g. an OAuth2
        ``auth`` and its table), ``port`` and ``security`` the plain loopback connection."""
        env_name = f"INTAKE_TEST_{name.upper()}_PASSWORD"
        self.env[env_name] = account.password
        self.monkeypatch.setenv(env_name, account.password)
        self.mailboxes.append(f"""
[[mailbox]]
name = "{name}"
profile = "{profile}"
address = "{address}"
case_prefix = "{prefix}"
source = "imap"
host = "{account.host}"
port = {port or account.port}
security = "{security}"
username = "{account.username}"
folder = "{folder}"
{extra}
{login if login is not None else f'password_env = "{env_name}"'}
""")

    def add_maildir(
        self, *, name="anken", profile="incident", prefix="CSC", address="csc-anken@example.jp", extra=""
    ) -> Path:
        path = self.root / "maildir" / name
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.mailboxes.append(f"""
[[mailbox]]
name = "{name}"
profile = "{profile}"
address = "{address}"
case_prefix = "{prefix}"
source = "maildir"
path = "{path}"
{extra}""")
        return path

    def write(self) -> Path:
        rules = f'rules_dir = "{self.rules_dir}"\n' if self.rules_dir else ""
        text = f"""{rules}poll_interval = {self.poll_interval}
[storage]
database = "{self.database}"
archive_dir = "{self.root}/messages"
{self.extra}
""" + "".join(self.mailboxes)
        # unchanged: left alone, and a service reading it meanwhile never sees it half-written
        if self.config_file.exists() and self.config_file.read_text(encoding="utf-8") == text:
            return self.config_file
        temp = self.config_file.with_suffix(".tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, self.config_file)  # atomic: a reader sees the old file or the new, whole
        return self.config_file

    def config(self) -> Config:
        self.write()
        return load_config(self.config_file)

    def engine(self):
        engine = make_engine(self.database)
        upgrade(engine)
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        """Let go of the connections the test's engines hold (PostgreSQL counts them)."""
        for engine in self.engines:
            engine.dispose()
        self.engines.clear()

    @property
    def environment(self) -> dict[str, str]:
        """What a command sees: the mailbox passwords, the configuration, a wide terminal."""
        return {**self.env, "INTAKE_CONFIG": str(self.config_file), "COLUMNS": "200"}

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """``intake ARGS`` in this process (:func:`support.cli.run`): as staff would type it."""
        self.write()
        return run(list(args), env=self.environment, cwd=self.root, input=input)

    def cli_process(
        self, *args: str, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        """``python -m intake ARGS`` as a separate process, for what only a process shows."""
        self.write()
        return subprocess.run(
            [sys.executable, "-m", "intake", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.environment},
            input=input,
            timeout=timeout,
            cwd=self.root,
        )
