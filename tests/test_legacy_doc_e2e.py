"""An RC4-encrypted legacy .doc (written by LibreOffice) arrives by mail, is unlocked at the
staff command, converted to .docx by headless LibreOffice and read like any Word form."""

from __future__ import annotations

import json
import mailbox

import pytest

from support.mailfactory import make_mail
from support.office_fixtures import LO_PASSWORD, libreoffice_fixtures, libreoffice_missing_reason

pytestmark = pytest.mark.skipif(
    libreoffice_missing_reason() is not None, reason=str(libreoffice_missing_reason())
)

DOC_NAME = "251120_協議会加入申込書（テスト株式会社）.doc"


def test_encrypted_doc_is_unlocked_converted_and_read(workspace):
    path = workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    workspace.extra = '[replies]\nmode = "hold"\n'
    mailbox.Maildir(path, create=False).add(
        make_mail(attachments=[(DOC_NAME, libreoffice_fixtures().rc4_doc, "application/msword")])
    )
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    (case,) = json.loads(workspace.cli("queue", "--json").stdout)
    assert case["status"] == "waiting_for_password"
    attachment = json.loads(workspace.cli("show", case["id"], "--json").stdout)["attachments"][0]
    assert (attachment["format"], attachment["encrypted"], attachment["state"]) == (
        "doc",
        True,
        "password_pending",
    )

    wrong = workspace.cli("unlock", str(attachment["id"]), "--password-stdin", input="not-it\n")
    assert wrong.returncode == 3
    opened = workspace.cli("unlock", str(attachment["id"]), "--password-stdin", input=LO_PASSWORD + "\n")
    assert opened.returncode == 0, opened.stderr

    shown = json.loads(workspace.cli("show", case["id"], "--json").stdout)
    attachment = shown["attachments"][0]
    assert (attachment["state"], attachment["document"], attachment["attempts"]) == (
        "decrypted",
        "application",
        2,
    )
    assert shown["fields"]["application"]["org_name"] == "テスト株式会社"
