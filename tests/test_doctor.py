"""`intake doctor` finds each misconfiguration and names its fix (real Dovecot, real SMTP, TLS with a
throwaway CA); it changes nothing and exits 1 on any failure."""

from __future__ import annotations

import json

import pytest

from support import postgres
from support.smtp_server import free_port, smtp_server


def _doctor(workspace) -> tuple[int, list[dict]]:
    result = workspace.cli("doctor", "--json")
    return result.returncode, json.loads(result.stdout)


def _failures(checks: list[dict]) -> list[dict]:
    return [c for c in checks if c["state"] == "fail"]


def _healthy(workspace, account, smtp_port: int, **imap) -> None:
    workspace.add_imap(account, **imap)
    workspace.extra = f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\ntimeout = 5\n'
    workspace.cli("init")


def test_a_healthy_installation_passes_every_check(workspace, imap_account):
    with smtp_server() as smtp:
        _healthy(workspace, imap_account, smtp.port)
        code, checks = _doctor(workspace)
    assert code == 0, _failures(checks)
    areas = {c["area"] for c in checks}
    assert {
        "database",
        "key file",
        "token cache",
        "mailbox kyogikai",
        "smtp",
        "LibreOffice",
        "ClamAV",
    } <= areas
    assert any("logged in with a password" in c["detail"] for c in checks)
    assert any(c["detail"].startswith("clock:") for c in checks)
    [clamav] = [c for c in checks if c["area"] == "ClamAV"]
    assert clamav["state"] == "ok" and clamav["detail"].startswith("off ")  # scanning not configured


def test_doctor_asks_clamd_for_its_version_when_scanning_is_on(workspace, imap_account, clamd):
    with smtp_server() as smtp:
        _healthy(workspace, imap_account, smtp.port)
        workspace.extra += clamd.scan_section
        code, checks = _doctor(workspace)
    assert code == 0, _failures(checks)
    [clamav] = [c for c in checks if c["area"] == "ClamAV"]
    assert clamav["state"] == "ok" and clamav["detail"].startswith(f"clamd at {clamd.socket}: ClamAV ")


def _wrong_password(workspace, account) -> None:
    workspace.env["INTAKE_TEST_KYOGIKAI_PASSWORD"] = "not-the-password"


def _wrong_host(workspace, account) -> None:
    plain_elsewhere = 'host = "imap.invalid"\nallow_plaintext = true'
    workspace.mailboxes[-1] = workspace.mailboxes[-1].replace('host = "127.0.0.1"', plain_elsewhere)


def _closed_port(workspace, account) -> None:
    workspace.mailboxes[-1] = workspace.mailboxes[-1].replace(
        f"port = {account.port}", f"port = {free_port()}"
    )


def _missing_folder(workspace, account) -> None:
    workspace.mailboxes[-1] = workspace.mailboxes[-1].replace('folder = "INBOX"', 'folder = "受付"')


def _open_key_file(workspace, account) -> None:
    key = workspace.root / "storage" / "intake.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("not a key\n")
    key.chmod(0o644)


def _clamd_down(workspace, account) -> None:
    workspace.extra += f'[scan]\nclamd_socket = "{workspace.root / "clamd.sock"}"\n'


def _unmigrated_database(workspace, account) -> None:
    workspace.database = postgres.database_url(workspace.root / "fresh")  # a new, empty database


CASES = [
    (
        _wrong_password,
        "mailbox kyogikai",
        "login refused",
        "check username and the password in $INTAKE_TEST_KYOGIKAI_PASSWORD",
    ),
    (
        _wrong_host,
        "mailbox kyogikai",
        "cannot connect",
        "check host: 'imap.invalid' is not a name this machine can resolve",
    ),
    (
        _closed_port,
        "mailbox kyogikai",
        "cannot connect",
        "check host and port: nothing listens on 127.0.0.1:",
    ),
    (
        _missing_folder,
        "mailbox kyogikai",
        "no folder '受付'",
        "create '受付' on the server, or set folder to one of: INBOX",
    ),
    (_open_key_file, "key file", "open to other users (mode 0644)", "chmod 600 "),
    (_unmigrated_database, "database", "schema none", "run: intake init"),
    (_clamd_down, "ClamAV", "cannot be reached", "start clamd (systemctl start clamav-daemon)"),
]


@pytest.mark.parametrize(("break_it", "area", "said", "fix"), CASES, ids=[c[0].__name__[1:] for c in CASES])
def test_each_misconfiguration_is_found_with_its_fix(workspace, imap_account, break_it, area, said, fix):
    with smtp_server() as smtp:
        _healthy(workspace, imap_account, smtp.port)
        break_it(workspace, imap_account)
        code, checks = _doctor(workspace)
    failures = _failures(checks)
    assert code == 1
    assert [(c["area"]) for c in failures] == [area]
    assert said in failures[0]["detail"]
    assert failures[0]["fix"].startswith(fix)
    assert "not-the-password" not in json.dumps(checks)


def test_an_untrusted_certificate_is_found_with_the_ca_file_fix(workspace, tmp_path):
    from support.dovecot import Dovecot
    from support.tls import make_ca

    ca, stranger = make_ca(tmp_path / "ca"), make_ca(tmp_path / "other", name="Another CA")
    server = Dovecot(tls=ca.issue(tmp_path / "cert")).start()
    try:
        with smtp_server() as smtp:
            extra = f'ca_file = "{stranger.cert_file}"'  # a CA, but not the one that signed the server's
            _healthy(
                workspace, server.add_account(), smtp.port, port=server.tls_port, security="tls", extra=extra
            )
            code, checks = _doctor(workspace)
    finally:
        server.stop()
    (failure,) = _failures(checks)
    assert code == 1 and failure["area"] == "mailbox kyogikai"
    assert "is not trusted" in failure["detail"]
    assert (
        failure["fix"]
        == "set mailbox 'kyogikai': ca_file to the certificate of the CA that signed the server's"
    )
