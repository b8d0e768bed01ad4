"""A Microsoft Graph mail stand-in on loopback TLS: the part of Graph intake reads and sends through.

``GraphStandIn(server_cert, key=idp.key).start()`` serves under ``stand_in.base`` =
``https://127.0.0.1:PORT/v1.0``, as Microsoft documents it:

* ``GET  /users/{mbx}/mailFolders/{folder}/messages/delta`` — a full listing first, then only the
  changes since the ``$deltatoken`` of the ``@odata.deltaLink``; pages of ``Prefer:
  odata.maxpagesize`` (default 10) chained by ``@odata.nextLink`` (``$skiptoken``). With
  ``changeType=created`` in the first request, later rounds return only messages new to the folder
  (moved in counts as new there). A forgotten link → ``410`` ``SyncStateNotFound``.
* ``GET  /users/{mbx}/messages/{id}`` — the message's properties; the size is not one of them (Graph
  has none) but ``$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`` gives
  ``PidTagMessageSize``.
* ``GET  /users/{mbx}/messages/{id}/$value`` and ``/mailFolders/{folder}/messages/{id}/$value`` — the
  message's MIME, byte for byte (both paths are documented; the second only finds a message that
  is in that folder).
* ``PATCH /users/{mbx}/messages/{id}`` (``categories``), ``POST .../messages/{id}/move``
  (``destinationId``: a folder id or well-known name), ``GET /users/{mbx}/mailFolders/{folder}``.
* ``POST /users/{mbx}/sendMail`` with ``Content-Type: text/plain`` and the MIME base64-encoded: ``202``,
  and a copy in ``sentitems``; bad base64 → ``400`` as Graph answers.

Every request needs ``Authorization: Bearer`` with a token of the test IdP (checked with its
:class:`~support.idp.JwtKey`) or one of ``accepted_tokens``. Ids are immutable ids only when the
request says ``Prefer: IdType="ImmutableId"``; otherwise they carry the folder, so a move changes
them — as Exchange's default ids do. Every request is recorded (:class:`Seen`, without the token);
``throttle`` answers the next requests with 429/503 (with or without ``Retry-After``), and
``max_in_flight`` is the most requests one mailbox had open at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.idp import JwtKey
from support.tls import ServerCert

IMMUTABLE = 'IdType="ImmutableId"'
SIZE_PROPERTY = "Integer 0x0E08"  # PidTagMessageSize
WELL_KNOWN = ("inbox", "sentitems", "deleteditems", "archive", "drafts")


@dataclass
class Message:
    immutable_id: str
    folder: str
    raw: bytes
    received: datetime
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Seen:
    """One request as the stand-in saw it (the bearer token left out)."""

    method: str
    path: str
    query: str
    prefer: str  # the Prefer header as sent
    status: int
    content_type: str = ""

    @property
    def immutable(self) -> bool:
        """It asked for immutable ids (``Prefer: IdType="ImmutableId"``)."""
        return IMMUTABLE in self.prefer


@dataclass
class Change:
    seq: int
    kind: str  # created | updated | removed
    message_id: str


@dataclass
class Mailbox:
    folders: dict[str, list[Change]] = field(default_factory=lambda: {f: [] for f in WELL_KNOWN})
    messages: dict[str, Message] = field(default_factory=dict)
    in_flight: int = 0


class GraphStandIn:
    def __init__(self, cert: ServerCert, *, key: JwtKey | None = None, accepted_tokens=()) -> None:
        self.cert, self.key, self.accepted_tokens = cert, key, set(accepted_tokens)
        self.mailboxes: dict[str, Mailbox] = {}
        self.seen: list[Seen] = []
        self.sent: list[tuple[str, bytes]] = []
        self.max_in_flight: dict[str, int] = {}
        self.value_delay = 0.0  # seconds each $value answer waits, to let downloads overlap
        self._throttles: list[tuple[int, str | None]] = []
        self._marks_held: threading.Event | None = None  # marking waits until this is set
        self.mark_arrived = threading.Event()  # a marking request is waiting (hold_marks)
        self._seq = 0
        self._generation = 1  # delta links of an older generation are forgotten (410)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None

    # --- setting the scene -----------------------------------------------------------------
    def deliver(self, mailbox: str, raw: bytes, *, folder: str = "inbox") -> str:
        """Put a message in a folder as mail delivery would; returns its immutable id."""
        box = self._box(mailbox)
        message = Message(f"AAkALg{uuid.uuid4().hex}", folder, raw, datetime.now(UTC))
        with self._lock:
            box.messages[message.immutable_id] = message
            self._log(box, folder, "created", message.immutable_id)
        return message.immutable_id

    def move_by_rule(self, mailbox: str, message_id: str, folder: str) -> None:
        """An inbox rule moves the message: it leaves one folder and is new in the other."""
        with self._lock:
            self._move(self._box(mailbox), message_id, folder)

    def hold_marks(self) -> None:
        """Marking requests (PATCH of categories, move) wait, unanswered, until ``release_marks``:
        the moment between the poller's commit and its mark, to kill it in."""
        self.mark_arrived.clear()
        self._marks_held = threading.Event()

    def release_marks(self) -> None:
        if self._marks_held is not None:
            self._marks_held.set()
        self._marks_held = None

    async def _held(self) -> None:
        held = self._marks_held
        if held is not None:
            self.mark_arrived.set()
            await asyncio.to_thread(held.wait, 120)

    def forget_delta_links(self) -> None:
        """Every delta link given out so far is gone (the sync state cache was emptied)."""
        self._generation += 1

    def throttle(self, status: int = 429, *, retry_after: str | None = None, times: int = 1) -> None:
        """The next ``times`` requests are answered ``status`` (with this ``Retry-After``, if any)."""
        self._throttles += [(status, retry_after)] * times

    @staticmethod
    def http_date(seconds_ahead: float) -> str:
        return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_ahead), usegmt=True)

    def folder_of(self, mailbox: str, message_id: str) -> str:
        return self._box(mailbox).messages[message_id].folder

    def in_folder(self, mailbox: str, folder: str) -> list[Message]:
        return [m for m in self._box(mailbox).messages.values() if m.folder == folder]

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> GraphStandIn:
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=0,
            ssl_certfile=str(self.cert.cert_file),
            ssl_keyfile=str(self.cert.key_file),
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            assert time.monotonic() < deadline, "the Graph stand-in did not start"
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base = f"https://127.0.0.1:{port}/v1.0"
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> GraphStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the HTTP side ---------------------------------------------------------------------
    def app(self) -> Starlette:
        messages = "/v1.0/users/{mbx}/messages/{id}"
        routes = [
            Route("/v1.0/users/{mbx}/mailFolders/{folder}/messages/delta", self._delta),
            Route("/v1.0/users/{mbx}/mailFolders/{folder}/messages/{id}/$value", self._value),
            Route("/v1.0/users/{mbx}/mailFolders/{folder}", self._folder),
            Route(messages + "/$value", self._value),
            Route(messages + "/move", self._move_request, methods=["POST"]),
            Route(messages, self._message, methods=["GET", "PATCH"]),
            Route("/v1.0/users/{mbx}/sendMail", self._send_mail, methods=["POST"]),
        ]
        app = Starlette(routes=routes)
        app.add_middleware(_Gate, stand_in=self)  # type: ignore[arg-type]
        return app

    async def _delta(self, request: Request) -> Response:
        box, folder = self._box(request.path_params["mbx"]), request.path_params["folder"].lower()
        query = request.query_params
        token = query.get("$deltatoken") or query.get("$skiptoken")
        if token:
            state = _unpack(token)
            if state["g"] != self._generation:
                return _error(410, "SyncStateNotFound", "The sync state generation was not found.")
        else:
            state = {"g": self._generation, "s": None, "c": query.get("changeType"), "o": 0}
        with self._lock:
            ids, until = self._changes(box, folder, state)
        size = _page_size(request.headers.get("prefer", ""))
        page, offset = ids[state["o"] : state["o"] + size], state["o"] + size
        body: dict = {"value": [self._summary(request, box.messages[i]) for i in page]}
        base = str(request.url).split("?")[0]
        if offset < len(ids):
            body["@odata.nextLink"] = f"{base}?$skiptoken={_pack(state | {'o': offset, 'u': until})}"
        else:
            done = {"g": state["g"], "s": until, "c": state["c"], "o": 0}
            body["@odata.deltaLink"] = f"{base}?$deltatoken={_pack(done)}"
        return JSONResponse(body)

    def _changes(self, box: Mailbox, folder: str, state: dict) -> tuple[list[str], int]:
        """The ids to list for this round (fixed at its first page by ``u``) and where it ends."""
        until = state.get("u", self._seq)
        log = [c for c in box.folders.setdefault(folder, []) if c.seq <= until]
        if state["s"] is None:
            ids = [m.immutable_id for m in box.messages.values() if m.folder == folder]
            return sorted(ids, key=lambda i: box.messages[i].received), until
        wanted = {"created"} if state["c"] == "created" else {"created", "updated"}
        ids = [c.message_id for c in log if c.seq > state["s"] and c.kind in wanted]
        return [i for i in dict.fromkeys(ids) if box.messages[i].folder == folder], until

    async def _message(self, request: Request) -> Response:
        box, message = self._find(request)
        if message is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if request.method == "PATCH":
            await self._held()
            with self._lock:
                message.categories = list((await request.json()).get("categories", message.categories))
                self._log(box, message.folder, "updated", message.immutable_id)
        return JSONResponse(self._summary(request, message, full=True))

    async def _value(self, request: Request) -> Response:
        box, message = self._find(request)
        folder = request.path_params.get("folder")
        if message is None or (folder and _folder_name(folder) != message.folder):
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        await asyncio.sleep(self.value_delay)
        return Response(message.raw, media_type="text/plain")

    async def _move_request(self, request: Request) -> Response:
        box, message = self._find(request)
        if message is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        destination = _folder_name((await request.json()).get("destinationId", ""))
        await self._held()
        with self._lock:
            self._move(box, message.immutable_id, destination)
        return JSONResponse(self._summary(request, message, full=True), status_code=201)

    async def _folder(self, request: Request) -> Response:
        box, name = self._box(request.path_params["mbx"]), _folder_name(request.path_params["folder"])
        if name not in box.folders:
            return _error(404, "ErrorItemNotFound", "The specified folder was not found in the store.")
        count = sum(1 for m in box.messages.values() if m.folder == name)
        return JSONResponse({"id": f"folder-{name}", "displayName": name, "totalItemCount": count})

    async def _send_mail(self, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != "text/plain":
            return _error(400, "ErrorInvalidRequest", "Only the MIME form (text/plain) is served here.")
        try:
            raw = base64.b64decode(await request.body(), validate=True)
        except binascii.Error:
            return _error(
                400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
            )
        mailbox = request.path_params["mbx"].lower()
        self.sent.append((mailbox, raw))
        self.deliver(mailbox, raw, folder="sentitems")
        return Response(status_code=202)

    # --- helpers ---------------------------------------------------------------------------
    def _box(self, mailbox: str) -> Mailbox:
        return self.mailboxes.setdefault(mailbox.lower(), Mailbox())

    def _find(self, request: Request) -> tuple[Mailbox, Message | None]:
        box, given = self._box(request.path_params["mbx"]), request.path_params["id"]
        for message in box.messages.values():
            if given == message.immutable_id and IMMUTABLE in request.headers.get("prefer", ""):
                return box, message
            if given == _rest_id(message):
                return box, message
        return box, None

    def _summary(self, request: Request, message: Message, *, full: bool = False) -> dict:
        immutable = IMMUTABLE in request.headers.get("prefer", "")
        summary = {
            "id": message.immutable_id if immutable else _rest_id(message),
            "receivedDateTime": message.received.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "internetMessageId": _header(message.raw, b"message-id"),
            "parentFolderId": f"folder-{message.folder}",
            "categories": list(message.categories),
        }
        if full and SIZE_PROPERTY in request.query_params.get("$expand", ""):
            size = {"id": SIZE_PROPERTY, "value": str(len(message.raw))}
            summary["singleValueExtendedProperties"] = [size]
        return summary

    def _move(self, box: Mailbox, message_id: str, folder: str) -> None:
        message = box.messages[message_id]
        self._log(box, message.folder, "removed", message_id)
        message.folder = folder
        self._log(box, folder, "created", message_id)

    def _log(self, box: Mailbox, folder: str, kind: str, message_id: str) -> None:
        self._seq += 1
        box.folders.setdefault(folder, []).append(Change(self._seq, kind, message_id))

    def _authorised(self, header: str) -> bool:
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if token and token in self.accepted_tokens:
            return True
        try:
            return bool(token and self.key and self.key.decode(token))
        except jwt.InvalidTokenError:
            return False


class _Gate:
    """Counts what is in flight per mailbox, checks the token, throttles, and records each request."""

    def __init__(self, app, stand_in: GraphStandIn) -> None:
        self.app, self.stand_in = app, stand_in

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        stand_in, request = self.stand_in, Request(scope)
        parts = scope["path"].split("/")
        box = stand_in._box(parts[3] if len(parts) > 3 else "")
        mailbox = parts[3].lower() if len(parts) > 3 else ""
        box.in_flight += 1
        stand_in.max_in_flight[mailbox] = max(stand_in.max_in_flight.get(mailbox, 0), box.in_flight)
        recorded: list[Seen] = []

        def record(status: int) -> None:  # before the answer leaves, so a test never misses it
            recorded.append(
                Seen(
                    method=scope["method"],
                    path=scope["path"],
                    query=scope["query_string"].decode(),
                    prefer=request.headers.get("prefer", ""),
                    status=status,
                    content_type=request.headers.get("content-type", ""),
                )
            )
            stand_in.seen.append(recorded[-1])

        done: list[bool] = []

        def finish() -> None:  # also before the last byte leaves: the client may send again at once
            if not done:
                done.append(True)
                box.in_flight -= 1

        async def noting(message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finish()
            await send(message)

        try:
            refusal = self._refusal(request)
            await (refusal or self.app)(scope, receive, noting)
        finally:
            finish()
            if not recorded:
                record(0)

    def _refusal(self, request: Request) -> Response | None:
        if not self.stand_in._authorised(request.headers.get("authorization", "")):
            return _error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if self.stand_in._throttles:
            status, after = self.stand_in._throttles.pop(0)
            code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
            response = _error(status, code, "Please retry again later.")
            if after is not None:
                response.headers["Retry-After"] = after
            return response
        return None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _rest_id(message: Message) -> str:
    """The default (not immutable) id: it names the folder, so it changes when the message moves."""
    return f"AAMkAD-{message.folder}-{message.immutable_id[6:]}"


def _folder_name(given: str) -> str:
    return given.lower().removeprefix("folder-")


def _page_size(prefer: str) -> int:
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name == "odata.maxpagesize" and value.isdigit():
            return max(int(value), 1)
    return 10


def _pack(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _unpack(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _header(raw: bytes, name: bytes) -> str:
    for line in raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n"):
        if line.lower().startswith(name + b":"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")
    return ""
