"""The staff prompt `intake unlock` driven through a real pseudo-terminal.

``pty.fork()`` gives the child a new session whose controlling terminal is the pty, exactly as
when staff run the command in a terminal window; the test types into the master side and reads
everything the terminal would show. Echo is on for ordinary input (the row number typed is seen
coming back), so a password that never comes back proves it was read without echo.
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

import pytest
from office_fixtures import JAPANESE_NAME
from test_unlock_cli import PASSWORD, WRONG, attachment_rows, make_pending

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
PASSWORD_PROMPT = "(not shown, empty to quit): "


@pytest.fixture
def pending(workspace):
    return make_pending(workspace)


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


def test_prompt_lists_reads_the_password_without_echo_refuses_a_wrong_one_and_opens(workspace, pending):
    term = Terminal(workspace, "unlock")
    table = term.expect("which one? (1-1, empty to quit): ")
    assert JAPANESE_NAME in table and pending.case_id in table and "yamada@example.co.jp" in table
    assert "テスト株式会社" in table  # the organisation, from the file name
    term.type("1")
    echoed = term.expect(PASSWORD_PROMPT)
    assert echoed.lstrip().startswith("1")  # ordinary input is echoed by this terminal
    term.type(WRONG)
    term.expect("パスワードが違います / wrong password — the file stays pending; try again")
    term.expect(PASSWORD_PROMPT)
    term.type(PASSWORD)
    term.expect("opened / 開封しました")
    term.expect("加入申込書:")
    term.expect("no attachments are waiting for a password")
    assert term.wait() == 0
    assert PASSWORD not in term.text and WRONG not in term.text
    assert PASSWORD.encode() not in term.raw and WRONG.encode() not in term.raw
    (row,) = attachment_rows(workspace)
    assert (row.state, row.attempts) == ("decrypted", 2)


def test_prompt_quits_on_an_empty_password_or_ctrl_d_and_nothing_is_lost(workspace, pending):
    term = Terminal(workspace, "unlock")
    term.expect("which one?")
    term.type("7")
    term.expect("please type a number from 1 to 1")
    term.type("1")
    term.expect(PASSWORD_PROMPT)
    term.type("")  # empty password: quit
    assert term.wait() == 0
    term = Terminal(workspace, "unlock")
    term.expect("which one?")
    os.write(term.fd, b"\x04")  # Ctrl-D
    assert term.wait() == 0
    (row,) = attachment_rows(workspace)
    assert (row.state, row.attempts) == ("password_pending", 0)
