"""OAuth2 mailboxes end to end: a real Dovecot whose oauth2 passdb validates JWTs, a real aiosmtpd
with XOAUTH2, and a token endpoint on loopback TLS that MSAL and google-auth really talk to.

Every way of getting a token (command, Microsoft app and device code, Google service account and
refresh token) fetches mail and sends the reply; a refused token shows as ``auth_failing`` with
nothing lost and recovers once tokens are good again; a rotated refresh token is saved sealed and
used next time.
"""

from __future__ import annotations

import json
import sys

import pytest

from intake.access.tokens import TokenStore
from intake.config import load_config
from support.dovecot import Dovecot
from support.mailfactory import make_mail
from support.smtp_server import OAuthRecorder, configure, smtp_server

REPORT = "不審なメールを受信しました。\n添付ファイルは開いていません。\n"


@pytest.fixture(scope="module")
def oauth_dovecot(idp):
    server = Dovecot(oauth2=idp.key).start()
    yield server
    server.stop()


@pytest.fixture
def provider(idp):
    yield idp
    idp.reset()


@pytest.fixture
def sink(idp):
    with smtp_server(OAuthRecorder(key=idp.key), auth_require_tls=False) as server:
        yield server


@pytest.fixture
def account(oauth_dovecot):
    account = oauth_dovecot.add_account()
    account.append(
        [make_mail(sender="報告者 <reporter@corp.example.co.jp>", subject="不審メールの報告", body=REPORT)]
    )
    return account


def _oauth_workspace(workspace, account, sink, ca, auth_lines: str, *, smtp_user: str | None = None):
    """The incident mailbox on the OAuth2 Dovecot, SMTP on the XOAUTH2 sink, both logging in the
    same way (``auth_lines`` is a server's auth = … and its [oauth] keys)."""
    smtp_auth = auth_lines.replace("[oauth]", "[smtp.oauth]")
    configure(
        workspace, port=sink.port, smtp_extra=f'username = "{smtp_user or account.username}"\n{smtp_auth}'
    )
    workspace.mailboxes = [m for m in workspace.mailboxes if 'name = "anken"' not in m]
    workspace.add_imap(
        account,
        name="anken",
        profile="incident",
        prefix="CSC",
        address="csc-anken@example.jp",
        login=auth_lines.replace("[oauth]", "[mailbox.oauth]"),
    )
    workspace.env["REQUESTS_CA_BUNDLE"] = str(ca.cert_file)  # how a private CA of a token endpoint is trusted
    workspace.cli("init")


def _status(workspace) -> dict:
    return {s["name"]: s for s in json.loads(workspace.cli("status", "--json").stdout)["servers"]}


def _msal_refresh_token(store: TokenStore) -> str:
    (token,) = json.loads(store.get("mailbox:anken")["msal"])["RefreshToken"].values()
    return token["secret"]


def _microsoft_app(provider, account, workspace) -> str:
    client = provider.add_client(email=account.username)
    workspace.env["INTAKE_TEST_CLIENT_SECRET"] = client.client_secret
    return f"""auth = "microsoft"
[oauth]
flow = "app"
client_id = "{client.client_id}"
client_secret_env = "INTAKE_TEST_CLIENT_SECRET"
authority = "{provider.authority}"
"""


def test_microsoft_app_tokens_fetch_mail_and_send_the_reply(workspace, provider, sink, account, ca):
    _oauth_workspace(workspace, account, sink, ca, _microsoft_app(provider, account, workspace))
    polled = workspace.cli("poll", "--json")
    assert polled.returncode == 0, polled.stderr
    report = json.loads(polled.stdout)
    assert report["mailboxes"][1]["created"] == 1 and report["replies"]["sent"]
    assert sink.handler.logins == [account.username]
    assert len(sink.handler.received) == 1
    assert provider.counts["client_credentials"] >= 1
    status = _status(workspace)
    assert status["anken"]["auth"] == "microsoft/app" and status["anken"]["state"] == "ok"
    assert status["anken"]["token_expires_at"] is not None
    assert status["smtp"]["state"] == "ok"
    signed = {s["name"]: s for s in json.loads(workspace.cli("auth", "status", "--json").stdout)}
    assert signed["anken"]["auth"] == "microsoft/app" and signed["anken"]["token_expires_at"]
    assert signed["smtp"]["last_success_at"] and signed["kyogikai"]["auth"] == "-"  # a Maildir
    secret = workspace.env["INTAKE_TEST_CLIENT_SECRET"]
    assert secret not in polled.stdout + polled.stderr + workspace.cli("auth", "status").stdout


def test_a_refused_token_is_auth_failing_nothing_is_lost_and_it_recovers(
    workspace, provider, sink, account, ca
):
    _oauth_workspace(workspace, account, sink, ca, _microsoft_app(provider, account, workspace))
    provider.token_mode = "wrong_key"
    failed = workspace.cli("poll")
    assert failed.returncode == 1 and "token refused" in failed.stderr
    status = _status(workspace)
    assert status["anken"]["state"] == "auth_failing" and "token refused" in status["anken"]["last_error"]
    assert "ログインできません" in workspace.cli("queue").stdout
    assert "0 cases" in workspace.cli("queue").stdout
    assert b"$IntakeProcessed" not in b"".join(f for flags in account.flags().values() for f in flags)

    provider.token_mode = "valid"
    assert workspace.cli("poll").returncode == 0
    status = _status(workspace)
    assert status["anken"]["state"] == "ok" and status["smtp"]["state"] == "ok"
    assert "1 cases" in workspace.cli("queue").stdout
    assert len(sink.handler.received) == 1


def test_a_rotated_microsoft_refresh_token_is_saved_sealed_and_used_next_time(
    workspace, provider, sink, account, ca
):
    client = provider.add_client(public=True)
    lines = f"""auth = "microsoft"
[oauth]
flow = "device"
client_id = "{client.client_id}"
authority = "{provider.authority}"
"""
    _oauth_workspace(workspace, account, sink, ca, lines)
    provider.device_user = account.username  # the person signs in at the page the code names
    provider.lifetime = 60  # under MSAL's five minutes: every login refreshes (and rotates)
    signed = workspace.cli("auth", "login", "anken")
    assert signed.returncode == 0, signed.stderr
    assert "code" in signed.stdout.lower() and "signed in" in signed.stdout
    assert workspace.cli("auth", "login", "smtp").returncode == 0

    store = TokenStore.for_config(load_config(workspace.config_file))
    for _ in range(2):  # the second poll succeeds only with the token the first one was handed
        before = _msal_refresh_token(store)
        assert workspace.cli("poll").returncode == 0
        current = _msal_refresh_token(store)
        assert current != before and before not in provider.valid_refresh_tokens
        assert current in provider.valid_refresh_tokens
    assert "1 cases" in workspace.cli("queue").stdout and len(sink.handler.received) == 1

    cache = workspace.root / "storage" / "tokens.enc"
    assert current.encode() not in cache.read_bytes()  # sealed, never in plain text


def test_google_refresh_token_stored_once_is_rotated_and_used(workspace, provider, sink, account, ca):
    client = provider.add_client()
    workspace.env["INTAKE_TEST_CLIENT_SECRET"] = client.client_secret
    lines = f"""auth = "google"
[oauth]
flow = "refresh_token"
client_id = "{client.client_id}"
client_secret_env = "INTAKE_TEST_CLIENT_SECRET"
token_uri = "{provider.token_endpoint}"
"""
    _oauth_workspace(workspace, account, sink, ca, lines)
    refresh = provider.issue_refresh_token(client, account.username)
    assert workspace.cli("auth", "login", "anken", "--stdin", input=refresh + "\n").returncode == 0
    assert (
        workspace.cli(
            "auth",
            "login",
            "smtp",
            "--stdin",
            input=provider.issue_refresh_token(client, account.username) + "\n",
        ).returncode
        == 0
    )
    assert refresh not in provider.valid_refresh_tokens  # the sign-in already used (and rotated) it
    assert workspace.cli("poll").returncode == 0
    assert len(sink.handler.received) == 1
    store = TokenStore.for_config(load_config(workspace.config_file))
    assert store.get("mailbox:anken")["refresh_token"] in provider.valid_refresh_tokens


def test_google_service_account_acts_as_the_mailbox_user(workspace, provider, sink, account, ca, tmp_path):
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(provider.add_service_account()))
    key.chmod(0o600)
    lines = f"""auth = "google"
[oauth]
flow = "service_account"
service_account_file = "{key}"
"""
    _oauth_workspace(workspace, account, sink, ca, lines)
    assert workspace.cli("poll").returncode == 0
    assert provider.counts["jwt_bearer"] >= 2  # IMAP and SMTP
    assert sink.handler.logins == [account.username]
    assert "1 cases" in workspace.cli("queue").stdout


def test_a_token_command_logs_in_and_its_failure_is_said_in_one_line(
    workspace, provider, sink, account, ca, tmp_path
):
    token = tmp_path / "token"
    token.write_text(provider.access_token(account.username))
    script = tmp_path / "print-token"
    script.write_text(
        "import pathlib, sys\n"
        "t = pathlib.Path(sys.argv[1])\n"
        "sys.exit('no token at hand') if not t.exists() else print(t.read_text())\n"
    )
    lines = f'auth = "command"\ntoken_command = ["{sys.executable}", "{script}", "{token}"]\n'
    _oauth_workspace(workspace, account, sink, ca, lines)
    token.unlink()
    failed = workspace.cli("poll")
    assert failed.returncode == 1
    assert "token_command failed (exit 1: no token at hand)" in failed.stderr
    assert _status(workspace)["anken"]["state"] == "auth_failing"

    token.write_text(provider.access_token(account.username))
    assert workspace.cli("poll").returncode == 0
    assert _status(workspace)["anken"]["state"] == "ok"
    assert len(sink.handler.received) == 1
