"""Asking the running service: one JSON line out (the command, the configuration file, how the
terminal looks), one JSON document back (what the command printed and its exit code).

The service renders with the command line's own code for this terminal, so the text is the one
the full command line would print. No answer (no socket, a stale one, another configuration, a
command it declines, a timeout) means the full command line answers instead.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from intake.quick.settings import sockets

if TYPE_CHECKING:
    from intake.quick.commands import Request

#: what rich reads from the environment to lay out and colour its output
TERMINAL_ENV = ("COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")
CONNECT_SECONDS = 1.0
ANSWER_SECONDS = 30.0


class Answer(NamedTuple):
    stdout: str
    stderr: str
    exit_code: int
    socket: Path


def ask_service(request: Request, file: Path, folder: Path) -> Answer | None:
    """The answer to ``request`` of the service of configuration ``file`` whose data folder is
    ``folder``, or None when none answers."""
    message = json.dumps({"command": request.command, "config": str(file), "terminal": terminal()})
    for path in sockets(folder):
        reply = _exchange(path, message.encode("utf-8") + b"\n")
        if reply is not None and reply.get("answered"):
            return Answer(reply["stdout"], reply["stderr"], int(reply["exit_code"]), path)
    return None


def _exchange(path: Path, message: bytes) -> dict | None:
    if not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_SECONDS)
            conn.connect(str(path))
            conn.settimeout(ANSWER_SECONDS)
            conn.sendall(message)
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        reply = json.loads(b"".join(chunks))
    except (OSError, ValueError):  # stale socket, not ours to use, service stopped mid-answer
        return None
    return reply if isinstance(reply, dict) else None


def terminal() -> dict:
    """Standard output's and standard error's look (a terminal or not, size, encoding) and the
    environment rich reads, for the service to render exactly as this process would."""
    env = {k: os.environ[k] for k in TERMINAL_ENV if k in os.environ}
    size = _terminal_size()
    return {
        "env": env,
        "stdout": _stream(sys.stdout, env, size),
        "stderr": _stream(sys.stderr, env, size),
    }


def _stream(stream, env: dict[str, str], size: tuple[int, int] | None) -> dict:
    try:
        tty = stream.isatty()
    except ValueError:
        tty = False
    return {"tty": tty, "encoding": getattr(stream, "encoding", None) or "utf-8", "size": size}


def _terminal_size() -> tuple[int, int] | None:
    """The first of standard input, output and error that is a terminal: its size (as rich asks)."""
    for fd in (0, 1, 2):
        try:
            return tuple(os.get_terminal_size(fd))  # type: ignore[return-value]
        except (AttributeError, ValueError, OSError):
            continue
    return None
