"""The staff prompt `intake unlock` driven through a real pseudo-terminal.

``pty.fork()`` gives the child a new session whose controlling terminal is the pty, exactly as
when staff run the command in a terminal window; the test types into the master side and reads
everything the terminal would show. Echo is on for ordinary input (the row number typed is seen
coming back), so a password that never comes back proves it was read without echo.
"""

from __future__ import annotations

import os

import pytest

from support.office_fixtures import JAPANESE_NAME
from support.terminal import PASSWORD_PROMPT, Terminal
from support.unlocking import PASSWORD, WRONG, attachment_rows, make_pending

pytestmark = pytest.mark.e2e  # starts intake as a separate process


@pytest.fixture
def pending(workspace):
    return make_pending(workspace)


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
