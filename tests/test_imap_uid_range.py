"""IMAP's UIDVALIDITY and UIDs are unsigned 32-bit numbers (RFC 3501 ``nz-number``, up to
4 294 967 295). SQLite's INTEGER holds them; PostgreSQL's INTEGER stops at 2 147 483 647, so the
cursor columns are BIGINT there. Runs on the backend of the run (``--db``)."""

from __future__ import annotations

import json
import subprocess

from support.mailfactory import numbered_mails

PROCESSED = b"$IntakeProcessed"
PAST_31_BITS = 3_000_000_000


def test_a_folder_whose_uidvalidity_and_uids_pass_2_to_the_31st_is_read_once_and_marked(
    workspace, dovecot, imap_account
):
    imap_account.append(numbered_mails(1))  # the folder exists: its numbers can be set
    big = str(PAST_31_BITS)
    update = ["mailbox", "update", "-u", imap_account.username, "--uid-validity", big, "--min-next-uid", big]
    subprocess.run(["doveadm", "-c", str(dovecot.conf), *update, "INBOX"], check=True, capture_output=True)
    imap_account.append(numbered_mails(2))
    with imap_account.client() as client:
        assert client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"] == PAST_31_BITS
    workspace.add_imap(
        imap_account, name="anken", profile="incident", prefix="CSC", address="csc-anken@example.jp"
    )
    workspace.extra = '[replies]\nmode = "off"\n'
    assert workspace.cli("init").returncode == 0

    first = workspace.cli("poll", "--json")
    assert first.returncode == 0, first.stderr
    assert workspace.cli("poll").returncode == 0  # nothing new: nothing read twice
    assert len(json.loads(workspace.cli("queue", "--json").stdout)) == 3
    flags = imap_account.flags()
    assert min(flags) >= PAST_31_BITS and all(PROCESSED in f for f in flags.values())
