"""A mailbox that cannot be fetched shows — at the top of the queue, in `intake status` (with an
exit code for monitoring) and in `intake auth status` — until it recovers (real Dovecot, real SMTP)."""

from __future__ import annotations

import json
import time

from support.mailfactory import numbered_mails
from support.smtp_server import configure, free_port, password_checker, smtp_server


def _status(workspace) -> dict:
    result = workspace.cli("status", "--json")
    return {"code": result.returncode, **json.loads(result.stdout)}


def _server(status: dict, name: str) -> dict:
    return next(s for s in status["servers"] if s["name"] == name)


def test_a_refused_login_shows_as_auth_failing_until_it_recovers(workspace, imap_account):
    imap_account.append(numbered_mails(2))
    workspace.add_imap(imap_account)
    workspace.extra = '[monitoring]\nfailing_minutes = 0\n[replies]\nmode = "off"\n'
    workspace.cli("init")
    workspace.env["INTAKE_TEST_KYOGIKAI_PASSWORD"] = "not-the-password"

    polled = workspace.cli("poll")
    assert polled.returncode == 1
    assert "login refused" in polled.stderr
    status = _status(workspace)
    mailbox = _server(status, "kyogikai")
    assert mailbox["state"] == "auth_failing" and mailbox["last_success_at"] is None
    assert "login refused" in mailbox["last_error"]
    assert status["code"] == 1 and status["alerting"] == ["kyogikai"]
    queue = workspace.cli("queue").stdout
    assert queue.splitlines()[0].startswith("! メールボックス kyogikai: ログインできません（認証エラー）")
    assert "not-the-password" not in queue + json.dumps(status)

    workspace.env["INTAKE_TEST_KYOGIKAI_PASSWORD"] = imap_account.password
    assert workspace.cli("poll").returncode == 0
    mailbox = _server(_status(workspace), "kyogikai")
    assert mailbox["state"] == "ok" and mailbox["last_error"] is None and mailbox["backlog"] == 0
    assert mailbox["last_success_at"] is not None
    queue = workspace.cli("queue")
    assert "メールボックス" not in queue.stdout and "2 件" in queue.stdout
    assert workspace.cli("status").returncode == 0


def test_an_unreachable_server_is_failing_not_auth_failing_and_alerts_only_after_the_grace(
    workspace, imap_account
):
    workspace.add_imap(imap_account, port=free_port())
    workspace.extra = '[replies]\nmode = "off"\n'  # [monitoring] failing_minutes: 30 by default
    workspace.cli("init")
    assert workspace.cli("poll").returncode == 1
    status = _status(workspace)
    mailbox = _server(status, "kyogikai")
    assert mailbox["state"] == "failing" and "cannot connect" in mailbox["last_error"]
    assert status["code"] == 0 and status["alerting"] == []  # failing, but not yet for 30 minutes
    assert "接続できません" in workspace.cli("queue").stdout


def test_a_refused_smtp_login_marks_smtp_auth_failing_and_a_good_one_recovers(workspace):
    with smtp_server(authenticator=password_checker("intake", "right"), auth_require_tls=False) as server:
        configure(
            workspace,
            port=server.port,
            smtp_extra='username = "intake"\npassword_env = "INTAKE_TEST_SMTP"',
            replies_extra="retry_base_seconds = 1",
        )
        workspace.env["INTAKE_TEST_SMTP"] = "wrong"
        workspace.cli("init")
        path = workspace.root / "maildir" / "anken" / "new" / "1.eml"
        path.write_bytes(numbered_mails(1)[0])
        workspace.cli("poll")
        smtp = _server(_status(workspace), "smtp")
        assert smtp["state"] == "auth_failing" and "login refused" in smtp["last_error"]
        assert "wrong" not in smtp["last_error"]

        workspace.env["INTAKE_TEST_SMTP"] = "right"
        deadline = time.monotonic() + 15
        while not server.handler.received and time.monotonic() < deadline:
            time.sleep(0.3)  # the reply waits out its one-second backoff
            workspace.cli("send")
        assert len(server.handler.received) == 1
        assert _server(_status(workspace), "smtp")["state"] == "ok"


def test_a_missing_secret_stops_only_its_mailbox_and_shows_in_status(workspace, imap_account, dovecot):
    other = dovecot.add_account()
    other.append(numbered_mails(1))
    workspace.add_imap(imap_account)
    workspace.add_imap(other, name="anken", profile="incident", prefix="CSC", address="csc-anken@example.jp")
    workspace.extra = '[replies]\nmode = "off"\n'
    workspace.cli("init")
    del workspace.env["INTAKE_TEST_KYOGIKAI_PASSWORD"]
    workspace.monkeypatch.delenv("INTAKE_TEST_KYOGIKAI_PASSWORD")

    polled = workspace.cli("poll")
    assert polled.returncode == 2
    assert "password_env: environment variable INTAKE_TEST_KYOGIKAI_PASSWORD is not set" in polled.stderr
    status = _status(workspace)
    assert _server(status, "anken")["state"] == "ok"  # polled all the same
    assert _server(status, "kyogikai")["state"] == "auth_failing"
    assert "1 件" in workspace.cli("queue").stdout
