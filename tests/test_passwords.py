"""Passwords phoned in ahead (intake.cases.expected): the key file, the encrypted table, used once, expiry."""

from __future__ import annotations

import json
import logging
import mailbox
import os
import stat
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import Session, select

from intake.cases import refresh
from intake.cases.expected import (
    PasswordVault,
    aware,
    forget,
    purge_expired,
    try_expected_passwords,
)
from intake.db.tables import AuditEntry, ExpectedPassword, utcnow
from intake.errors import ConfigError
from intake.forms import write_staff_registration
from intake.resources import default_rules_dir
from intake.runner.poller import Poller
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME, encrypt_agile
from support.samples import PEOPLE
from support.unlocking import (
    PASSWORD,
    SENDER,
    WRONG,
    attachment_rows,
    deliver_application,
    encrypted_application,
    new_mailbox,
    poll,
)

RULES = default_rules_dir()


@pytest.fixture
def vault(tmp_path) -> PasswordVault:
    return PasswordVault(tmp_path / "keys" / "intake.key")


def _expect(session, vault, *, sender=SENDER, org=None, password=PASSWORD, ttl_hours=72) -> int:
    expected_id = vault.expect(
        session, sender=sender, org=org, password=password, ttl_hours=ttl_hours, by="staff", rules_dir=RULES
    )
    session.commit()
    return expected_id


def test_key_file_is_created_once_private_and_kept(vault):
    assert not vault.key_file.exists()
    token = vault.seal(SecretStr(PASSWORD))
    assert stat.S_IMODE(vault.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.key_file.parent.stat().st_mode) == 0o700
    key = vault.key_file.read_bytes()
    assert PASSWORD.encode() not in token
    again = PasswordVault(vault.key_file)  # a later process reads the same key, never writes a new one
    assert again.unseal(token).get_secret_value() == PASSWORD
    assert vault.key_file.read_bytes() == key
    assert [p.name for p in vault.key_file.parent.iterdir()] == ["intake.key"]  # no temporary file left


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_file_open_to_others_is_refused_with_a_clear_error(vault, mode):
    vault.seal(SecretStr(PASSWORD))
    os.chmod(vault.key_file, mode)
    with pytest.raises(ConfigError) as caught:
        PasswordVault(vault.key_file).seal(SecretStr(PASSWORD))
    message = str(caught.value)
    assert "storage.key_file" in message and f"{mode:04o}" in message and "chmod 600" in message


def test_key_file_without_a_key_is_refused(vault):
    vault.key_file.parent.mkdir()
    vault.key_file.write_bytes(b"not a key\n")
    os.chmod(vault.key_file, 0o600)
    with pytest.raises(ConfigError, match="does not hold a valid key"):
        vault.seal(SecretStr(PASSWORD))


def test_expect_stores_only_a_token_and_audits_without_the_password(workspace, vault):
    with Session(workspace.engine()) as s:
        expected_id = _expect(s, vault, sender=" Yamada@Example.CO.JP ", org=None)
        row = s.get(ExpectedPassword, expected_id)
        assert row.sender == SENDER
        assert PASSWORD.encode() not in row.token
        assert vault.unseal(row.token).get_secret_value() == PASSWORD
        assert timedelta(hours=71.9) < aware(row.expires_at) - utcnow() < timedelta(hours=72.1)
        (audit,) = s.exec(select(AuditEntry).where(AuditEntry.action == "password_expected")).all()
        assert SENDER in audit.detail and PASSWORD not in audit.detail and audit.by == "staff"


def test_candidates_match_sender_in_any_case_or_organisation_by_key(workspace, vault):
    with Session(workspace.engine()) as s:
        by_sender = _expect(s, vault, sender="YAMADA@example.co.jp")
        by_org = _expect(s, vault, sender=None, org="テスト（株）", password=WRONG)
        _expect(s, vault, sender="other@example.com", password="Unrelated-1")
        found = vault.candidates(s, sender="yamada@EXAMPLE.co.jp", org="テスト株式会社", rules_dir=RULES)
        assert [i for i, _ in found] == [by_sender, by_org]
        assert [p.get_secret_value() for _, p in found] == [PASSWORD, WRONG]
        assert PASSWORD not in repr(found) and PASSWORD not in str(found)
        assert [
            i
            for i, _ in vault.candidates(
                s, sender="someone@example.jp", org="テスト 株式会社", rules_dir=RULES
            )
        ] == [by_org]
        assert vault.candidates(s, sender="someone@example.jp", org=None, rules_dir=RULES) == []


def test_expired_passwords_are_not_candidates_and_are_purged(workspace, vault):
    with Session(workspace.engine()) as s:
        old = _expect(s, vault)
        fresh = _expect(s, vault, password=WRONG)
        s.get(ExpectedPassword, old).expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
        assert [i for i, _ in vault.candidates(s, sender=SENDER, org=None, rules_dir=RULES)] == [fresh]
        assert purge_expired(s) == 1
        s.commit()
        assert [r.id for r in s.exec(select(ExpectedPassword))] == [fresh]
        (audit,) = s.exec(select(AuditEntry).where(AuditEntry.action == "password_expired")).all()
        assert f"expected password {old}" in audit.detail
        assert forget(s, fresh) and not forget(s, fresh)
        s.commit()
        assert s.exec(select(ExpectedPassword)).all() == []


def test_a_token_made_with_another_key_is_ignored(workspace, vault, tmp_path):
    with Session(workspace.engine()) as s:
        _expect(s, PasswordVault(tmp_path / "other.key"))
        assert vault.candidates(s, sender=SENDER, org=None, rules_dir=RULES) == []


def test_empty_password_or_nobody_is_refused(workspace, vault):
    with Session(workspace.engine()) as s:
        with pytest.raises(ValueError, match="empty"):
            _expect(s, vault, password="")
        with pytest.raises(ValueError, match="sender address or an organisation"):
            _expect(s, vault, sender=" ", org=None)


def test_repr_of_vault_and_secret_hide_the_password(vault):
    assert Fernet(Fernet.generate_key())  # the library is there
    secret = vault.unseal(vault.seal(SecretStr(PASSWORD)))
    assert PASSWORD not in repr(secret) and PASSWORD not in str(secret) and PASSWORD not in repr(vault)


def test_try_expected_passwords_tries_each_once_and_deletes_every_one_tried(workspace, caplog):
    """Wrong one first, right one second: both are tried once, the file opens, and both are gone."""
    caplog.set_level(logging.DEBUG)
    path = new_mailbox(workspace)
    deliver_application(path)
    poll(workspace)
    (pending,) = attachment_rows(workspace)
    assert pending.state == "password_pending"
    config = workspace.config()
    vault = PasswordVault(config.storage.key_file)
    with Session(workspace.engine()) as s:
        _expect(s, vault, password=WRONG)
        _expect(s, vault, sender=None, org="テスト株式会社")
        _expect(s, vault, sender="someone-else@example.com", password="Not-For-This-Mail")
        opened = try_expected_passwords(
            s, config=config, attachments={pending.id: None}, sender=SENDER, org="テスト株式会社"
        )
        s.commit()
        assert opened == [pending.id]
        assert [r.sender for r in s.exec(select(ExpectedPassword))] == ["someone-else@example.com"]
        used = s.exec(select(AuditEntry).where(AuditEntry.action == "expected_password_used")).all()
        outcomes = [(json.loads(e.detail)["opened"], json.loads(e.detail)["state"]) for e in used]
        assert outcomes == [(False, "password_pending"), (True, "decrypted")]
        # the file is no longer pending: a further call tries nothing and deletes nothing
        _expect(s, vault)
        assert not try_expected_passwords(
            s, config=config, attachments={pending.id: None}, sender=SENDER, org=None
        )
        assert len(s.exec(select(ExpectedPassword)).all()) == 2
    (opened_row,) = attachment_rows(workspace)
    assert (opened_row.state, opened_row.attempts) == ("decrypted", 2)
    for secret in (PASSWORD, WRONG):
        assert secret not in caplog.text


def test_one_password_phoned_in_opens_every_file_of_its_message(workspace):
    """The 加入申込書 and the 事務従事者登録届 of one mail share a password: both open, then it is gone."""
    path = new_mailbox(workspace)
    staff = encrypt_agile(write_staff_registration("テスト株式会社", PEOPLE), PASSWORD)
    files = [
        (JAPANESE_NAME, encrypted_application(), DOCX_TYPE),
        ("201201_事務従事者登録届（テスト株式会社）.docx", staff, DOCX_TYPE),
    ]
    mailbox.Maildir(path, create=False).add(make_mail(sender=f"山田 <{SENDER}>", attachments=files))
    poll(workspace)
    ids = [a.id for a in attachment_rows(workspace)]
    config = workspace.config()
    with Session(workspace.engine()) as s:
        _expect(s, PasswordVault(config.storage.key_file), sender=None, org="テスト株式会社")
        opened = try_expected_passwords(
            s, config=config, attachments=dict.fromkeys(ids), sender=SENDER, org="テスト株式会社"
        )
        s.commit()
        assert opened == ids and s.exec(select(ExpectedPassword)).all() == []
    assert [(a.state, a.document) for a in attachment_rows(workspace)] == [
        ("decrypted", "application"),
        ("decrypted", "staff_registration"),
    ]


def test_a_message_opened_by_a_password_phoned_in_ahead_is_evaluated_once(workspace, monkeypatch):
    """The password opens the file inside the ingest of its message, and the case's checks run once
    for the whole arrival — not once for the opening and again for the message."""
    path = new_mailbox(workspace)
    config = workspace.config()
    engine = workspace.engine()
    with Session(engine) as s:
        _expect(s, PasswordVault(config.storage.key_file))
    deliver_application(path)
    evaluated = []
    real = refresh.evaluate
    monkeypatch.setattr(refresh, "evaluate", lambda facts, **kw: evaluated.append(facts) or real(facts, **kw))
    report = Poller(config=config, engine=engine).poll(config.mailbox[0])
    assert report.created == 1
    (opened,) = attachment_rows(workspace)
    assert opened.state == "decrypted" and opened.document == "application"
    assert [f.case_id for f in evaluated] == [report.case_ids[0]]
    assert evaluated[0].forms and evaluated[0].forms[0].document == "application"  # after the opening
