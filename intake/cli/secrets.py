"""Reading a secret at the terminal: typed without echo (``getpass`` turns echo off before it writes
its prompt), twice when it is being set, or from the first line of standard input for scripts.
Never printed, never logged."""

from __future__ import annotations

import getpass
import sys

from intake.errors import IntakeError


class UsageProblem(IntakeError):
    exit_code = 2


def read_line(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        return ""


def hidden(prompt: str) -> str:
    """A password typed without echo; empty on Ctrl-D."""
    try:
        return getpass.getpass(prompt)
    except EOFError:
        return ""


def stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageProblem("no password on the first line of standard input")
    return password


def typed_twice() -> str:
    first = hidden("password / パスワード (not shown): ")
    if not first:
        raise UsageProblem("no password given")
    if hidden("again / もう一度: ") != first:
        raise UsageProblem("the two passwords differ; nothing was kept")
    return first
