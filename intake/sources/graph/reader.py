"""Reading a Graph mailbox's folder for the poller: the delta query's rounds, kept in the
``graphsyncstate`` table with the messages they brought.

A poll lists the folder from ``repair_link`` when the last round brought new messages (where
they began; a full listing again after a full one), else from ``delta_link``: the last round's
messages again, and what is new. Those already stored (a message or quarantine entry with their
source ref ``graph:FOLDER:ID``) get their mark if they lack it — intake stopped between the commit
and the mark — and are not handed out again; the rest are downloaded (``$value``, within
``[limits] max_message_mb``: a larger one is left in the mailbox and quarantined, saying so) and
handed to the poller, marked as MIME Exchange regenerated (DKIM is not verified again). The
transaction that stores the round's last message also writes the round's links, so a crash
at any point either repeats a part of the round (its stored messages are skipped) or none of it.

When Graph has forgotten the link the folder is listed in full; what is already stored is skipped
by its source ref, and the pipeline's duplicate check (content hash and Message-ID) keeps cases
unique as after an IMAP folder's UIDVALIDITY change. Ids are immutable ids: a message a rule moved
into another folder keeps its id. A sent folder is read by its delta link alone and never marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
from pydantic import SecretStr
from sqlmodel import Session, col, select

from intake.access.login import Login
from intake.config import Config
from intake.db.tables import GraphSyncState, Message, QuarantineEntry, utcnow
from intake.errors import IntakeError, LimitExceeded, SourceError
from intake.sources.base import MAX_BATCH_BYTES, Fetched
from intake.sources.graph import delta
from intake.sources.graph.client import AppToken, GraphClient, GraphError, GraphSettings, token_for
from intake.sources.graph.config import GraphMailbox

MIB = 1024 * 1024
FULL = "full"  # repair_link after a full listing: the next poll lists the folder in full again


def connect(mailbox: GraphMailbox, token: AppToken | None = None) -> GraphClient:
    """A client of the mailbox with the app's token (MSAL); the secret is read here, when used."""
    token = token or token_for(mailbox)
    settings = GraphSettings(
        base_url=mailbox.graph_url.rstrip("/"),
        ca_file=mailbox.ca_file,
        timeout=mailbox.timeout,
        max_wait=mailbox.throttle_wait_seconds,
    )
    return GraphClient(mailbox=mailbox.user, token=token, settings=settings)


class GraphSource:
    login: Login | None = None  # the app's token last used, once the folder is closed (its expiry is shown)

    def __init__(
        self, *, mailbox: GraphMailbox, config: Config, folder: str | None = None, marks: bool = True
    ) -> None:
        self.mailbox = mailbox
        self.folder = folder or mailbox.folder
        self.marks = marks  # False (the sent folder): the delta link alone records what was read
        self.batch_size = config.imap.batch_size
        self.limit = int(config.limits.max_message_mb * MIB)
        self.client: GraphClient | None = None
        self._token: AppToken | None = None
        self.found = 0
        self._round: delta.DeltaRound | None = None
        self._waiting: set[str] = set()  # ids of the round not yet recorded

    def __enter__(self) -> GraphSource:
        self._token = token_for(self.mailbox)
        self.client = connect(self.mailbox, self._token)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._token is not None and self._token.expires_at is not None:
            # what is shown of the sign-in: when its token expires (the token itself stays MSAL's)
            self.login = Login(
                self.mailbox.user, SecretStr(""), oauth=True, expires_at=self._token.expires_at
            )

    def batches(self, session: Session) -> Iterator[list[Fetched]]:
        client = self._require()
        state = self._state(session)
        start = (state.repair_link or state.delta_link) if self.marks else state.delta_link
        session.commit()  # the database is not held while Graph answers
        with self._talking("listing new messages"):
            found = delta.new_messages(client, self.folder, None if start == FULL else start or None)
        self._round = found
        stored = self._stored(session, [m.id for m in found.messages])
        self._repair(found.messages, stored)
        new = [m for m in found.messages if m.id not in stored]
        self.found, self._waiting = len(new), {m.id for m in new}
        if not new:
            self._advance(session, state)
            session.commit()
            return
        batch: list[Fetched] = []
        for message in new:  # downloaded one by one: a batch is bounded by count and bytes
            with self._talking("downloading a message"):
                batch.append(self._fetched(client, message))
            if len(batch) >= self.batch_size or sum(len(f.raw) for f in batch) >= MAX_BATCH_BYTES:
                yield batch
                batch = []
        if batch:
            yield batch

    def record(self, session: Session, batch: list[Fetched]) -> None:
        self._waiting -= {str(f.key) for f in batch}
        if not self._waiting and self._round is not None:  # the round's last message: its links too
            self._advance(session, self._state(session))

    def mark_processed(self, batch: list[Fetched]) -> None:
        if self.marks:
            self._mark([str(f.key) for f in batch])

    # --- the parts -------------------------------------------------------------------------
    def _state(self, session: Session) -> GraphSyncState:
        found = session.get(GraphSyncState, (self.mailbox.name, self.folder))
        return found or GraphSyncState(mailbox=self.mailbox.name, folder=self.folder)

    def _advance(self, session: Session, state: GraphSyncState) -> None:
        """The round is stored: the next starts at its delta link, or — when it brought new
        messages — where they began (the old delta link; after a full listing, a full listing),
        so that their marks are checked once more."""
        assert self._round is not None
        if not self.found:  # nothing new: the listing marked what the last round left unmarked
            state.repair_link = ""
        else:
            state.repair_link = FULL if self._round.full else state.delta_link
        state.delta_link, state.updated_at = self._round.delta_link, utcnow()
        session.add(state)
        self._round = None

    def _ref(self, message_id: str) -> str:
        return f"graph:{self.folder}:{message_id}"

    def _stored(self, session: Session, ids: list[str]) -> set[str]:
        """The ids among ``ids`` whose message is already kept (stored, or quarantined)."""
        refs = {self._ref(i): i for i in ids}
        found: set[str] = set()
        names = list(refs)
        for part in range(0, len(names), 500):
            chunk = names[part : part + 500]
            for table in (Message, QuarantineEntry):
                query = select(table.source_ref).where(
                    table.mailbox == self.mailbox.name, col(table.source_ref).in_(chunk)
                )
                found |= {refs[ref] for ref in session.exec(query)}
        return found

    def _repair(self, listed: list[delta.GraphMessage], stored: set[str]) -> None:
        """Mark what is stored but not marked (intake stopped between the commit and the mark)."""
        if not self.marks:
            return
        category = self.mailbox.processed_category
        self._mark([m.id for m in listed if m.id in stored and category not in m.categories])

    def _mark(self, ids: list[str]) -> None:
        with self._talking("marking processed messages"):
            for message_id in ids:
                self._mark_one(message_id)

    def _mark_one(self, message_id: str) -> None:
        client = self._require()
        try:
            if self.mailbox.processed_folder:
                delta.move_to(client, message_id, self.mailbox.processed_folder)
            else:
                delta.mark_processed(client, message_id, category=self.mailbox.processed_category)
        except GraphError as exc:
            if exc.status != 404:  # gone meanwhile (deleted by a person): nothing to mark
                raise

    def _fetched(self, client: GraphClient, message: delta.GraphMessage) -> Fetched:
        received = _when(message.received)
        ref = self._ref(message.id)
        try:
            raw = delta.download(client, message.id, limit=self.limit)
        except LimitExceeded as exc:
            note = f"{ref}: not downloaded ({exc})"
            refused = (
                f"the message is larger than [limits] max_message_mb = {self.limit / MIB:g}; "
                "it was left in the mailbox, not downloaded"
            )
            return Fetched(ref=ref, raw=note.encode(), key=message.id, received_at=received, refused=refused)
        return Fetched(ref=ref, raw=raw, key=message.id, received_at=received, regenerated=True)

    @contextmanager
    def _talking(self, action: str) -> Iterator[None]:
        """A failure of the conversation (no connection, TLS, a broken answer) becomes this
        mailbox's SourceError: its poll ends, the others go on; ours pass as they are."""
        try:
            yield
        except IntakeError:
            raise
        except (httpx.HTTPError, OSError, ValueError) as exc:
            raise SourceError(
                f"mailbox {self.mailbox.name}: Graph stopped answering while {action} "
                f"({type(exc).__name__}: {exc}); what was stored is kept, the next poll goes on from there"
            ) from None

    def _require(self) -> GraphClient:
        if self.client is None:
            raise SourceError(f"mailbox {self.mailbox.name}: not connected")
        return self.client


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
