"""Kinds of mail source are plug-ins: each is one module under intake/sources/ with one registered
kind object, and nothing else in intake names one.

* No module outside intake/sources/ compares a source name (``== "imap"``, ``in ("maildir", …)``,
  ``match`` on one, or ``.source`` against any string): it asks the mailbox's kind.
* A kind registered here, by this test module alone — a tiny source that hands out messages kept
  in memory — is read from the configuration, polled by the real poller with the exactly-once rule
  (marked only after the commit, never read twice), and shown in the health table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field
from sqlmodel import Session, func, select

import intake
from intake.config import Config, MailboxConfig, load_config
from intake.config.servers import mailbox_kinds
from intake.db import make_engine
from intake.db.tables import Case, Message, ServerHealth, SourceCursor
from intake.errors import ConfigError
from intake.runner.poller import Poller
from intake.sources import KINDS, Fetched, MailSource, Probe, SourceKind, register
from intake.sources.registry import unregister
from support.mailfactory import numbered_mails

PACKAGE = Path(intake.__file__).resolve().parent
SOURCES = PACKAGE / "sources"


# -- nothing outside intake/sources/ names a kind ----------------------------------------------------
def _strings(node: ast.AST) -> set[str]:
    """The string constants ``node`` is, or holds (a tuple, list or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_strings(e) for e in node.elts)) if node.elts else set()
    return set()


def _is_source(node: ast.AST) -> bool:
    """``x.source``, but not a table's column of that name (``TABLE.c.source``: the search index's)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "source"):
        return False
    return not (isinstance(node.value, ast.Attribute) and node.value.attr == "c")


def source_name_comparisons(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines comparing against a kind's name, or comparing ``.source`` with a string."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            strings = set().union(*(_strings(s) for s in sides))
            if strings & names or (strings and any(_is_source(s) for s in sides)):
                lines.append(node.lineno)
        elif isinstance(node, ast.Match):
            cases = [c.pattern for c in node.cases]
            values = {
                v.value.value
                for pattern in cases
                for v in ast.walk(pattern)
                if isinstance(v, ast.MatchValue) and isinstance(v.value, ast.Constant)
            }
            if values & names or (values and _is_source(node.subject)):
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_sources_compares_a_source_name():
    names = set(KINDS)
    assert {"imap", "maildir"} <= names
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(SOURCES)
        for line in source_name_comparisons(ast.parse(path.read_text(encoding="utf-8")), names)
    ]
    assert found == []


@pytest.mark.parametrize(
    "code",
    [
        'if mailbox.source == "imap": pass',
        'ok = "maildir" != kind',
        'ok = name in ("imap", "smtp")',
        'ok = mb.source != "graph"',
        'match mailbox.source:\n    case "elsewhere": pass',
        'match kind:\n    case "maildir": pass',
    ],
)
def test_the_check_sees_each_way_of_comparing_a_source_name(code):
    assert source_name_comparisons(ast.parse(code), {"imap", "maildir"}) == [1]


def test_the_check_lets_other_comparisons_be():
    code = (
        'ok = server.auth in ("password", "command")\nmatch state:\n    case "ok": pass\n'
        'found = select(TABLE).where(TABLE.c.source == "message")'
    )
    assert source_name_comparisons(ast.parse(code), {"imap", "maildir"}) == []


# -- a kind that only this module knows --------------------------------------------------------------
SHELVES: dict[str, list[bytes]] = {}  # shelf name → the messages "delivered" to it, oldest first
MARKED: list[tuple[str, int, bool]] = []  # (shelf, position, stored in the database when marked)


class ShelfMailbox(MailboxConfig):
    """``source = "shelf"``: messages kept in memory on the shelf ``shelf``."""

    source: Literal["shelf"]
    shelf: str = Field(min_length=1)


class ShelfSource:
    """The shelf's messages after the cursor (a ``source_cursor`` row: the last position read)."""

    login = None

    def __init__(self, *, mailbox: ShelfMailbox, database: str) -> None:
        self.mailbox = mailbox
        self.database = database
        self.found = 0

    def __enter__(self) -> ShelfSource:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _cursor(self, session: Session) -> SourceCursor:
        row = session.get(SourceCursor, (self.mailbox.name, "shelf"))
        return row or SourceCursor(mailbox=self.mailbox.name, folder="shelf", uidvalidity=1)

    def batches(self, session: Session) -> Iterator[list[Fetched]]:
        last = self._cursor(session).last_uid
        new = list(enumerate(SHELVES[self.mailbox.shelf], start=1))[last:]
        self.found = len(new)
        for start in range(0, len(new), 2):
            yield [
                Fetched(ref=f"shelf:{self.mailbox.shelf}:{n}", raw=raw, key=n)
                for n, raw in new[start : start + 2]
            ]

    def record(self, session: Session, batch: list[Fetched]) -> None:
        cursor = self._cursor(session)
        cursor.last_uid = max([cursor.last_uid, *(int(f.key) for f in batch)])
        session.add(cursor)

    def mark_processed(self, batch: list[Fetched]) -> None:
        engine = make_engine(self.database)  # another connection: sees only what was committed
        try:
            with Session(engine) as session:
                for fetched in batch:
                    query = select(func.count()).select_from(Message).where(Message.source_ref == fetched.ref)
                    MARKED.append((self.mailbox.shelf, int(fetched.key), session.exec(query).one() == 1))
        finally:
            engine.dispose()


class ShelfKind(SourceKind[ShelfMailbox]):
    name = "shelf"
    config = ShelfMailbox

    def open(self, mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
        return ShelfSource(mailbox=self.own(mailbox), database=config.storage.database)

    def is_sent(self, mailbox: MailboxConfig, ref: str) -> bool:
        return False

    def health_kind(self, mailbox: MailboxConfig) -> str:
        return "shelf"

    def probe(self, mailbox: MailboxConfig, config: Config) -> list[Probe]:
        shelf = self.own(mailbox).shelf
        return [Probe("ok" if shelf in SHELVES else "fail", f"shelf {shelf!r}")]


@pytest.fixture
def shelf_kind() -> Iterator[ShelfKind]:
    kind = register(ShelfKind())
    SHELVES.clear()
    MARKED.clear()
    yield kind
    unregister(kind.name)


def add_shelf(workspace, extra: str = 'shelf = "anken"') -> None:
    workspace.mailboxes.append(f"""
[[mailbox]]
name = "anken"
profile = "incident"
address = "csc-anken@example.jp"
case_prefix = "CSC"
source = "shelf"
{extra}
""")


def test_a_kind_registered_by_a_test_module_is_polled_by_the_real_poller(workspace, shelf_kind):
    SHELVES["anken"] = numbered_mails(3, to="csc-anken@example.jp")
    add_shelf(workspace)
    config, engine = workspace.config(), workspace.engine()
    assert isinstance(config.mailbox[0], ShelfMailbox)
    poller = Poller(config=config, engine=engine)

    report = poller.poll(config.mailbox[0])
    assert (report.fetched, report.created) == (3, 3)
    assert MARKED == [("anken", 1, True), ("anken", 2, True), ("anken", 3, True)]  # each after its commit

    assert poller.poll(config.mailbox[0]).fetched == 0  # the cursor says what was read
    SHELVES["anken"].append(numbered_mails(1, to="csc-anken@example.jp")[0])
    assert poller.poll(config.mailbox[0]).created == 1
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 4
        health = session.get(ServerHealth, "mailbox:anken")
    assert health is not None and (health.state, health.auth_kind, health.backlog) == ("ok", "shelf", 0)


def test_a_registered_kind_declares_and_checks_its_own_keys(workspace, shelf_kind):
    add_shelf(workspace, 'shelf = "anken"\nfolder = "INBOX"')  # an IMAP key: not the shelf's
    workspace.write()
    with pytest.raises(ConfigError) as raised:
        load_config(workspace.config_file)
    assert str(raised.value) == f"{workspace.config_file}: mailbox[0].folder: unknown key"


def test_a_source_no_kind_registered_is_one_line_naming_the_key(workspace):
    add_shelf(workspace)  # the shelf kind is not registered in this test
    workspace.write()
    with pytest.raises(ConfigError) as raised:
        load_config(workspace.config_file)
    assert str(raised.value).startswith(f"{workspace.config_file}: mailbox[0]: source: 'shelf' is not a kind")


def test_the_doctor_asks_the_mailboxs_kind(workspace, shelf_kind):
    from intake.tools.doctor import run_doctor

    add_shelf(workspace)
    checks = [c for c in run_doctor(workspace.config()) if c.area == "mailbox anken"]
    assert [(c.state, c.detail) for c in checks] == [("fail", "shelf 'anken'")]


def test_a_source_written_as_a_table_is_one_line_naming_the_key(workspace):
    workspace.add_maildir()
    path = workspace.write()
    text = path.read_text(encoding="utf-8").replace('source = "maildir"', 'source = { kind = "maildir" }', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}: mailbox[0]: source: {{'kind': 'maildir'}} is not a kind of mail source (use "
        + " or ".join(f'"{k}"' for k in mailbox_kinds())
        + ")"
    )
