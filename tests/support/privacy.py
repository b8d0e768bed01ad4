"""A workspace with both mailboxes as Maildirs and replies held, mail delivered into them and polled
through the real pipeline, and the clock moved on — for the retention and erasure tests.

Everyone here is invented (``*.example.co.jp``)."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from intake import clock
from intake.forms import write_staff_registration
from support.mailfactory import DOCX_TYPE, JST, make_mail
from support.office_fixtures import encrypt_agile
from support.samples import person
from support.workspace import Workspace

ORG = "さくら電機株式会社"


def staff_form_name() -> str:
    return f"{clock.utcnow().astimezone(JST):%y%m%d}_事務従事者登録届（{ORG}）.docx"


def block(name: str, email: str, kind: str = "新規", phone: str = "03-5555-0101") -> dict:
    """One 事務従事者 block, every item filled in."""
    return person(name, kind, email=email, phone=phone)


class Desk:
    """The secretariat's intake on two Maildirs (kyogikai: membership, anken: incidents)."""

    def __init__(
        self, workspace: Workspace, *, retention: str = "", storage: str = "", limits: str = ""
    ) -> None:
        self.ws = workspace
        workspace.extra = (
            f'{storage}\n[replies]\nmode = "hold"\n\n[retention]\n{retention}\n\n[limits]\n{limits}\n'
        )
        self.kyogikai = workspace.add_maildir(
            name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
        )
        self.anken = workspace.add_maildir()
        assert self.cli("init").returncode == 0

    def cli(self, *args: str, input: str | None = None):
        return self.ws.cli(*args, input=input)

    def json(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def deliver(self, folder: Path, raw: bytes) -> None:
        mailbox.Maildir(folder, create=False).add(raw)

    def poll(self) -> list[str]:
        """Poll both mailboxes (kyogikai first); the ids of the cases the poll opened, oldest first."""
        before = {c["id"] for c in self.json("queue", "--all")}
        result = self.cli("poll")
        assert result.returncode == 0, result.stderr
        after = [c["id"] for c in reversed(self.json("queue", "--all"))]
        return [case_id for case_id in after if case_id not in before]

    def staff_registration(self, sender: str, people: list[dict], body: str, password: str = "") -> bytes:
        """A 事務従事者登録届 by mail; with ``password`` the form is encrypted (its password phoned in)."""
        form = write_staff_registration(ORG, people)
        form = encrypt_agile(form, password) if password else form
        return make_mail(
            sender=sender, subject="事務従事者登録届の提出", body=body,
            attachments=[(staff_form_name(), form, DOCX_TYPE)],
        )  # fmt: skip

    def incident(self, sender: str, body: str) -> bytes:
        return make_mail(sender=sender, to="csc-anken@example.jp", subject="不審メールの報告", body=body)

    def archived(self) -> set[str]:
        return {p.stem for p in (self.ws.root / "messages").rglob("*.eml")}

    def sha256s(self, case_id: str) -> set[str]:
        query = text("SELECT sha256 FROM message WHERE case_id = :case AND direction = 'in'")
        with self.ws.engine().connect() as conn:
            return {r[0] for r in conn.execute(query, {"case": case_id})}

    def dump(self) -> list[str]:
        """Every row of the database: SQLite's own dump as SQL, else every row of every table."""
        if self.ws.database.startswith("sqlite"):
            db = sqlite3.connect(self.ws.root / "intake.db")
            try:
                return list(db.iterdump())
            finally:
                db.close()
        with self.ws.engine().connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return [
                repr(tuple(row))
                for t in tables
                for row in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))
            ]

    def stored_files(self) -> Iterator[Path]:
        """The database file, its write-ahead log and every file of the archive."""
        root = self.ws.root
        yield from (p for p in (root / "intake.db", root / "intake.db-wal") if p.exists())
        yield from (p for p in (root / "messages").rglob("*") if p.is_file())


def move_clock(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """intake's clock ``days`` on from the real time."""
    real = clock.utcnow.__wrapped__ if hasattr(clock.utcnow, "__wrapped__") else clock.utcnow

    def later():
        return real() + timedelta(days=days)

    later.__wrapped__ = real  # type: ignore[attr-defined]
    monkeypatch.setattr(clock, "utcnow", later)
