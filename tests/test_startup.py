"""Staff commands answer at once: each loads only the libraries it works with.

``intake --help`` and a command's ``--help`` load no database and no library of mail, documents,
spreadsheets, templates, OAuth2 or the web. The staff commands load the database, but not Alembic
(the schema is checked with one read of its revision) nor the libraries of the other commands.
Which modules, never how fast: the timing is ``scripts/bench_cli.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # each command in a fresh process: its sys.modules is what it loaded

DATABASE = {"sqlalchemy", "sqlmodel"}
OTHER_COMMANDS = {
    "alembic",  # init
    "openpyxl",  # register import, the xlsx exports
    "jinja2",  # writing replies: poll, run
    "msoffcrypto",  # opening encrypted files: unlock
    "pyzipper",  # opening password zips
    "docx",  # writing forms: demo
    "imapclient",  # poll, run, doctor
    "aiosmtplib",  # send, poll, run
    "msal",  # Microsoft 365 sign-in
    "google",  # Google sign-in
    "starlette",  # desk
    "uvicorn",  # desk
}
PROBE = """
import json, sys
from intake.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
with open(sys.argv[1], "w") as out:
    json.dump(sorted({name.split(".")[0] for name in sys.modules}), out)
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("startup") / "demo"
    made = subprocess.run(
        [sys.executable, "-m", "intake", "demo", "--dir", str(folder)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return folder / "config.toml"


def loaded(tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """The top-level packages ``intake ARGS`` imported by its end (standard input closed), and what
    it printed."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert report.exists(), done.stderr
    return set(json.loads(report.read_text())), done.stdout


@pytest.mark.parametrize(
    "args", [["--help"], ["queue", "--help"], ["unlock", "--help"], ["outbox", "--help"]]
)
def test_help_loads_no_database_and_none_of_the_commands_libraries(tmp_path, args):
    modules, out = loaded(tmp_path, *args)
    assert "Usage" in out
    assert modules & (DATABASE | OTHER_COMMANDS) == set()


@pytest.mark.parametrize(
    ("args", "shown", "own"),
    [
        (["queue"], "KYOGIKAI-2026-0001", set()),
        (["show", "KYOGIKAI-2026-0001"], "履歴", {"msoffcrypto"}),  # its package, with the forms library
        (["outbox"], "返信", set()),
        (["unlock"], "which one?", {"msoffcrypto"}),  # to the prompt, where standard input ends
        (["status"], "メールサーバー", set()),
        (["audit"], "audit", set()),
        (["report"], "の状況", set()),  # the form descriptions name the items: no Word reader
        (["purge"], "nothing is past retention", set()),
        (["person", "find", "nobody@example.jp"], "0 records", set()),
    ],
)
def test_staff_commands_load_the_database_and_none_of_the_other_commands_libraries(
    tmp_path, demo, args, shown, own
):
    modules, out = loaded(tmp_path, "--config", str(demo), *args)
    assert shown in out
    assert DATABASE <= modules
    assert modules & OTHER_COMMANDS == own


def test_init_loads_alembic(tmp_path, demo):
    """The probe sees what a command loads on its way: Alembic only where the schema is upgraded."""
    modules, out = loaded(tmp_path, "--config", str(demo), "init")
    assert "database is current" in out
    assert "alembic" in modules
