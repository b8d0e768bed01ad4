"""``intake ARGS`` run inside the test process: the same ``intake.cli.main`` a shell runs, with its
own environment, folder, standard input and output, and nothing of it left behind.

A process costs about a second of imports; in-process a command costs what it does. What only a
real process shows (a terminal, signals, ``python -m intake``) is tested with ``Workspace.cli_process``
or ``Popen`` under the ``e2e`` marker.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from intake.cli import main


def run(
    args: list[str], *, env: dict[str, str], cwd: Path, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run the command line as ``intake ARGS`` would, and return what a process would give back."""
    out, err = _stream(), _stream()
    with _environment(env), contextlib.chdir(cwd), _standard(input, out, err), _logging():
        try:
            main(args)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return subprocess.CompletedProcess(["intake", *args], code, _text(out), _text(err))


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _standard(input: str | None, out: io.TextIOWrapper, err: io.TextIOWrapper) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(input or ""), out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _logging() -> Iterator[None]:
    """The command sets up logging for itself; afterwards the test process's logging is as it was."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
