"""Encrypted and signed incident reports opened with real keys made here: a real gpg keyring
(PGP/MIME, inline PGP) and S/MIME certificates made with ``cryptography`` (issue 18, points 1–2).

Japanese terms: 確認①②③ the three questions an incident report answers (secret designation,
sharing scope, coordination outside the secretariat).
"""

from __future__ import annotations

import subprocess

import pytest

from intake.mail import parse_message
from intake.mail.crypto import Keys, PgpKeys, SmimeKeys, open_protected
from support.crypto_keys import (
    PASSPHRASE,
    REPORTER,
    add_pgp_signer,
    inline_pgp,
    make_pgp_world,
    make_smime_world,
    pgp_mime,
    pgp_mime_to,
    pgp_signed,
    smime_enveloped,
    smime_signed,
)
from support.mailfactory import make_mail

BODY = "お世話になっております。\n不審な通信を検知しましたので報告いたします。\n確認①：秘密情報として指定を希望しない\n"


@pytest.fixture(scope="module")
def world():
    made = make_pgp_world()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def smime(tmp_path_factory):
    return make_smime_world(tmp_path_factory.mktemp("smime"))


@pytest.fixture
def keys(world) -> Keys:
    return Keys(pgp=PgpKeys(home=world.home, passphrase=PASSPHRASE))


def _open(raw: bytes, keys: Keys):
    opened, found = open_protected(raw, keys)
    return parse_message(opened), found


def test_plain_mail_is_left_as_it_is(keys):
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"
    assert open_protected(raw, keys) == (raw, open_protected(raw, Keys())[1])
    assert open_protected(raw, keys)[1].scheme == ""


def test_pgp_mime_report_is_decrypted_keeping_its_headers(world, keys):
    raw = pgp_mime(world, BODY, sign_with=world.reporter_fpr)
    parsed, found = _open(raw, keys)
    assert "不審な通信を検知しました" in parsed.body_text
    assert parsed.from_addr == REPORTER and parsed.subject == "インシデント報告"
    assert (found.scheme, found.encrypted, found.decrypted) == ("pgp_mime", True, True)
    assert (found.signature.state, found.signature.signer) == ("good", REPORTER)
    assert found.signer_matches(REPORTER) is True


def test_pgp_signature_by_an_unknown_key_is_recorded_as_such(world, keys):
    _, found = _open(pgp_mime(world, BODY, sign_with=world.stranger_fpr), keys)
    assert found.decrypted and found.signature.state == "unknown_key"


def test_pgp_mime_encrypted_to_another_key_is_kept_with_a_clear_problem(world, keys):
    raw = pgp_mime_to(world, world.reporter, world.reporter_fpr, BODY)
    opened, found = open_protected(raw, keys)
    assert opened == raw  # nothing lost: the message stays as it came
    assert found.encrypted and not found.decrypted
    assert found.problem == "encrypted to a key the secretariat does not hold"


def test_pgp_signed_mime_good_and_bad(world, keys):
    parsed, found = _open(pgp_signed(world, BODY), keys)
    assert "不審な通信" in parsed.body_text
    assert (found.scheme, found.encrypted, found.signature.state) == ("pgp_mime", False, "good")
    _, tampered = _open(pgp_signed(world, BODY, tamper=True), keys)
    assert tampered.signature.state == "bad"
    _, unknown = _open(pgp_signed(world, BODY, signer=world.stranger_fpr), keys)
    assert unknown.signature.state == "unknown_key"


def test_inline_pgp_body_and_attachment_are_decrypted(world, keys):
    raw = inline_pgp(world, BODY, attachment=("ログ.txt", "2026-11-30 不審なログ\n".encode()))
    parsed, found = _open(raw, keys)
    assert "確認①：秘密情報として指定を希望しない" in parsed.body_text
    assert "BEGIN PGP" not in parsed.body_text
    [attachment] = parsed.attachments
    assert attachment.filename == "ログ.txt"
    assert attachment.payload == "2026-11-30 不審なログ\n".encode()
    assert (found.scheme, found.decrypted) == ("inline_pgp", True)


def test_without_keys_encrypted_mail_says_so(world):
    _, found = open_protected(pgp_mime(world, BODY), Keys())
    assert found.encrypted and not found.decrypted and "gnupg_home" in found.problem


def test_smime_enveloped_and_signed_report_is_opened(smime):
    keys = Keys(
        smime=SmimeKeys(cert=smime.cert_file, key=smime.key_file, ca_file=smime.ca_file),
        smime_ca_file=smime.ca_file,
    )
    raw = smime_enveloped(smime.secretariat_cert, BODY, signed_by=(smime.reporter_cert, smime.reporter_key))
    parsed, found = _open(raw, keys)
    assert "不審な通信を検知しました" in parsed.body_text and parsed.from_addr == REPORTER
    assert (found.scheme, found.encrypted, found.decrypted) == ("smime", True, True)
    assert (found.signature.state, found.signature.signer) == ("good", REPORTER)


def test_smime_signatures_good_bad_and_unknown(smime):
    keys = Keys(smime_ca_file=smime.ca_file)
    parsed, good = _open(smime_signed(smime.reporter_cert, smime.reporter_key, BODY), keys)
    assert "不審な通信" in parsed.body_text and good.signature.state == "good"
    _, bad = _open(smime_signed(smime.reporter_cert, smime.reporter_key, BODY, tamper=True), keys)
    assert bad.signature.state == "bad"
    _, unknown = _open(smime_signed(smime.stranger_cert, smime.stranger_key, BODY), keys)
    assert (unknown.signature.state, unknown.signature.signer) == ("unknown_key", REPORTER)


def test_smime_for_another_certificate_is_kept_with_a_clear_problem(smime):
    keys = Keys(smime=SmimeKeys(cert=smime.cert_file, key=smime.key_file))
    raw = smime_enveloped(smime.reporter_cert, BODY)
    opened, found = open_protected(raw, keys)
    assert opened == raw and found.encrypted and not found.decrypted
    assert "does not hold" in found.problem


def test_inline_clear_signed_text_good_and_bad(world, keys):
    signed = str(world.reporter.sign(BODY.encode(), keyid=world.reporter_fpr, clearsign=True))
    raw = make_mail(sender=f"山田 太郎 <{REPORTER}>", to="csc-anken@example.jp", body=signed)
    parsed, found = _open(raw, keys)
    assert "BEGIN PGP" not in parsed.body_text and "確認①：秘密情報として指定を希望しない" in parsed.body_text
    assert (found.scheme, found.encrypted, found.signature.state) == ("inline_pgp", False, "good")
    forged = make_mail(sender=f"山田 太郎 <{REPORTER}>", body=signed.replace("希望しない", "希望する"))
    assert _open(forged, keys)[1].signature.state == "bad"


def test_a_signer_is_the_sender_by_any_live_user_id_of_its_key(world, keys):
    """Inline clear-signed text by a key with three user IDs, one of them revoked."""
    fpr = add_pgp_signer(world, "jiro", ["jiro@example.com", "j.suzuki@example.jp", "jiro@old.example.jp"])
    home = world.others[fpr].gnupghome
    revoke = ["gpg", "--homedir", home, "--batch", "--quick-revoke-uid", fpr, "jiro <jiro@old.example.jp>"]
    subprocess.run(revoke, check=True, capture_output=True)
    world.secretariat.import_keys(world.others[fpr].export_keys(fpr))
    signed = str(world.others[fpr].sign(BODY.encode(), keyid=fpr, clearsign=True))
    _, found = _open(make_mail(sender="jiro@example.com", body=signed), keys)
    assert found.signature.state == "good"
    assert set(found.signature.addresses) == {"jiro@example.com", "j.suzuki@example.jp"}
    assert found.signer_matches("J.Suzuki@Example.JP") is True
    assert found.signer_for("J.Suzuki@Example.JP") == "j.suzuki@example.jp"
    assert found.signer_matches("jiro@old.example.jp") is False
    assert found.signer_matches("taro.yamada@example.com") is False


def test_an_attached_public_key_is_not_taken_for_an_encrypted_message(world, keys):
    public = world.reporter.export_keys(world.reporter_fpr)
    raw = make_mail(sender=f"山田 太郎 <{REPORTER}>", body=f"公開鍵を添付します。\n{public}")
    parsed, found = _open(raw, keys)
    assert "BEGIN PGP PUBLIC KEY BLOCK" in parsed.body_text
    assert (found.scheme, found.problem) == ("", "")
