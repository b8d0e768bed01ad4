"""IMAP folders, read with IMAPClient.

Per folder the database keeps ``(UIDVALIDITY, last UID)``. Only UIDs above the last one are
fetched, with ``BODY.PEEK[]`` (so nothing turns ``\\Seen``), in batches bounded by count and size.
Processed messages get the keyword ``$IntakeProcessed`` — or are moved to ``processed_folder`` —
only after their records are committed. When UIDVALIDITY changes the folder is read again from
the start; the pipeline's duplicate check (Message-ID and content hash) keeps cases unique.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlmodel import Session

from intake.config import MailboxConfig
from intake.db.tables import SourceCursor
from intake.errors import SourceError
from intake.sources.base import Fetched, chunks

PROCESSED = b"$IntakeProcessed"


class ImapSource:
    def __init__(self, *, mailbox: MailboxConfig, batch_size: int = 100) -> None:
        self.mailbox = mailbox
        self.batch_size = batch_size
        self.client: IMAPClient | None = None
        self.uidvalidity = 0

    # -- connection -------------------------------------------------------------------------
    def __enter__(self) -> ImapSource:
        mb = self.mailbox
        where = f"mailbox {mb.name}: {mb.host}:{mb.port}"
        password = mb.password()  # a missing variable is a configuration error, before connecting
        try:
            self.client = IMAPClient(mb.host, port=mb.port, ssl=mb.security == "ssl", timeout=mb.timeout)
            if mb.security == "starttls":
                self.client.starttls(ssl.create_default_context())
            self.client.login(mb.username, password.get_secret_value())
            status = self.client.select_folder(mb.folder)
            if mb.processed_folder and not self.client.folder_exists(mb.processed_folder):
                self.client.create_folder(mb.processed_folder)
        except LoginError:
            self._close()
            raise SourceError(f"{where}: login refused for user {mb.username!r}") from None
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            self._close()
            raise SourceError(f"{where}: cannot connect ({exc.__class__.__name__}: {exc})") from None
        except IMAPClientError as exc:
            self._close()
            raise SourceError(f"{where}: server refused: {_plain(exc)}") from None
        self.uidvalidity = int(status[b"UIDVALIDITY"])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (IMAPClientError, OSError):
                pass
        self._close()

    def _close(self) -> None:
        if self.client is not None:
            try:
                self.client.shutdown()
            except (IMAPClientError, OSError):
                pass
        self.client = None

    # -- reading ----------------------------------------------------------------------------
    def _cursor(self, session: Session) -> SourceCursor:
        cursor = session.get(SourceCursor, (self.mailbox.name, self.mailbox.folder))
        if cursor is None:
            return SourceCursor(
                mailbox=self.mailbox.name, folder=self.mailbox.folder, uidvalidity=self.uidvalidity
            )
        if cursor.uidvalidity != self.uidvalidity:  # the folder was recreated: read it all again
            cursor.uidvalidity, cursor.last_uid = self.uidvalidity, 0
        return cursor

    def batches(self, session: Session) -> Iterator[list[Fetched]]:
        client = self._require()
        last = self._cursor(session).last_uid
        self._repair_marks(last)
        with self._talking("searching for new messages"):
            # `UID SEARCH UID N:*` always answers the highest UID, even when it is below N: filter.
            new = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
            if not new:
                return
            sizes = client.fetch(new, [b"RFC822.SIZE"])
        for uids in chunks(new, lambda uid: int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)), self.batch_size):
            with self._talking("fetching messages"):
                data = client.fetch(uids, [b"BODY.PEEK[]", b"INTERNALDATE"])
            batch = [self._fetched(uid, data[uid]) for uid in uids if uid in data]
            del data  # the batch alone holds the bytes: the poller lets each go once archived
            yield batch

    @contextmanager
    def _talking(self, action: str) -> Iterator[None]:
        """Any failure of the conversation (a dropped connection, a timeout, a refusal) becomes
        this mailbox's SourceError: the poll of this mailbox ends, the others go on."""
        try:
            yield
        except (IMAPClientError, OSError, EOFError) as exc:  # imaplib's abort is an IMAPClientError
            name = exc.__class__.__name__
            raise SourceError(
                f"mailbox {self.mailbox.name}: the server stopped answering while {action} ({name}: "
                f"{_plain(exc)}); what was stored is kept, the next poll goes on from there"
            ) from None

    def _fetched(self, uid: int, item: dict) -> Fetched:
        when = item.get(b"INTERNALDATE")
        if when is not None and when.tzinfo is None:  # IMAPClient gives local time unless told otherwise
            when = when.astimezone()
        ref = f"imap:{self.mailbox.folder}:{self.uidvalidity}:{uid}"
        return Fetched(ref=ref, raw=item[b"BODY[]"], key=uid, received_at=when)

    def record(self, session: Session, batch: list[Fetched]) -> None:
        cursor = self._cursor(session)
        cursor.last_uid = max([cursor.last_uid, *(int(f.key) for f in batch)])
        session.add(cursor)

    def mark_processed(self, batch: list[Fetched]) -> None:
        self._mark([int(f.key) for f in batch])

    def _mark(self, uids: list[int]) -> None:
        if not uids:
            return
        client = self._require()
        with self._talking("marking processed messages"):
            if self.mailbox.processed_folder:
                client.move(uids, self.mailbox.processed_folder)
            else:
                client.add_flags(uids, [PROCESSED], silent=True)

    def _repair_marks(self, last: int) -> None:
        """Mark what was committed but not marked (a crash between commit and mark)."""
        if last <= 0:
            return
        criteria = ["UID", f"1:{last}"]
        if not self.mailbox.processed_folder:
            criteria += ["NOT", "KEYWORD", PROCESSED.decode()]
        with self._talking("looking for messages to mark"):
            unmarked = [uid for uid in self._require().search(criteria) if uid <= last]
        self._mark(unmarked)

    def _require(self) -> IMAPClient:
        if self.client is None:
            raise SourceError(f"mailbox {self.mailbox.name}: not connected")
        return self.client


def _plain(exc: Exception) -> str:
    text = str(exc)
    return text.decode(errors="replace") if isinstance(text, bytes) else text
