"""``intake run`` and ``intake desk`` answer the read-only commands (:mod:`intake.quick`) over a
Unix socket in the data folder, so that ``intake queue`` and the like need not load the program
and open the database themselves.

The socket is created mode 0600 (only the service's own user may ask: the file system is the
authentication) and removed when the service stops; a socket left by a service that died is
taken over, one that answers belongs to another service and is left alone. Each request is
rendered by the command line's own commands, on the service's configuration and database, into
a console shaped like the asking terminal, so the text is what the full command line prints.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from rich.console import Console

from intake.cli.runtime import Runtime, said
from intake.errors import IntakeError
from intake.quick.commands import read_only
from intake.quick.settings import SOCKET_NAMES, config_file


class Command(Protocol):
    """The command line's click command (typer carries its own click)."""

    def main(
        self,
        *,
        args: Sequence[str] | None = ...,
        prog_name: str | None = ...,
        standalone_mode: bool = ...,
        **extra: Any,
    ) -> Any: ...


log = logging.getLogger(__name__)
MAX_REQUEST = 64 * 1024


@contextlib.contextmanager
def answering(rt: Runtime, *, service: str) -> Iterator[Path | None]:
    """Answer the read-only commands while the block runs (``service``: "run" or "desk")."""
    path = socket_path(rt, service)
    rt.ready_engine()  # loaded before any request's thread asks for it
    ours: list[Path] = []  # the socket, once this process made it
    previous = signal.signal(signal.SIGTERM, _remove_then_stop(ours))
    server = _bind(path, rt)
    if server is None:
        signal.signal(signal.SIGTERM, previous)
        yield None
        return
    ours.append(path)
    thread = threading.Thread(target=server.serve_forever, name="intake-answers", daemon=True)
    thread.start()
    log.info("answering read-only commands on %s", path)
    try:
        yield path
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_then_stop(ours: list[Path]) -> Callable[[int, FrameType | None], None]:
    """SIGTERM while no one else handles it (at start-up, or from the desk's web server, which
    hands it on when it is done): our socket goes, then the process ends as SIGTERM ends it."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        for path in ours:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    return handler


def socket_path(rt: Runtime, service: str) -> Path:
    """The socket of ``service`` in the data folder (the folder of ``storage.key_file``)."""
    folder = rt.config.storage.key_file.absolute().parent
    return folder / SOCKET_NAMES[("run", "desk").index(service)]


def _bind(path: Path, rt: Runtime) -> socketserver.UnixStreamServer | None:
    """A server listening on ``path`` (0600), or None when another service answers there or the
    folder does not allow it (the commands then read the database themselves)."""
    if _answers(path):
        log.warning("%s: another intake process answers there; this one does not", path)
        return None
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a service that died
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o177)  # created 0600: no moment when another user could connect
        try:
            server = _Server(str(path), _Handler)
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
    except OSError as exc:
        log.warning("%s: cannot answer read-only commands there: %s", path, exc)
        return None
    server.runtime = rt
    server.command = _click_command()
    return server


def _answers(path: Path) -> bool:
    """Whether a process listens on the socket ``path`` (a file left by a dead one does not)."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _click_command() -> Command:
    import typer

    from intake.cli.app import app  # its commands registered: intake run or desk came through it

    return typer.main.get_command(app)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    runtime: Runtime
    command: Command


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(MAX_REQUEST)
        if not line.strip():
            return  # a probe: is anyone listening here?
        try:
            reply = answer(self.server.runtime, self.server.command, json.loads(line))
        except Exception:  # a request this service cannot answer: the client asks the full command line
            log.exception("could not answer a read-only command")
            reply = {"answered": False}
        with contextlib.suppress(OSError):  # the client gave up waiting
            self.wfile.write(json.dumps(reply, ensure_ascii=False).encode("utf-8"))


def answer(service: Runtime, command: Command, request: dict[str, Any]) -> dict[str, Any]:
    """Run one read-only command on the service's configuration and database; what it printed."""
    argv = request.get("command")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv) or not read_only(argv):
        return {"answered": False}
    if request.get("config") != str(config_file(service.config_file)):
        return {"answered": False}  # another configuration: its own database, maybe
    terminal = request["terminal"]
    out, err = _console(terminal, "stdout"), _console(terminal, "stderr")
    rt = Runtime(config_file=service.config_file, out=out, err=err)
    rt.__dict__.update(config=service.config, engine=service.engine)  # already loaded and checked
    try:
        code = command.main(args=argv, prog_name="intake", standalone_mode=False, obj=rt)
    except IntakeError as exc:
        err.file.write(f"intake: {said(exc, service.config.rules_path)}\n")
        code = exc.exit_code
    return {
        "answered": True,
        "stdout": out.file.getvalue(),  # type: ignore[attr-defined]
        "stderr": err.file.getvalue(),  # type: ignore[attr-defined]
        "exit_code": code if isinstance(code, int) else 0,
    }


class _Stream(io.StringIO):
    """The asking process's standard output or error, as rich sees it."""

    def __init__(self, tty: bool, encoding: str) -> None:
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def _console(terminal: dict[str, Any], name: str) -> Console:
    """A console shaped like the asking process's stream ``name``: rich's own choice of width,
    height and colours, from the client's environment and terminal size."""
    env: dict[str, str] = terminal["env"]
    stream = terminal[name]
    file = _Stream(bool(stream["tty"]), stream["encoding"])
    probe = Console(file=file, _environ=env)
    width, height = _size(env, stream["size"], dumb=probe.is_dumb_terminal)
    return Console(
        file=file,
        width=width,
        height=height,
        highlight=False,
        soft_wrap=True,
        stderr=name == "stderr",
        legacy_windows=False,
        _environ=env,
    )


def _size(env: dict[str, str], size: list[int] | None, *, dumb: bool) -> tuple[int, int]:
    """What :attr:`rich.console.Console.size` gives in the asking process."""
    columns, lines = env.get("COLUMNS", ""), env.get("LINES", "")
    if columns.isdigit() and lines.isdigit():
        return int(columns), int(lines)
    if dumb:
        return 80, 25
    width, height = size or (None, None)
    width = int(columns) if columns.isdigit() else width
    height = int(lines) if lines.isdigit() else height
    return width or 80, height or 25
