"""A folder's new messages through Graph's delta query; their original MIME; marking them done.

A poll is one *round* of the delta query: the saved ``@odata.deltaLink`` of the mailbox's folder
(none the first time), followed through every ``@odata.nextLink`` page until Graph hands out the
next ``@odata.deltaLink``, which the caller keeps for the next poll. The first request asks for
``changeType=created``: a message we mark (a category) is *updated*, and must not come back.

When Graph has forgotten the link (``410 SyncStateNotFound``: its sync-state cache is bounded, and a
mailbox move empties it) the folder is listed in full, like an IMAP folder whose UIDVALIDITY
changed: the caller drops what it already has by content hash and Message-ID. Ids are immutable ids
(:mod:`.client`), so a message moved by a rule into a watched folder has the id it had before.

The original message is ``GET /users/{mailbox}/messages/{id}/$value``, taken only after its size
(``PidTagMessageSize``; Graph's message has no size property) is known to be within the limit, and
read with the limit enforced again in case the size was not given. What Graph returns is MIME that
Exchange *regenerated* from its own store, not the bytes that arrived: see
:data:`REGENERATED_BY_EXCHANGE`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from intake.errors import LimitExceeded
from intake.sources.graph.client import GraphClient, SyncStateLost

log = logging.getLogger(__name__)

#: The MIME comes from Exchange's store, rebuilt: headers refolded, parts re-encoded. A DKIM
#: signature over the original bytes generally no longer verifies, so the ingest should rely on the
#: ``Authentication-Results`` our own servers wrote (``[trust] authserv_ids``) rather than verifying
#: DKIM here (:func:`intake.mail.authenticity.authenticate` with ``verify_dkim=False``).
REGENERATED_BY_EXCHANGE = True
PROCESSED_CATEGORY = "intake-processed"
SIZE_PROPERTY = "Integer 0x0E08"  # PidTagMessageSize, the whole message's size in bytes
LISTED = "id,internetMessageId,receivedDateTime,parentFolderId,categories"
PAGE_SIZE = 50


@dataclass(frozen=True, kw_only=True)
class GraphMessage:
    """A message as the delta query listed it."""

    id: str  # the immutable id: stays the same when the message moves within the mailbox
    message_id: str  # the Internet Message-ID, for de-duplication
    received: str  # receivedDateTime as Graph gave it (ISO 8601, UTC)
    categories: tuple[str, ...] = ()  # as listed: a processed message carries ours


@dataclass(frozen=True, kw_only=True)
class DeltaRound:
    messages: list[GraphMessage]
    delta_link: str  # keep it for the next poll of this mailbox and folder
    full: bool  # a full listing (first poll, or Graph had forgotten the link): de-duplicate


def new_messages(
    client: GraphClient, folder: str, delta_link: str | None, *, page_size: int = PAGE_SIZE
) -> DeltaRound:
    """The messages new in ``folder`` since ``delta_link`` (every message if None or forgotten)."""
    if delta_link:
        try:
            messages, link = _follow(client, delta_link, page_size)
            return DeltaRound(messages=messages, delta_link=link, full=False)
        except SyncStateLost:
            log.warning("%s/%s: Graph forgot the delta link; listing the folder anew", client.mailbox, folder)
    first = f"mailFolders/{folder}/messages/delta?changeType=created&$select={LISTED}"
    messages, link = _follow(client, first, page_size)
    return DeltaRound(messages=messages, delta_link=link, full=True)


def _follow(client: GraphClient, url: str, page_size: int) -> tuple[list[GraphMessage], str]:
    """Every page of one round; the round's delta link."""
    found: list[GraphMessage] = []
    while True:
        page = client.get_json(url, prefer=f"odata.maxpagesize={page_size}")
        found += [_listed(item) for item in page.get("value", []) if "@removed" not in item]
        if "@odata.nextLink" in page:
            url = page["@odata.nextLink"]
        elif "@odata.deltaLink" in page:
            return list({m.id: m for m in found}.values()), page["@odata.deltaLink"]
        else:
            raise ValueError("a delta page without nextLink or deltaLink")


def _listed(item: dict) -> GraphMessage:
    return GraphMessage(
        id=item["id"],
        message_id=item.get("internetMessageId") or "",
        received=item.get("receivedDateTime") or "",
        categories=tuple(item.get("categories") or ()),
    )


def probe(client: GraphClient, folder: str) -> dict:
    """The folder as Graph describes it (``id``, ``displayName``, ``totalItemCount``): proves the
    token, the app's permission on this mailbox and the folder's name in one request (for
    ``intake doctor``); :class:`~intake.errors.AuthError` or :class:`GraphError` otherwise."""
    return client.get_json(f"mailFolders/{folder}")


def size_of(client: GraphClient, message_id: str) -> int | None:
    """The message's size in bytes (``PidTagMessageSize``), or None if Graph did not give it."""
    expand = f"singleValueExtendedProperties($filter=id eq '{SIZE_PROPERTY}')"
    found = client.get_json(f"messages/{message_id}", params={"$select": "id", "$expand": expand})
    for prop in found.get("singleValueExtendedProperties") or []:
        if prop.get("id", "").lower() == SIZE_PROPERTY.lower() and str(prop.get("value", "")).isdigit():
            return int(prop["value"])
    return None


def download(client: GraphClient, message_id: str, *, limit: int) -> bytes:
    """The message's MIME, if no larger than ``limit`` bytes; :class:`LimitExceeded` (nothing
    downloaded) when its size says it is larger."""
    size = size_of(client, message_id)
    if size is not None and size > limit:
        raise LimitExceeded(f"{client.mailbox}: message of {size} bytes is over the limit of {limit}")
    return client.get_bytes(f"messages/{message_id}/$value", limit=limit)


def mark_processed(client: GraphClient, message_id: str, *, category: str = PROCESSED_CATEGORY) -> None:
    """Add ``category`` to the message's categories (those it has are kept)."""
    found = client.get_json(f"messages/{message_id}", params={"$select": "categories"})
    categories = list(found.get("categories") or [])
    if category not in categories:
        client.send("PATCH", f"messages/{message_id}", json={"categories": [*categories, category]})


def move_to(client: GraphClient, message_id: str, folder: str) -> str:
    """Move the message to ``folder`` (an id or a well-known name); its id after the move (the
    same immutable id)."""
    response = client.send("POST", f"messages/{message_id}/move", json={"destinationId": folder})
    return response.json()["id"]
