"""The test servers themselves, proved with the real client libraries: the throwaway CA, the OAuth2
IdP (MSAL, google-auth), Dovecot with TLS + OAuth2 (imapclient), aiosmtpd with XOAUTH2 (aiosmtplib)."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from email.message import EmailMessage

import aiosmtplib
import google.auth.transport.requests
import msal
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2 import credentials as google_credentials
from google.oauth2 import service_account
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from support.dovecot import Dovecot
from support.idp import IdP, trusting_session
from support.smtp_server import OAuthRecorder, closing_cleanly, smtp_server
from support.tls import make_ca

MAILBOX = "kyogikai-shomu@example.jp"
OTHER = "csc-anken@example.jp"
OUTLOOK_IMAP = ["https://outlook.office.com/IMAP.AccessAsUser.All"]
GMAIL = ["https://mail.google.com/"]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))  # under pytest's 0700 folder, as Dovecot sees it


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("other-ca"), name="Unrelated CA")


@pytest.fixture(scope="module")
def idp_server(ca, tmp_path_factory):
    with IdP(ca.issue(tmp_path_factory.mktemp("idp"))) as server:
        yield server


@pytest.fixture
def idp(idp_server):
    """The module's IdP with its controls back at their defaults."""
    idp_server.reset()
    return idp_server


@pytest.fixture(scope="module")
def secure_dovecot(ca, idp_server, tmp_path_factory):
    server = Dovecot(tls=ca.issue(tmp_path_factory.mktemp("imap")), oauth2=idp_server.key).start()
    yield server
    server.stop()


@pytest.fixture
def session(ca):
    with trusting_session(ca.cert_file) as s:
        yield s


def imap(dovecot: Dovecot, ctx: ssl.SSLContext | None = None, timeout: float = 10) -> IMAPClient:
    """IMAPS when given a context, plain otherwise."""
    if ctx is None:
        return IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=timeout)
    return IMAPClient("127.0.0.1", port=dovecot.tls_port, ssl=True, ssl_context=ctx, timeout=timeout)


def claims(idp: IdP, token: str) -> dict:
    return idp.key.decode(token)


# --- TLS -------------------------------------------------------------------------------------------


def test_imaps_and_starttls_verify_against_the_throwaway_ca(secure_dovecot, ca):
    account = secure_dovecot.add_account()
    with imap(secure_dovecot, ca.client_context()) as client:
        client.login(account.username, account.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    with imap(secure_dovecot) as client:
        assert b"STARTTLS" in client.capabilities()
        client.starttls(ca.client_context())
        client.login(account.username, account.password)
    account.append([b"Subject: hello\r\n\r\nbody\r\n"])  # the plain-port helpers still work
    assert len(account.flags()) == 1


def test_wrong_host_name_and_untrusted_ca_are_refused(secure_dovecot, ca, other_ca, tmp_path):
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        imap(secure_dovecot, other_ca.client_context())
    wrong = Dovecot(tls=ca.issue(tmp_path, hosts=("other.example.com",))).start()
    try:
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            imap(wrong, ca.client_context())
    finally:
        wrong.stop()


# --- Dovecot: OAuth2, kick, freeze -----------------------------------------------------------------


def test_dovecot_accepts_the_idps_token_and_refuses_bad_ones_quickly(secure_dovecot, idp):
    good = idp.access_token(MAILBOX)
    with imap(secure_dovecot) as client:
        client.oauth2_login(MAILBOX, good)  # any address: static userdb behind the oauth2 passdb
    with imap(secure_dovecot) as client:
        client.oauthbearer_login(MAILBOX, good)
    idp.token_mode = "expired"
    expired = idp.access_token(MAILBOX)
    idp.token_mode = "wrong_key"
    forged = idp.access_token(MAILBOX)
    started = time.monotonic()
    for user, token in [(MAILBOX, expired), (MAILBOX, forged), (OTHER, good), (MAILBOX, "not-a-jwt")] * 2:
        with imap(secure_dovecot) as client, pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
            client.oauth2_login(user, token)
    assert time.monotonic() - started < 8  # ~0.5 s each; with anvil's penalty it would be 2–15 s each
    with imap(secure_dovecot) as client:
        client.oauth2_login(MAILBOX, good)  # still welcome after all those failures


def test_xoauth2_over_imaps(secure_dovecot, idp, ca):
    account = secure_dovecot.add_account()  # a passwd-file account may use a token too
    with imap(secure_dovecot, ca.client_context()) as client:
        client.oauth2_login(account.username, idp.access_token(account.username))
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_kick_ends_the_session_with_bye(dovecot):
    account = dovecot.add_account()
    client = account.client()
    client.idle()
    dovecot.kick(account.username)
    assert client.idle_check(timeout=5)[0][0] == b"BYE"
    client.shutdown()


@pytest.mark.parametrize("tls", [False, True])
def test_freeze_silences_a_connected_client_while_new_connections_work(secure_dovecot, ca, tls):
    account = secure_dovecot.add_account()
    ctx = ca.client_context() if tls else None
    frozen = imap(secure_dovecot, ctx, timeout=1)
    frozen.login(account.username, account.password)
    frozen.select_folder("INBOX")
    assert secure_dovecot.freeze(account.username)
    try:
        with pytest.raises(TimeoutError):
            frozen.noop()
        with imap(secure_dovecot, ctx) as fresh:
            fresh.login(account.username, account.password)
            assert fresh.select_folder("INBOX")[b"EXISTS"] == 0
    finally:
        secure_dovecot.thaw()
        frozen.shutdown()


# --- SMTP XOAUTH2 ----------------------------------------------------------------------------------


def smtp_login_and_send(port: int, user: str, token: str, **tls) -> None:
    async def run():
        async with closing_cleanly(
            aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10, **tls)
        ) as smtp:
            await smtp.auth_xoauth2(user, token)
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = user, OTHER, "test"
            message.set_content("本文です。")
            await smtp.send_message(message)

    asyncio.run(run())


def test_smtp_xoauth2_accepts_the_idps_token_and_refuses_others(idp):
    handler = OAuthRecorder(key=idp.key)
    with smtp_server(handler, auth_require_tls=False) as server:
        smtp_login_and_send(server.port, MAILBOX, idp.access_token(MAILBOX), start_tls=False)
        idp.token_mode = "expired"
        for user, token in [(MAILBOX, idp.access_token(MAILBOX)), (OTHER, idp.access_token(MAILBOX))]:
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
                smtp_login_and_send(server.port, user, token, start_tls=False)
            assert refused.value.code == 535
    assert handler.logins == [MAILBOX] and len(handler.received) == 1
    assert "ExpiredSignatureError" in handler.refusals[0]


@pytest.mark.parametrize("implicit", [False, True])
def test_smtp_xoauth2_over_starttls_and_implicit_tls(idp, ca, implicit):
    handler = OAuthRecorder(key=idp.key)
    with smtp_server(handler, tls=idp.cert, implicit=implicit) as server:
        tls = {"use_tls": True} if implicit else {"start_tls": True}
        smtp_login_and_send(
            server.port, MAILBOX, idp.access_token(MAILBOX), tls_context=ca.client_context(), **tls
        )
    assert handler.logins == [MAILBOX]


# --- MSAL ------------------------------------------------------------------------------------------


def test_msal_client_credentials_token_opens_the_mailbox(idp, session, secure_dovecot):
    client = idp.add_client(email=MAILBOX)
    app = msal.ConfidentialClientApplication(
        client.client_id,
        client_credential=client.client_secret,
        oidc_authority=idp.authority,
        http_client=session,
    )
    result = app.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    assert claims(idp, result["access_token"])["email"] == MAILBOX
    assert (
        app.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])["token_source"]
        == "cache"
    )
    assert idp.counts["client_credentials"] == 1 and idp.counts["/.well-known/openid-configuration"] == 1
    with imap(secure_dovecot) as imap_client:
        imap_client.oauth2_login(MAILBOX, result["access_token"])


def test_how_msal_can_trust_the_test_ca(idp, ca, other_ca, monkeypatch):
    """Session(trust_env=False, verify=ca) as http_client works whatever the environment says; a
    default Session's verify is overridden by REQUESTS_CA_BUNDLE; MSAL's own ``verify=`` likewise."""
    client = idp.add_client(email=MAILBOX)

    def token(**kwargs):
        app = msal.ConfidentialClientApplication(
            client.client_id, client_credential=client.client_secret, oidc_authority=idp.authority, **kwargs
        )
        try:
            return app.acquire_token_for_client(scopes=["api://intake/.default"])
        finally:
            app.http_client.close()

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca.cert_file))  # e.g. a corporate bundle
    with trusting_session(ca.cert_file) as session:
        assert "access_token" in token(http_client=session)
    with requests.Session() as naive, pytest.raises(requests.exceptions.SSLError):
        naive.verify = str(ca.cert_file)
        token(http_client=naive)
    with pytest.raises(requests.exceptions.SSLError):
        token(verify=str(ca.cert_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.cert_file))
    assert "access_token" in token()  # the environment alone also works
    assert "access_token" in token(verify=str(ca.cert_file))


def test_msal_device_flow_makes_an_account_and_silent_refresh_rotates_the_cached_token(idp, session):
    idp.lifetime = 120  # < 5 min: MSAL deems the cached access token stale and refreshes
    client = idp.add_client(public=True)
    cache = msal.SerializableTokenCache()
    app = msal.PublicClientApplication(
        client.client_id, oidc_authority=idp.authority, http_client=session, token_cache=cache
    )
    flow = app.initiate_device_flow(scopes=OUTLOOK_IMAP)
    assert flow["user_code"] in flow["message"]
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)  # one poll
    assert pending["error"] == "authorization_pending"
    idp.approve_device(MAILBOX, flow["user_code"])
    result = app.acquire_token_by_device_flow(flow)
    assert claims(idp, result["access_token"])["email"] == MAILBOX
    assert result["id_token_claims"]["preferred_username"] == MAILBOX
    [account] = app.get_accounts()
    assert account["username"] == MAILBOX
    first_rt = cached_refresh_tokens(cache)
    assert first_rt == idp.valid_refresh_tokens and len(first_rt) == 1

    again = app.acquire_token_silent(OUTLOOK_IMAP, account=account)
    assert again["token_source"] == "identity_provider" and idp.counts["refresh_token"] == 1
    assert cache.has_state_changed  # save the cache now, or the new token is lost (serialize() resets this)
    assert cached_refresh_tokens(cache) == idp.valid_refresh_tokens != first_rt

    idp.refresh_tokens.clear()  # revoked (or the saved cache was stale)
    failed = app.acquire_token_silent_with_error(OUTLOOK_IMAP, account=account)
    assert failed["error"] == "invalid_grant"


def cached_refresh_tokens(cache: msal.SerializableTokenCache) -> set[str]:
    return {rt["secret"] for rt in json.loads(cache.serialize())["RefreshToken"].values()}


def test_msal_raises_on_an_outage_and_throttles_the_retry(idp, session):
    client = idp.add_client(email=MAILBOX)
    app = msal.ConfidentialClientApplication(
        client.client_id,
        client_credential=client.client_secret,
        oidc_authority=idp.authority,
        http_client=session,
    )  # discovery happens here, before the outage
    idp.outage = 503
    for _ in range(2):
        with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
            app.acquire_token_for_client(scopes=["api://intake/.default"])
    assert idp.counts["client_credentials"] == 1  # the second answer came from MSAL's 5 s throttle
    idp.outage = 0
    with pytest.raises(requests.exceptions.ConnectionError):
        app.acquire_token_for_client(scopes=["api://other/.default"])


# --- google-auth -----------------------------------------------------------------------------------


def test_google_refresh_picks_up_the_rotated_refresh_token(idp, session, secure_dovecot):
    client = idp.add_client()
    first = idp.issue_refresh_token(client, MAILBOX, scope=GMAIL[0])
    creds = google_credentials.Credentials(
        token=None,
        refresh_token=first,
        token_uri=idp.token_endpoint,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=GMAIL,
    )
    creds.refresh(google.auth.transport.requests.Request(session))
    assert creds.valid and creds.refresh_token != first and idp.valid_refresh_tokens == {creds.refresh_token}
    with imap(secure_dovecot) as imap_client:
        imap_client.oauth2_login(MAILBOX, creds.token)
    stale = google_credentials.Credentials(
        None,
        refresh_token=first,
        token_uri=idp.token_endpoint,
        client_id=client.client_id,
        client_secret=client.client_secret,
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        stale.refresh(google.auth.transport.requests.Request(session))


def test_google_service_account_with_subject_gets_a_token_for_the_user(idp, session, secure_dovecot):
    info = idp.add_service_account()
    creds = service_account.Credentials.from_service_account_info(info, scopes=GMAIL, subject=MAILBOX)
    creds.refresh(google.auth.transport.requests.Request(session))
    assert claims(idp, creds.token)["email"] == MAILBOX and idp.counts["jwt_bearer"] == 1
    with imap(secure_dovecot) as imap_client:
        imap_client.oauth2_login(MAILBOX, creds.token)
    unknown = dict(info, client_email="stranger@example.com")
    with pytest.raises(RefreshError, match="invalid_grant"):
        service_account.Credentials.from_service_account_info(unknown, scopes=GMAIL, subject=MAILBOX).refresh(
            google.auth.transport.requests.Request(session)
        )


def test_google_outage_drop_fails_at_once(idp, session):
    client = idp.add_client()
    creds = google_credentials.Credentials(
        None,
        refresh_token=idp.issue_refresh_token(client, MAILBOX),
        token_uri=idp.token_endpoint,
        client_id=client.client_id,
        client_secret=client.client_secret,
    )
    idp.outage = 0
    started = time.monotonic()
    with pytest.raises(google.auth.exceptions.TransportError):
        creds.refresh(google.auth.transport.requests.Request(session))
    assert time.monotonic() - started < 2 and idp.counts["refresh_token"] == 1
