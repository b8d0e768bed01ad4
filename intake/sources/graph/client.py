"""A small Microsoft Graph client on plain httpx: what reading and sending mail needs, nothing more.

* Every request carries ``Prefer: IdType="ImmutableId"``: a message keeps its id when a rule or a
  person moves it to another folder of the mailbox, so an id seen once is never mistaken for a new
  message (Graph's default ids change on every move).
* At most :data:`MAX_IN_FLIGHT` requests are open at once per mailbox, however many threads share
  it: Exchange Online throttles a mailbox that has more concurrent requests than that.
* ``429`` and ``503`` are waited out: the ``Retry-After`` Graph gives (seconds or an HTTP date), or
  else an exponential backoff, until ``max_wait`` seconds in all have been spent on one request;
  then :class:`GraphThrottled` — the mailbox shows as throttled, not broken, and the next poll goes on.
* The server certificate is checked against the system's CAs or ``ca_file``; never switched off.

The access token comes from a callable (MSAL's client credentials: :func:`app_token_source`, or
:func:`intake.access.oauth.fetch_token` with the Graph scope). It is sent in the Authorization
header only: never logged, never in an error text, never in a URL.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from intake.config import SmtpConfig
from intake.errors import AuthError, LimitExceeded, SourceError, Throttled

if TYPE_CHECKING:
    from intake.sources.graph.config import GraphMailbox

log = logging.getLogger(__name__)

GRAPH = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
IMMUTABLE_IDS = 'IdType="ImmutableId"'
MAX_IN_FLIGHT = 4
THROTTLED = (429, 503)


class GraphError(SourceError):
    """Graph refused a request; ``status`` and ``code`` are its answer (``ErrorItemNotFound``, …)."""

    def __init__(self, message: str, *, status: int = 0, code: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status, self.code = status, code


class GraphThrottled(GraphError, Throttled):
    """Graph kept answering 429/503 for longer than we wait: the mailbox is throttled, not broken;
    ``retry_after`` is how long Graph last asked us to wait (seconds), if it said."""

    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        super().__init__(message, status=status, code="throttled", hint="wait; Graph asked us to slow down")
        self.retry_after = retry_after


class SyncStateLost(GraphError):
    """Graph no longer knows a delta link (410 ``SyncStateNotFound``): the folder is listed anew."""


@dataclass(frozen=True, kw_only=True)
class GraphSettings:
    base_url: str = GRAPH
    ca_file: Path | None = None  # a private CA (a proxy that inspects TLS); None: the system's CAs
    timeout: float = 60.0
    max_wait: float = 120.0  # seconds spent waiting out throttling, per request, before giving up
    backoff_base: float = 2.0  # first wait when Graph gives no Retry-After; doubles each time


_GATES: dict[str, threading.BoundedSemaphore] = {}
_GATES_LOCK = threading.Lock()


def _gate(mailbox: str) -> threading.BoundedSemaphore:
    """One semaphore per mailbox for the whole process: every client of that mailbox shares it."""
    with _GATES_LOCK:
        return _GATES.setdefault(mailbox.lower(), threading.BoundedSemaphore(MAX_IN_FLIGHT))


class GraphClient:
    """Requests to one mailbox (``/users/{mailbox}``), safe to share between threads."""

    def __init__(
        self,
        *,
        mailbox: str,
        token: Callable[[], SecretStr],
        settings: GraphSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.mailbox = mailbox
        self.settings = settings or GraphSettings()
        self._token, self._sleep = token, sleep
        where = str(self.settings.ca_file) if self.settings.ca_file else None
        verify = ssl.create_default_context(cafile=where)  # None: the system's CAs
        self._http = httpx.Client(verify=verify, timeout=self.settings.timeout, trust_env=False)

    @property
    def user_url(self) -> str:
        return f"{self.settings.base_url}/users/{self.mailbox}"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the verbs used ----------------------------------------------------------------------
    def get_json(self, url: str, *, params: dict | None = None, prefer: str = "") -> dict:
        """A JSON answer; ``url`` is a path under the mailbox or a whole link Graph handed out."""
        with self.request("GET", url, params=params, prefer=prefer) as response:
            response.read()
            return response.json()

    def get_bytes(self, url: str, *, limit: int) -> bytes:
        """A body of at most ``limit`` bytes, read as it comes: :class:`LimitExceeded` past that."""
        with self.request("GET", url) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise LimitExceeded(f"{self.mailbox}: message larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

    def send(self, method: str, url: str, **kwargs) -> httpx.Response:
        """A request whose answer is small (PATCH, POST); the answer, read."""
        with self.request(method, url, **kwargs) as response:
            response.read()
            return response

    @contextmanager
    def request(self, method: str, url: str, *, prefer: str = "", **kwargs) -> Iterator[httpx.Response]:
        """The answer of a successful request, open for streaming; throttling waited out."""
        waited, attempt = 0.0, 0
        while True:
            request = self._build(method, url, prefer, kwargs)  # a fresh token if MSAL renewed it
            with _gate(self.mailbox):
                response = self._http.send(request, stream=True)
                if response.status_code not in THROTTLED:
                    try:
                        _raise_for(response, self.mailbox)
                        yield response
                        return
                    finally:
                        response.close()
                response.read()
                response.close()
            wait = retry_after(response.headers.get("Retry-After"))
            pause = wait if wait is not None else self.settings.backoff_base * 2**attempt
            if waited + pause > self.settings.max_wait:
                raise GraphThrottled(
                    f"{self.mailbox}: throttled by Graph ({response.status_code}); "
                    f"gave up after waiting {waited:.0f}s",
                    status=response.status_code,
                    retry_after=wait,
                )
            log.info("%s: Graph answered %s; waiting %.1fs", self.mailbox, response.status_code, pause)
            self._sleep(pause)  # outside the gate: a throttled request keeps no place in flight
            waited, attempt = waited + pause, attempt + 1

    def _build(self, method: str, url: str, prefer: str, kwargs: dict) -> httpx.Request:
        whole = url if url.startswith("https://") else f"{self.user_url}/{url.lstrip('/')}"
        rest = {k: v for k, v in kwargs.items() if k != "headers"}  # kwargs serve every retry
        headers = dict(kwargs.get("headers") or {})
        headers["Prefer"] = ", ".join(p for p in (IMMUTABLE_IDS, prefer) if p)
        headers["Authorization"] = f"Bearer {self._token().get_secret_value()}"
        return self._http.build_request(method, whole, headers=headers, **rest)


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110); None if absent
    or unreadable (then the caller backs off on its own)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _raise_for(response: httpx.Response, mailbox: str) -> None:
    """A Graph error answer as one of our errors, with Graph's code and words (never the token)."""
    if response.status_code < 400:
        return
    response.read()
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code, words = error.get("code", ""), str(error.get("message", ""))[:300]
    said = f"{mailbox}: Graph answered {response.status_code} {code}: {words}".rstrip(": ")
    if response.status_code in (401, 403):
        raise AuthError(said, hint="check the app's Mail permissions and its Exchange RBAC scope")
    if response.status_code == 410 or code == "SyncStateNotFound":
        raise SyncStateLost(said, status=response.status_code, code=code)
    raise GraphError(said, status=response.status_code, code=code)


class AppToken:
    """An app-only token for Graph by MSAL's client credentials, handed out by calling it; MSAL
    keeps it in memory until it nearly expires. ``expires_at`` is when the one last handed out
    expires (UTC; None before the first, or when the provider does not say)."""

    def __init__(self, app) -> None:
        self._app = app
        self.expires_at: datetime | None = None

    def __call__(self) -> SecretStr:
        result = self._app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        if "access_token" not in result:
            words = (result.get("error_description") or "").splitlines()[:1]
            raise AuthError(f"Graph: the provider refused: {result.get('error')}: {' '.join(words)}")
        if "expires_in" in result:  # from the provider, or what is left of the one MSAL keeps
            self.expires_at = datetime.now(UTC) + timedelta(seconds=int(result["expires_in"]))
        return SecretStr(result["access_token"])


def app_token_source(
    *,
    client_id: str,
    client_secret: SecretStr,
    authority: str,
    ca_file: Path | None = None,
    timeout: float = 30.0,
) -> AppToken:
    """The app's token source (:class:`AppToken`). ``authority`` is
    ``https://login.microsoftonline.com/<tenant>`` or any OpenID issuer; :class:`AuthError` with
    the provider's words if no token."""
    import msal  # loaded only when Graph is used
    import requests

    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE and proxies from the environment do not apply
    session.verify = str(ca_file) if ca_file else True
    where = (
        {"authority": authority} if "login.microsoftonline" in authority else {"oidc_authority": authority}
    )
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=client_secret.get_secret_value(),
        http_client=session,
        timeout=timeout,
        **where,
    )
    return AppToken(app)


def token_for(server: GraphMailbox | SmtpConfig) -> AppToken:
    """The app's token source for a Graph mailbox or ``[smtp] transport = "graph"``: its
    ``oauth`` keys (``authority``, else Microsoft's for ``tenant``), secret, CA and timeout."""
    oauth = server.oauth
    return app_token_source(
        client_id=oauth.client_id,
        client_secret=server.client_secret(),
        authority=oauth.authority or f"https://login.microsoftonline.com/{oauth.tenant}",
        ca_file=server.ca_file,
        timeout=server.timeout,
    )
