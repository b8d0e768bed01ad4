"""Encrypted and signed incident reports through the whole product (issue 18, points 1–2): real
Dovecot, a real SMTP server, a real gpg keyring and S/MIME certificates made here. The report is
decrypted, its 確認①②③ answers read, its signature recorded and shown by ``intake show``; a wrong
key or a bad signature is a staff finding and nothing is lost; replies go encrypted to a reporter
who wrote encrypted (``encrypt_replies``), never in clear when that is required.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from email import message_from_bytes
from email.policy import default

import pytest

from support.conversation import cli_json, delivered, setup
from support.crypto_keys import (
    PASSPHRASE,
    PASSPHRASE_ENV,
    REPORTER,
    add_pgp_signer,
    make_pgp_world,
    make_smime_world,
    pgp_mime,
    pgp_mime_to,
    pgp_signed,
    smime_enveloped,
    smime_signed,
)
from support.desk import add_staff, desk_server
from support.smtp_server import smtp_server

REPORT = (
    "サイバーセキュリティ協議会事務局 御中\n\n株式会社例示の山田です。\n"
    "不審な通信を検知しましたので報告いたします。\n\n"
    "確認①：不要　確認②：協議会構成員限り　確認③：不要\n"
)
STAFF_ONLY_WORDS = ("復号", "署名", "認証")


@pytest.fixture(scope="module")
def world():
    made = make_pgp_world()
    yield made
    made.stop()


def _office(workspace, dovecot, server, world, *, mode="when_possible", smime=None):
    workspace.monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    workspace.env[PASSPHRASE_ENV] = PASSPHRASE
    extra = f'[crypto]\ngnupg_home = "{world.home}"\npassphrase_env = "{PASSPHRASE_ENV}"\nencrypt_replies = "{mode}"\n'
    if smime is not None:
        extra += f'smime_cert = "{smime.cert_file}"\nsmime_key = "{smime.key_file}"\nsmime_ca_file = "{smime.ca_file}"\n'
    incident, _ = setup(workspace, dovecot, smtp_port=server.port, replies_extra=extra)
    return incident


def _reply_text(world, reply) -> str:
    """What the reporter reads: an encrypted reply decrypted with the reporter's own key."""
    if reply.get_content_type() != "multipart/encrypted":
        return reply.get_content()
    opened = world.reporter.decrypt(reply.get_payload()[1].get_payload().encode())
    assert opened.ok, opened.status
    return message_from_bytes(opened.data, policy=default).get_content()


def _poll_one(workspace, incident, raw: bytes) -> dict:
    incident.append([raw])
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    [item] = cli_json(workspace, "queue")
    return cli_json(workspace, "show", item["id"])


def test_pgp_mime_report_is_read_signed_shown_and_answered_encrypted(workspace, dovecot, world):
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world)
        raw = pgp_mime(world, REPORT, sign_with=world.reporter_fpr)
        case = _poll_one(workspace, incident, raw)

        answers = case["fields"]["incident"]
        assert (
            answers["secret_designation"],
            answers["sharing_scope"],
            answers["external_coordination"],
        ) == (
            "not_requested",
            "協議会構成員限り",
            "not_requested",
        )
        [message] = [m for m in case["messages"] if m["direction"] == "in"]
        assert message["security"]["protection"] == "pgp_mime" and message["security"]["decrypted"]
        assert (message["security"]["signature"], message["security"]["signer"]) == ("good", REPORTER)
        assert message["security"]["signer_matches_from"] is True
        shown = workspace.cli("show", case["id"])
        cells = " ".join(shown.stdout.replace("│", " ").split())  # a table cell may wrap onto a second line
        assert "署名 正当 taro.yamada@example.com" in cells

        # the archive keeps the original bytes only
        archived = list((workspace.root / "messages").rglob("*"))
        assert any(p.is_file() and p.read_bytes() == raw for p in archived)
        assert not any(p.is_file() and b"\xe4\xb8\x8d\xe5\xaf\xa9" in p.read_bytes() for p in archived)
        assert hashlib.sha256(raw).hexdigest() in {p.name.split(".")[0] for p in archived}

        [reply] = delivered(server)
        assert reply.get_content_type() == "multipart/encrypted"
        assert "山田".encode() not in reply.as_bytes()
        text = _reply_text(world, reply)
        assert case["id"] in text and "山田" in text  # the reply itself, readable by the reporter only


def test_wrong_key_and_bad_signature_are_staff_findings_and_nothing_is_lost(workspace, dovecot, world):
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world)
        wrong = pgp_mime_to(world, world.reporter, world.reporter_fpr, REPORT)
        case = _poll_one(workspace, incident, wrong)
        assert "message_undecryptable" in case["open_findings"]
        [finding] = [f for f in case["findings"] if f["code"] == "message_undecryptable"]
        assert "encrypted to a key the secretariat does not hold" in finding["message_en"]
        assert finding["severity"] == "warning"
        assert case["messages"][0]["security"]["decrypted"] is False
        for reply in delivered(server):
            assert not any(w in _reply_text(world, reply) for w in STAFF_ONLY_WORDS)

        incident.append([pgp_signed(world, REPORT, tamper=True)])
        assert workspace.cli("poll").returncode == 0
        tampered = [c for c in cli_json(workspace, "queue") if c["id"] != case["id"]]
        shown = cli_json(workspace, "show", tampered[0]["id"])
        assert "signature_bad" in shown["open_findings"]
        assert shown["messages"][0]["security"]["signature"] == "bad"


def test_a_required_encrypted_reply_is_never_sent_in_clear(workspace, dovecot, world):
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world, mode="required")
        raw = pgp_mime(world, REPORT).replace(f"<{REPORTER}>".encode(), b"<hanako@example.com>", 1)
        case = _poll_one(workspace, incident, raw)
        assert case["messages"][0]["security"]["decrypted"]
        assert delivered(server) == []
        [reply] = cli_json(workspace, "outbox")
        assert reply["state"] == "failed" and "not sent in clear" in reply["last_error"]


def test_smime_enveloped_signed_report_is_read(workspace, dovecot, world, tmp_path):
    smime = make_smime_world(tmp_path / "smime")
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world, smime=smime)
        raw = smime_enveloped(
            smime.secretariat_cert, REPORT, signed_by=(smime.reporter_cert, smime.reporter_key)
        )
        case = _poll_one(workspace, incident, raw)
        assert case["fields"]["incident"]["sharing_scope"] == "協議会構成員限り"
        security = case["messages"][0]["security"]
        assert (security["protection"], security["decrypted"], security["signature"]) == (
            "smime",
            True,
            "good",
        )
        assert security["signer"] == REPORTER


def _poll_new(workspace, incident, raw: bytes) -> dict:
    """Deliver ``raw``, poll, and show the case it made (the queue may hold earlier ones)."""
    before = {c["id"] for c in cli_json(workspace, "queue", "--all")}
    incident.append([raw])
    assert workspace.cli("poll").returncode == 0
    [new] = [c for c in cli_json(workspace, "queue", "--all") if c["id"] not in before]
    return cli_json(workspace, "show", new["id"])


def test_a_valid_signature_by_someone_other_than_the_sender_is_a_staff_finding(
    workspace, dovecot, world, tmp_path
):
    smime = make_smime_world(tmp_path / "smime")
    forged_from = "hanako.sato@example.com"
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world, smime=smime)
        pgp = _poll_new(
            workspace, incident, pgp_mime(world, REPORT, sign_with=world.reporter_fpr, sender=forged_from)
        )
        signed = smime_signed(smime.reporter_cert, smime.reporter_key, REPORT, sender=forged_from)
        cms = _poll_new(workspace, incident, signed)
        for case in (pgp, cms):
            security = case["messages"][0]["security"]
            assert (security["signature"], security["signer"]) == ("good", REPORTER)
            assert security["signer_matches_from"] is False
            assert "signer_not_sender" in case["open_findings"]
            [finding] = [f for f in case["findings"] if f["code"] == "signer_not_sender"]
            assert finding["severity"] == "warning"
            for text in (finding["message_ja"], finding["message_en"]):
                assert REPORTER in text and forged_from in text
        shown = " ".join(workspace.cli("show", pgp["id"]).stdout.split())
        assert "署名者が差出人と不一致" in shown and "（差出人と不一致）" in shown
        for reply in delivered(server):  # the sender is never told which check caught them
            text = _reply_text(world, reply)
            assert REPORTER not in text and not any(w in text for w in STAFF_ONLY_WORDS)

    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        page = desk.signed_in().get(f"/cases/{cms['id']}").text
    assert "署名者が差出人と不一致" in page and "（差出人と不一致）" in page
    assert f"署名者（{REPORTER}）が差出人（{forged_from}）と一致しません" in page


def test_a_signer_matches_when_any_address_of_its_key_is_the_sender_in_any_case(
    workspace, dovecot, world, tmp_path
):
    smime = make_smime_world(tmp_path / "smime")
    addresses = ["hanako.sato@example.com", "h.sato@example.jp"]
    two_uids = add_pgp_signer(world, "hanako", addresses)
    cert, key = smime.issue("Hanako Sato", addresses)
    with smtp_server() as server:
        incident = _office(workspace, dovecot, server, world, smime=smime)
        cases = [
            _poll_new(workspace, incident, raw)
            for raw in (
                pgp_signed(world, REPORT, signer=two_uids, sender="H.Sato@Example.JP"),
                smime_signed(cert, key, REPORT, sender="h.SATO@example.jp"),
                pgp_mime(world, REPORT, sign_with=world.reporter_fpr, sender=REPORTER.upper()),
            )
        ]
    for case, signer in zip(cases, ["h.sato@example.jp", "h.sato@example.jp", REPORTER], strict=True):
        security = case["messages"][0]["security"]
        assert (security["signature"], security["signer"]) == ("good", signer)
        assert security["signer_matches_from"] is True
        assert "signer_not_sender" not in case["open_findings"]
        assert not [f for f in case["findings"] if f["code"] == "signer_not_sender"]


def test_doctor_tries_the_keys(workspace, dovecot, world, tmp_path):
    smime = make_smime_world(tmp_path / "smime")
    with smtp_server() as server:
        _office(workspace, dovecot, server, world, smime=smime)
        result = workspace.cli("doctor", "--json")
        rows = {c["area"]: c for c in json.loads(result.stdout)}
        assert rows["PGP key"]["state"] == "ok" and rows["S/MIME key"]["state"] == "ok"

        workspace.env[PASSPHRASE_ENV] = "not-the-passphrase"
        subprocess.run(["gpgconf", "--homedir", str(world.home), "--reload", "gpg-agent"], check=True)
        result = workspace.cli("doctor", "--json")
        rows = {c["area"]: c for c in json.loads(result.stdout)}
    assert result.returncode == 1
    assert rows["PGP key"]["state"] == "fail" and "passphrase_env" in rows["PGP key"]["fix"]
    assert "not-the-passphrase" not in result.stdout + result.stderr
