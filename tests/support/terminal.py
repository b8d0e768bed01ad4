"""`intake ARGS…` run on a real pseudo-terminal, as staff run it in a terminal window.

``pty.fork()`` gives the child a new session whose controlling terminal is the pty; the test types
into the master side and reads everything the terminal would show. Echo is on for ordinary input,
so a password that never comes back proves it was read without echo.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
PASSWORD_PROMPT = "(not shown, empty to quit): "


class Terminal:
    """`intake ARGS…` run on a pseudo-terminal 200 columns wide."""

    def __init__(self, workspace, *args: str) -> None:
        workspace.write()
        env = {
            **os.environ,
            **workspace.env,
            "INTAKE_CONFIG": str(workspace.config_file),
            "COLUMNS": "200",
            "LINES": "50",
            "TERM": "xterm",
        }
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: nothing of pytest may run here
            try:
                os.chdir(workspace.root)
                os.execve(sys.executable, [sys.executable, "-m", "intake", *args], env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.raw = b""
        self.seen = 0  # how far expect() has matched

    @property
    def text(self) -> str:
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace").replace("\r\n", "\n")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child has gone and the terminal is closed
            return False
        self.raw += chunk
        return bool(chunk)

    def expect(self, wanted: str, timeout: float = 60) -> str:
        """Wait until ``wanted`` appears after what was matched before; returns the text up to it."""
        deadline = time.monotonic() + timeout
        while (at := self.text.find(wanted, self.seen)) < 0:
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{wanted!r} did not appear; the terminal shows:\n{self.text}")
        before, self.seen = self.text[self.seen : at], at + len(wanted)
        return before

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode("utf-8") + b"\r")

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.1)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                while self._read(0.05) and select.select([self.fd], [], [], 0)[0]:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"intake did not exit; the terminal shows:\n{self.text}")
