"""Asking ClamAV's ``clamd`` about a file, over its unix socket (``[scan] clamd_socket``).

The bytes go in clamd's INSTREAM command (``zINSTREAM\\0``, then chunks each led by its length as a
4-byte big-endian number, then a zero length); clamd answers ``stream: OK``, ``stream: NAME FOUND``
or ``… ERROR``. ``timeout`` bounds the whole exchange, not each step. A clamd that cannot be reached,
is too slow or answers an error is :class:`ScanUnavailable`, never a verdict: the caller says the
file was not scanned.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from intake.errors import IntakeError

_CHUNK = 64 * 1024


class ScanUnavailable(IntakeError):
    """clamd could not give a verdict; the message says why, in plain words."""


@dataclass(frozen=True, kw_only=True)
class Clamd:
    socket: Path
    timeout: float = 30.0

    def scan(self, data: bytes) -> str | None:
        """The name of what clamd found in ``data``, or None when it found nothing."""
        chunks = (data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK))
        framed = (part for chunk in chunks for part in (len(chunk).to_bytes(4, "big"), chunk))
        answer = self._ask(b"zINSTREAM\0", framed, b"\0\0\0\0").removeprefix("stream: ")
        if answer == "OK":
            return None
        if answer.endswith(" FOUND"):
            return answer.removesuffix(" FOUND")
        raise ScanUnavailable(f"clamd answered: {answer[:200]}")

    def version(self) -> str:
        """clamd's version and that of its signatures, after a PING answered with PONG."""
        if self._ask(b"zPING\0") != "PONG":
            raise ScanUnavailable("clamd did not answer PING with PONG")
        return self._ask(b"zVERSION\0")

    def _ask(self, *parts: bytes | Iterable[bytes]) -> str:
        deadline = time.monotonic() + self.timeout
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                _step(conn, deadline).connect(str(self.socket))
                _send(conn, deadline, parts)
                answer = _answer(conn, deadline)
        except TimeoutError:
            raise ScanUnavailable(
                f"clamd at {self.socket} did not answer within {self.timeout:g} s"
            ) from None
        except OSError as exc:
            raise ScanUnavailable(
                f"clamd at {self.socket} cannot be reached ({exc.strerror or exc})"
            ) from None
        if not answer:
            raise ScanUnavailable(f"clamd at {self.socket} closed the connection without an answer")
        return answer


def _send(conn: socket.socket, deadline: float, parts: tuple[bytes | Iterable[bytes], ...]) -> None:
    try:
        for part in parts:
            for piece in [part] if isinstance(part, bytes) else part:
                _step(conn, deadline).sendall(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # clamd stopped reading (e.g. over its StreamMaxLength): its answer says why


def _step(conn: socket.socket, deadline: float) -> socket.socket:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    conn.settimeout(left)
    return conn


def _answer(conn: socket.socket, deadline: float) -> str:
    said = b""
    while not said.endswith(b"\0"):
        part = _step(conn, deadline).recv(4096)
        if not part:
            break
        said += part
    return said.rstrip(b"\0").decode("utf-8", "replace").strip()
