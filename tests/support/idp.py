"""A small OAuth2 / OIDC provider on loopback TLS, standing in for Microsoft Entra and Google.

``IdP(server_cert).start()`` serves, under ``idp.authority`` = ``https://127.0.0.1:PORT/tenant``:
``/.well-known/openid-configuration``, ``/token``, ``/devicecode``, ``/keys`` (empty JWKS) and
``/authorize`` (listed, not served). Grants: ``client_credentials`` (client id + secret, in the form
or HTTP Basic), ``refresh_token`` (rotating: each use returns a new one and kills the old; an old
one → 400 ``invalid_grant``), device code (``/devicecode``, approved at the first poll if
``device_user`` is set, otherwise ``authorization_pending`` until ``approve_device``), and
``jwt-bearer`` (a Google service-account assertion, RS256, ``aud`` = token endpoint).

Access tokens are HS256 JWTs with ``iss``, ``sub``, ``email`` (the mailbox login), ``iat``, ``exp``
— what Dovecot's oauth2 passdb and ``smtp_server.xoauth2_handler`` check with ``idp.key``. There
is deliberately no ``azp`` claim (Dovecot would look for the key under ``keys/<azp>/``).

Traps, found with the real clients:

* MSAL's ``oidc_authority`` must be https with at least one path segment, and the discovery
  ``issuer`` must equal it (or share scheme + host:port) — hence ``/tenant``.
* MSAL only makes an *account* (needed by ``get_accounts`` / ``acquire_token_silent``) when the
  token answer has ``client_info`` or an ``id_token``; the device-code answer carries an id_token
  (``sub``, ``aud`` = client id, ``iss``, ``preferred_username`` = email). Refresh answers carry
  one too, so the new access token is filed under the same account.
* MSAL treats a cached access token with < 5 minutes left as expired: with ``lifetime < 300``
  every ``acquire_token_silent`` refreshes. It also caches errors: a 400 for the same request
  body for 60 s, and a 5xx/429 for 5 s (or Retry-After) per client/scope/refresh token.
* google-auth retries 500/503/504/408/429 (and ``temporarily_unavailable``) 3 times with 1 s, 2 s
  back-off; ``outage = 0`` (drop the connection) fails at once with ``TransportError`` instead.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_plus

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from support.tls import ServerCert

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GRANT_NAMES = {DEVICE_GRANT: "device_code", JWT_GRANT: "jwt_bearer"}


@dataclass(frozen=True)
class JwtKey:
    """What a resource server needs to check the IdP's access tokens."""

    issuer: str
    secret: bytes

    def decode(self, token: str) -> dict:
        """The claims, or ``jwt.InvalidTokenError`` (bad signature, expired, wrong issuer)."""
        return jwt.decode(
            token,
            self.secret,
            algorithms=["HS256"],
            issuer=self.issuer,
            options={"require": ["exp", "email"]},
        )


@dataclass
class Client:
    client_id: str
    client_secret: str | None  # None: a public client (device flow)
    email: str | None = None  # the mailbox app-only (client_credentials) tokens are for


# The app the Graph tests sign in as (client credentials): tokens for the incident mailbox.
GRAPH_APP = Client("graph-app", "graph-app-secret-不審", email="csc-anken@example.jp")


@dataclass
class Grant:
    client_id: str
    email: str  # "" while a device code waits for its user
    scope: str
    user_code: str = ""


@dataclass
class IdP:
    cert: ServerCert
    lifetime: int = 3600  # seconds, both ``expires_in`` and the JWT's ``exp``
    token_mode: str = "valid"  # "valid" | "wrong_key" | "expired": what every new access token is
    outage: int | None = None  # answer every request with this HTTP status; 0 = drop the connection
    device_user: str | None = None  # who "signs in" at the verification page, at the first poll
    counts: Counter = field(default_factory=Counter)  # requests by grant / endpoint, refused ones too
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)  # the currently valid ones
    clients: dict[str, Client] = field(default_factory=dict)
    service_accounts: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.secret = secrets.token_bytes(32)
        self._id_token_secret = secrets.token_bytes(32)  # so an id_token never passes as an access token
        self._devices: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.idp = self  # type: ignore[attr-defined]
        self._server.handle_error = lambda request, address: None  # failed TLS handshakes, resets
        self._server.socket = self.cert.server_context().wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._server.server_address[1]
        self.authority = f"https://127.0.0.1:{self.port}/tenant"
        self.token_endpoint = f"{self.authority}/token"

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> IdP:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> IdP:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- set-up helpers for tests ----------------------------------------------------------
    @property
    def key(self) -> JwtKey:
        return JwtKey(self.authority, self.secret)

    def reset(self) -> None:
        """Controls back to their defaults; counters, refresh tokens and device codes cleared (clients and
        service accounts stay)."""
        self.lifetime, self.token_mode, self.outage, self.device_user = 3600, "valid", None, None
        with self._lock:
            self.counts.clear()
            self.refresh_tokens.clear()
            self._devices.clear()

    @property
    def valid_refresh_tokens(self) -> set[str]:
        with self._lock:
            return set(self.refresh_tokens)

    def add_client(self, email: str | None = None, *, public: bool = False) -> Client:
        client = Client(str(uuid.uuid4()), None if public else secrets.token_urlsafe(24), email)
        self.clients[client.client_id] = client
        return client

    def add_service_account(self, email: str = "intake-reader@example.com") -> dict:
        """Register a service account; returns the JSON key file's content (``info``)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.service_accounts[email] = key.public_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "type": "service_account",
            "project_id": "intake-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem.decode(),
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "token_uri": self.token_endpoint,
        }

    def issue_refresh_token(self, client: Client, email: str, scope: str = "") -> str:
        """A refresh token as if ``email`` had signed in to ``client`` earlier."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.refresh_tokens[token] = Grant(client.client_id, email, scope)
        return token

    def approve_device(self, email: str, user_code: str | None = None) -> None:
        """``email`` signs in at the verification page (for one user code, or all pending)."""
        with self._lock:
            for grant in self._devices.values():
                if user_code in (None, grant.user_code):
                    grant.email = email

    def access_token(self, email: str, lifetime: int | None = None) -> str:
        """An access token for ``email`` as the token endpoint would issue it (honours ``token_mode``)."""
        now = int(time.time())
        exp = now - 60 if self.token_mode == "expired" else now + (lifetime or self.lifetime)
        key = secrets.token_bytes(32) if self.token_mode == "wrong_key" else self.secret
        # issued a little in the past, as Microsoft's and Google's tokens are: Dovecot's clock is the
        # time of its last wake-up, so on a busy machine a token of this very second is "from the future"
        issued = now - 60
        claims = {"iss": self.authority, "sub": _sub(email), "email": email, "iat": issued, "exp": exp}
        return jwt.encode(claims, key, algorithm="HS256")

    # --- the endpoints ---------------------------------------------------------------------
    def discovery(self) -> dict:
        return {
            "issuer": self.authority,
            "authorization_endpoint": f"{self.authority}/authorize",
            "token_endpoint": self.token_endpoint,
            "device_authorization_endpoint": f"{self.authority}/devicecode",
            "jwks_uri": f"{self.authority}/keys",
            "grant_types_supported": ["client_credentials", "refresh_token", DEVICE_GRANT, JWT_GRANT],
        }

    def device_code(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            return 400, _error("invalid_client", "unknown client")
        code, user_code = secrets.token_urlsafe(32), secrets.token_hex(4).upper()
        with self._lock:
            self._devices[code] = Grant(client.client_id, "", form.get("scope", ""), user_code)
        uri = f"{self.authority}/device"
        return 200, {
            "device_code": code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": 900,
            "interval": 1,
            "message": f"To sign in, open {uri} and enter the code {user_code}.",
        }

    def token(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_GRANT:
            return self._jwt_bearer(form.get("assertion", ""))
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        client = self.clients.get(client_id)
        if client is None or client.client_secret != client_secret:
            return 401, _error("invalid_client", "unknown client or wrong secret")
        scope = form.get("scope", "")
        if grant_type == "client_credentials":
            if client.email is None:
                return 400, _error("unauthorized_client", "client has no mailbox")
            return 200, self._answer(Grant(client_id, client.email, scope), refresh=False)
        with self._lock:
            if grant_type == "refresh_token":
                grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if grant is None or grant.client_id != client_id:
                    return 400, _error("invalid_grant", "refresh token unknown, used or revoked")
                return 200, self._answer(Grant(client_id, grant.email, scope or grant.scope), refresh=True)
            if grant_type == DEVICE_GRANT:
                grant = self._devices.get(form.get("device_code", ""))
                if grant is None or grant.client_id != client_id:
                    return 400, _error("expired_token", "device code unknown or used")
                grant.email = grant.email or self.device_user or ""
                if not grant.email:
                    return 400, _error("authorization_pending", "the user has not signed in yet")
                del self._devices[form["device_code"]]
                return 200, self._answer(Grant(client_id, grant.email, grant.scope), refresh=True)
        return 400, _error("unsupported_grant_type", grant_type)

    def _jwt_bearer(self, assertion: str) -> tuple[int, dict]:
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False})["iss"]
            claims = jwt.decode(  # google-auth always sends Google's endpoint as aud, whatever token_uri is
                assertion,
                self.service_accounts[issuer],
                algorithms=["RS256"],
                audience=[self.token_endpoint, GOOGLE_TOKEN_URI],
            )
        except (jwt.InvalidTokenError, KeyError) as exc:
            return 400, _error("invalid_grant", f"bad assertion: {exc!r}")
        return 200, self._answer(
            Grant(issuer, claims.get("sub", issuer), claims.get("scope", "")), refresh=False
        )

    def _answer(self, grant: Grant, *, refresh: bool) -> dict:
        """A token answer; with ``refresh`` (user grants) also a new refresh token and an id_token.
        Called with the lock held when ``refresh``."""
        answer = {
            "token_type": "Bearer",
            "access_token": self.access_token(grant.email),
            "expires_in": self.lifetime,
            "scope": grant.scope,
        }
        if refresh:
            token = secrets.token_urlsafe(32)
            self.refresh_tokens[token] = grant
            now = int(time.time())
            id_claims = {
                "iss": self.authority,
                "sub": _sub(grant.email),
                "oid": _sub(grant.email),
                "aud": grant.client_id,
                "iat": now,
                "exp": now + 3600,
                "email": grant.email,
                "preferred_username": grant.email,
            }
            answer |= {
                "refresh_token": token,
                "id_token": jwt.encode(id_claims, self._id_token_secret, algorithm="HS256"),
            }
        return answer


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        idp: IdP = self.server.idp  # type: ignore[attr-defined]
        path = self.path.split("?")[0].removeprefix("/tenant")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = dict(parse_qsl(body))
        name = {"/token": GRANT_NAMES.get(form.get("grant_type", ""), form.get("grant_type"))}.get(path, path)
        with idp._lock:
            idp.counts[name] += 1
        if idp.outage == 0:
            self.close_connection = True
            return
        if idp.outage:
            return self._send(idp.outage, _error("temporarily_unavailable", "outage"))
        basic = None
        if self.headers.get("Authorization", "").startswith("Basic "):  # MSAL url-quotes both
            user, _, password = base64.b64decode(self.headers["Authorization"][6:]).decode().partition(":")
            basic = (unquote_plus(user), unquote_plus(password))
        if method == "GET" and path == "/.well-known/openid-configuration":
            return self._send(200, idp.discovery())
        if method == "GET" and path == "/keys":
            return self._send(200, {"keys": []})
        if method == "POST" and path in ("/token", "/devicecode"):
            endpoint = idp.token if path == "/token" else idp.device_code
            return self._send(*endpoint(form, basic))
        self._send(404, _error("not_found", path))

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _error(code: str, description: str) -> dict:
    return {"error": code, "error_description": description}


def _sub(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}"))


def trusting_session(ca_file) -> requests.Session:
    """A requests Session that trusts only ``ca_file``. ``trust_env = False`` is essential:
    otherwise ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` in the environment override ``verify``
    (and proxy variables apply). Close it after use (ResourceWarning is an error here)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_file)
    return session
