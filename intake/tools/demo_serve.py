"""``intake demo-serve``: the demo's whole loop on one machine, until Ctrl-C — the web desk, the
sending of the replies staff release, and a local mail sink (aiosmtpd) standing in for the
applicants' mail servers, which prints each reply it receives and keeps it in the demo folder's
``sent-mail`` Maildir. Nothing leaves the machine: the demo's ``[smtp]`` is this sink on loopback.
"""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

from sqlalchemy import Engine

from intake.config import Config
from intake.errors import IntakeError
from intake.replies.sender import send_due

SEND_EVERY_SECONDS = 3.0
SENT_MAIL = "sent-mail"


@contextmanager
def mail_sink(config: Config, folder: Path, say: Callable[[str], None]) -> Iterator[Path]:
    """An SMTP server on the configuration's ``[smtp]`` host and port keeping every message it
    receives in ``folder/sent-mail`` (a Maildir) and saying each in one line."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox
    except ImportError:
        raise IntakeError("the demo's mail sink needs aiosmtpd: pip install 'intake[demo]'") from None

    class Sink(Mailbox):
        def handle_message(self, message: Message) -> None:
            super().handle_message(message)
            say(f"mail sink: to {message['To']}  {_header(message['Subject'])}")

    target = folder / SENT_MAIL
    mailbox.Maildir(target, create=True)
    host, port = config.smtp.host, config.smtp.port
    controller = Controller(Sink(target), hostname=host, port=port)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        raise IntakeError(f"the demo's mail sink cannot listen on {host}:{port}: {exc}") from None
    try:
        yield target
    finally:
        controller.stop()


@contextmanager
def sending(config: Config, engine: Engine) -> Iterator[None]:
    """What ``intake run`` does for replies: every few seconds, send those that are due (released)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(SEND_EVERY_SECONDS):
            send_due(config=config, engine=engine)

    thread = threading.Thread(target=loop, name="demo-sending", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _header(value: str | None) -> str:
    return str(make_header(decode_header(value))) if value else ""
