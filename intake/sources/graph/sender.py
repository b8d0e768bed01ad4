"""Sending a reply through Graph's ``sendMail`` in MIME form, with the SMTP sender's outcomes.

The message goes as it was built and protected (``intake.replies``): its bytes, base64-encoded, as a
``Content-Type: text/plain`` body (Graph's MIME form of ``sendMail``); Graph answers ``202 Accepted``
and keeps a copy in the mailbox's Sent Items. The answer is classified like an SMTP answer
(:class:`intake.replies.sender.Outcome`), so the outbox handles both alike:

- ``202`` → ``sent``;
- throttled (429/503 beyond the client's wait), any other 5xx, no connection, TLS → ``retry``, and
  the round stops (the service, not this reply, is the problem);
- token or permission refused (401/403) → ``retry`` with ``auth``, the round stops;
- any other 4xx (malformed MIME, too large, unknown recipient mailbox) → ``failed`` at once.
"""

from __future__ import annotations

import base64
import logging

import httpx

from intake.config import SmtpConfig
from intake.errors import AuthError, IntakeError
from intake.replies.outcome import Outcome
from intake.sources.graph.client import (
    GraphClient,
    GraphError,
    GraphSettings,
    GraphThrottled,
    token_for,
)

log = logging.getLogger(__name__)


def send_reply(smtp: SmtpConfig, raw: bytes) -> Outcome:
    """Send one reply as ``[smtp] transport = "graph"`` says: from ``username``, with the app's
    token; a secret that cannot be read is a failure of the round, as a refused login is."""
    try:
        token = token_for(smtp)
    except IntakeError as exc:
        return Outcome(kind="retry", detail=str(exc), stop_round=True, auth=True)
    settings = GraphSettings(base_url=smtp.graph_url.rstrip("/"), ca_file=smtp.ca_file, timeout=smtp.timeout)
    with GraphClient(mailbox=smtp.username, token=token, settings=settings) as client:
        return send_mime(client, raw)


def send_mime(client: GraphClient, raw: bytes) -> Outcome:
    """Send ``raw`` (a whole RFC 5322 message) from the client's mailbox; what happened."""
    body = base64.b64encode(raw)
    try:
        response = client.send("POST", "sendMail", content=body, headers={"Content-Type": "text/plain"})
    except Exception as exc:  # noqa: BLE001 — every failure is classified, as the SMTP sender does
        return classify(exc)
    return Outcome(kind="sent", detail=f"{response.status_code} accepted by Graph")


def classify(exc: BaseException) -> Outcome:
    """Temporary or permanent, and whether Graph as a whole is the problem."""
    if isinstance(exc, GraphThrottled):
        return Outcome(kind="retry", detail=str(exc), stop_round=True)
    if isinstance(exc, AuthError):
        return Outcome(kind="retry", detail=str(exc), stop_round=True, auth=True)
    if isinstance(exc, GraphError):
        permanent = 400 <= exc.status < 500
        return Outcome(kind="failed" if permanent else "retry", detail=str(exc), stop_round=not permanent)
    if isinstance(exc, httpx.TransportError | OSError | TimeoutError):
        return Outcome(kind="retry", detail=f"graph: {type(exc).__name__}: {exc}", stop_round=True)
    log.exception("unexpected error while sending a reply through Graph")
    return Outcome(kind="retry", detail=f"unexpected error: {type(exc).__name__}")
