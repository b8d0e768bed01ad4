"""The read-only commands (queue, show, outbox, audit, status) while ``intake run`` or ``intake desk``
runs: answered by the service over its socket in the data folder (0600, removed on exit, a stale one
taken over), with the very text and exit code the full command line gives; nothing that writes is
ever run for a client; ``--verbose`` says which path answered."""

from __future__ import annotations

import contextlib
import json
import mailbox
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.quick.commands import parse
from support.dovecot import free_port
from support.mailfactory import numbered_mails

pytestmark = pytest.mark.e2e  # intake run and intake desk as separate processes

BY_SERVICE = "answered by the running service"
BY_FULL_CLI = "answered by the full command line"
DIRECT = "read from the database directly"
THREE_DAYS = 3 * 86400 + 3600  # the queue's age column then reads 3日 for the whole test


@pytest.fixture
def cases(workspace):
    """Three cases of mail received three days ago, replies held (nothing changes while we look)."""
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    workspace.poll_interval = 3600  # intake run polls once as it starts, then leaves the cases be
    box = mailbox.Maildir(path, create=False)
    for raw in numbered_mails(3, to="csc-anken@example.jp", sender="報告者 <reporter@example.co.jp>"):
        key = box.add(raw)
        file = path / "new" / key
        then = time.time() - THREE_DAYS
        os.utime(file, (then, then))
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    return workspace


def without_service(workspace) -> str:
    """Who answers when no service does: the front reads SQLite itself, PostgreSQL is the full
    command line's."""
    return DIRECT if workspace.database.startswith("sqlite") else BY_FULL_CLI


def run_socket(workspace) -> Path:
    return workspace.root / "storage" / "intake-run.sock"


@contextlib.contextmanager
def service(workspace, *args: str, sock: Path) -> Iterator[subprocess.Popen]:
    """``intake ARGS`` (run or desk) as a process, until its socket answers; stopped with SIGTERM."""
    log = (workspace.root / "service.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "intake", *args],
        env={**os.environ, **workspace.environment},
        cwd=workspace.root,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 120
        while not answers(sock) or (args[0] == "run" and "polled" not in log_of(workspace)):
            assert process.poll() is None, (workspace.root / "service.log").read_text()
            assert time.monotonic() < deadline, "the service did not open its socket in time"
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        log.close()
    # intake run ends with 0; the desk's web server ends as SIGTERM ends a process
    assert process.returncode in (0, -signal.SIGTERM), (workspace.root / "service.log").read_text()
    assert "Traceback" not in (workspace.root / "service.log").read_text()


def log_of(workspace) -> str:
    return (workspace.root / "service.log").read_text(errors="replace")


def answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def ask(path: Path, request: dict) -> dict:
    """One raw request to the service's socket, as any process of the same user could send it."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(60)
        conn.connect(str(path))
        conn.sendall(json.dumps(request).encode() + b"\n")
        conn.shutdown(socket.SHUT_WR)
        return json.loads(b"".join(iter(lambda: conn.recv(65536), b"")))


def read_only_commands(workspace) -> list[list[str]]:
    [first, *_] = json.loads(workspace.cli("queue", "--json").stdout)
    case = first["id"]
    commands = [["queue"], ["queue", "--all"], ["queue", "--status", "new", "--limit", "2"], ["show", case]]
    commands += [["outbox"], ["outbox", "--state", "held"], ["status"], ["audit"], ["audit", case]]
    return commands + [[*c, "--json"] for c in commands]


def test_the_running_service_answers_each_read_only_command_as_the_full_command_line_would(cases):
    with service(cases, "run", sock=run_socket(cases)):
        for command in read_only_commands(cases):
            quick = cases.cli_process("--verbose", *command)
            full = cases.cli(*command)  # the typer command line itself, in this process
            assert BY_SERVICE in quick.stderr, (command, quick.stderr)
            assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode), command
            assert quick.stdout.strip(), command
        quick = cases.cli_process("show", "CSC-2099-9999")  # no such case: the same one line, the same code
        full = cases.cli("show", "CSC-2099-9999")
        assert (quick.stderr, quick.returncode) == (full.stderr, full.returncode)
        assert quick.returncode != 0 and "CSC-2099-9999" in quick.stderr


def test_the_socket_is_the_service_users_alone_and_goes_when_the_service_stops(cases):
    sock = run_socket(cases)
    with service(cases, "run", sock=sock):
        mode = sock.stat().st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600
    assert not sock.exists()
    quick = cases.cli_process("--verbose", "audit")  # no service: the database, or the full command line
    assert without_service(cases) in quick.stderr and quick.returncode == 0


def test_a_socket_left_by_a_service_that_died_is_passed_over_then_taken_over(cases):
    sock = run_socket(cases)
    sock.parent.mkdir(exist_ok=True)
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(sock))  # the file stays, nobody listens: as after kill -9
    assert sock.exists() and not answers(sock)
    quick = cases.cli_process("--verbose", "audit", "--json")
    assert without_service(cases) in quick.stderr
    assert quick.stdout == cases.cli("audit", "--json").stdout
    with service(cases, "run", sock=sock):
        assert BY_SERVICE in cases.cli_process("--verbose", "queue").stderr


def test_the_service_runs_nothing_that_writes_and_only_for_its_own_configuration(cases):
    [first, *_] = json.loads(cases.cli("queue", "--json").stdout)
    sock = run_socket(cases)
    terminal = {"env": {}, "stdout": {"tty": False, "encoding": "utf-8", "size": None}}
    terminal["stderr"] = terminal["stdout"]
    mine = str(cases.config_file)
    with service(cases, "run", sock=sock):
        for command in (
            ["note", first["id"], "書き込み"],
            ["set-status", first["id"], "closed"],
            ["outbox", "release", "1"],
            ["queue", "--by", "someone"],
            ["show", first["id"], "--help"],
        ):
            assert ask(sock, {"command": command, "config": mine, "terminal": terminal}) == {
                "answered": False
            }
        other = str(cases.root / "other.toml")
        assert ask(sock, {"command": ["queue"], "config": other, "terminal": terminal}) == {"answered": False}
        asked = ask(sock, {"command": ["audit", "--json"], "config": mine, "terminal": terminal})
        assert asked["answered"] and asked["exit_code"] == 0
    assert json.loads(asked["stdout"]) == json.loads(cases.cli("audit", "--json").stdout)
    assert json.loads(cases.cli("show", first["id"], "--json").stdout)["notes"] == []


def test_the_desk_answers_too(cases):
    sock = cases.root / "storage" / "intake-desk.sock"
    port = str(free_port())
    with service(cases, "desk", "--host", "127.0.0.1", "--port", port, sock=sock):
        quick = cases.cli_process("--verbose", "status", "--json")
        assert BY_SERVICE in quick.stderr and str(sock) in quick.stderr
        assert quick.stdout == cases.cli("status", "--json").stdout
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert not sock.exists()


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["queue"], ["queue"]),
        (["--config", "c.toml", "queue", "--status", "new", "--all", "--json"], None),
        (["--verbose", "show", "CSC-2026-0001", "--json"], ["show", "CSC-2026-0001", "--json"]),
        (["outbox", "--state=held"], ["outbox", "--state=held"]),
    ],
)
def test_the_front_recognises_the_read_only_commands(argv, command):
    request = parse(argv)
    assert request is not None
    assert request.command == (command or argv[2:])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["queue", "--help"],
        ["--by", "staff", "queue"],
        ["note", "CSC-2026-0001", "text"],
        ["outbox", "release", "1"],
        ["show", "A", "B"],
        ["queue", "--limit"],
        ["queue", "--unknown"],
        ["run"],
    ],
)
def test_the_front_leaves_everything_else_to_the_full_command_line(argv):
    assert parse(argv) is None


@pytest.mark.postgresql_only(
    reason="the front reads SQLite only: on PostgreSQL the full command line answers"
)
def test_with_no_service_on_postgresql_the_full_command_line_answers(cases):
    for command in (["queue"], ["outbox", "--json"], ["status"]):
        quick = cases.cli_process("--verbose", *command)
        assert BY_FULL_CLI in quick.stderr, command
        assert quick.stdout == cases.cli(*command).stdout
