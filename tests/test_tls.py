"""Verified TLS to IMAP and SMTP with a throwaway CA: a good chain passes (implicit TLS and
STARTTLS), a wrong host name or an untrusted CA is refused with one clear line naming the fix."""

from __future__ import annotations

import json

import pytest

from support.dovecot import Dovecot
from support.mailfactory import numbered_mails
from support.smtp_server import configure, smtp_server
from support.tls import make_ca


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def certs(ca, tmp_path_factory):
    folder = tmp_path_factory.mktemp("certs")
    return {"good": ca.issue(folder), "wrong_host": ca.issue(folder, hosts=("other.example.com",))}


@pytest.fixture(scope="module")
def tls_dovecot(certs):
    server = Dovecot(tls=certs["good"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def wrong_host_dovecot(certs):
    server = Dovecot(tls=certs["wrong_host"]).start()
    yield server
    server.stop()


def _poll(workspace, account, port: int, security: str, ca_file) -> tuple[int, str]:
    extra = f'ca_file = "{ca_file}"' if ca_file else ""
    workspace.add_imap(account, port=port, security=security, extra=extra)
    workspace.extra = '[replies]\nmode = "off"\n'
    workspace.cli("init")
    result = workspace.cli("poll", "--json")
    return result.returncode, result.stderr


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_from_the_configured_ca_is_trusted(workspace, tls_dovecot, ca, security):
    account = tls_dovecot.add_account()
    account.append(numbered_mails(2))
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    code, stderr = _poll(workspace, account, port, security, ca.cert_file)
    assert code == 0, stderr
    assert "2 件" in workspace.cli("queue").stdout


def test_an_untrusted_ca_is_refused_naming_ca_file(workspace, tls_dovecot):
    account = tls_dovecot.add_account()
    account.append(numbered_mails(1))
    code, stderr = _poll(workspace, account, tls_dovecot.tls_port, "tls", None)
    assert code == 1
    (line,) = stderr.strip().splitlines()
    assert f"the certificate of 127.0.0.1:{tls_dovecot.tls_port} is not trusted" in line
    assert "set mailbox 'kyogikai': ca_file to that CA's certificate" in line
    assert "0 件" in workspace.cli("queue").stdout


def test_a_certificate_for_another_host_is_refused(workspace, wrong_host_dovecot, ca):
    account = wrong_host_dovecot.add_account()
    code, stderr = _poll(workspace, account, wrong_host_dovecot.port, "starttls", ca.cert_file)
    assert code == 1
    assert "is not for '127.0.0.1'" in stderr and "set host to a name the certificate carries" in stderr


@pytest.mark.parametrize("implicit", [True, False], ids=["smtps", "starttls"])
def test_replies_go_over_verified_tls_and_an_untrusted_server_is_said(workspace, certs, ca, implicit):
    security = "tls" if implicit else "starttls"
    with smtp_server(tls=certs["good"], implicit=implicit) as server:
        configure(workspace, port=server.port, security=security, smtp_extra=f'ca_file = "{ca.cert_file}"')
        workspace.cli("init")
        (workspace.root / "maildir" / "anken" / "new" / "1.eml").write_bytes(numbered_mails(1)[0])
        assert workspace.cli("poll").returncode == 0
        assert len(server.handler.received) == 1

    with smtp_server(tls=certs["wrong_host"], implicit=implicit) as server:
        workspace.extra = workspace.extra.replace(f"port = {_port(workspace)}", f"port = {server.port}")
        (workspace.root / "maildir" / "anken" / "new" / "2.eml").write_bytes(numbered_mails(2)[1])
        workspace.cli("poll")
        assert server.handler.received == []
    smtp = next(
        s for s in json.loads(workspace.cli("status", "--json").stdout)["servers"] if s["name"] == "smtp"
    )
    assert smtp["state"] == "failing" and "is not for '127.0.0.1'" in smtp["last_error"]


def _port(workspace) -> int:
    line = next(x for x in workspace.extra.splitlines() if x.startswith("port = "))
    return int(line.split("=")[1])
