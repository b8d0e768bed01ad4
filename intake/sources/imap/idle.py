"""IMAP IDLE: new mail is polled the moment the server announces it, not at the next interval.

One :class:`IdleWatcher` thread per IMAP mailbox (``idle = true``, the default) keeps its own
connection in IDLE and, on news, runs the same poll as the schedule — the exactly-once poll by
UID, followed by the replies it made due. The scheduled poll stays as the fallback.

The traps this avoids (each seen against Dovecot):

* mail that arrives while not idling is never announced: the watcher polls after every
  wake-up and after every (re)connect, and the poll catches up by UID;
* a server that closed the connection answers ``BYE`` once and then an empty answer at once,
  forever: both are taken as a dead connection, never as a quiet mailbox;
* a silently dead server (frozen, or a NAT that dropped the flow) looks quiet: IDLE is
  re-issued every ``idle_renew_seconds`` (9 minutes by default, under most NAT timeouts), and
  the client's socket timeout makes the ``DONE`` that goes unanswered fail;
* reconnects back off (1 s doubling to 60 s) and log in afresh — with a fresh OAuth2 token.

With several instances on one PostgreSQL database one of them watches each mailbox (its
:class:`~intake.db.locks.Leadership`); the others try to become the watcher every poll interval,
and poll on the schedule meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from intake.access.tokens import TokenStore
from intake.db.locks import Leadership
from intake.errors import IntakeError
from intake.sources.imap.config import ImapMailbox
from intake.sources.imap.reader import connect

log = logging.getLogger(__name__)
SLICE = 1.0  # seconds per idle_check: how soon a stop is noticed
NEWS = {b"EXISTS", b"RECENT"}


class ConnectionLost(Exception):
    """The server said BYE, or the connection answers nothing at once (closed)."""


class IdleWatcher(threading.Thread):
    def __init__(
        self,
        *,
        mailbox: ImapMailbox,
        store: TokenStore,
        on_mail: Callable[[], object],
        stop: threading.Event,
        max_backoff: float = 60.0,
        leader: Leadership | None = None,
        leader_retry: float = 30.0,
    ) -> None:
        super().__init__(name=f"idle-{mailbox.name}", daemon=True)
        self.mailbox = mailbox
        self.store = store
        self.on_mail = on_mail
        self.stop = stop
        self.max_backoff = max_backoff
        self.supported = True
        self.leader = leader  # several instances (PostgreSQL): only the leader watches
        self.leader_retry = leader_retry

    def run(self) -> None:
        delay = 1.0
        try:
            self._watch(delay)
        finally:
            if self.leader is not None:
                self.leader.release()

    def _watch(self, delay: float) -> None:
        while not self.stop.is_set() and self.supported:
            if self.leader is not None and not self.leader.take():  # another instance watches
                self.stop.wait(self.leader_retry)
                continue
            try:
                self._one_connection()
                delay = 1.0
            except IntakeError as exc:  # cannot connect or log in: the poll reports it too
                log.warning("mailbox %s: IDLE waits to reconnect: %s", self.mailbox.name, exc)
            except (ConnectionLost, IMAPClientError, OSError, EOFError) as exc:
                log.warning(
                    "mailbox %s: IDLE connection lost (%s); reconnecting", self.mailbox.name, _said(exc)
                )
                delay = 1.0  # a kick or a restart: come back quickly, the first time
            except Exception:  # a bug must not end the watching for good
                log.exception("mailbox %s: IDLE failed; reconnecting", self.mailbox.name)
            self.stop.wait(delay)
            delay = min(delay * 2, self.max_backoff)

    def _one_connection(self) -> None:
        client, _login = connect(self.mailbox, self.store)
        try:
            if b"IDLE" not in client.capabilities():
                log.info(
                    "mailbox %s: the server offers no IDLE; polled every poll_interval", self.mailbox.name
                )
                self.supported = False
                return
            client.select_folder(self.mailbox.folder, readonly=True)
            self.on_mail()  # whatever came while we were not idling
            while not self.stop.is_set():
                client.idle()
                news = self._wait(client)
                client.idle_done()  # unanswered on a dead server: the socket timeout raises
                if news:
                    self.on_mail()
        finally:
            _close(client)

    def _wait(self, client: IMAPClient) -> bool:
        """Idle until news, the renewal time, or a stop; raises :class:`ConnectionLost`."""
        deadline = time.monotonic() + self.mailbox.idle_renew_seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            asked = min(SLICE, left)
            started = time.monotonic()
            responses = client.idle_check(timeout=asked)
            if any(_is_bye(r) for r in responses):
                raise ConnectionLost("the server said BYE")
            if any(isinstance(r, tuple) and len(r) > 1 and r[1] in NEWS for r in responses):
                return True
            if not responses and time.monotonic() - started < asked / 4:
                raise ConnectionLost("the connection was closed")
        return False


def _is_bye(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def _said(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:200]


def _close(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except (IMAPClientError, OSError):
        pass
