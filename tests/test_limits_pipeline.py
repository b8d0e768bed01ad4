"""Configured limits through the whole pipeline: the raw message is kept and the quarantine entry
or the attachment names the limit in plain words (config keys as written in config.toml)."""

from __future__ import annotations

import json
import mailbox
import os

from support.mailfactory import make_mail
from support.office_fixtures import make_pdf


def test_over_the_limits_is_kept_and_said_plainly(workspace):
    path = workspace.add_maildir()
    workspace.extra = '[limits]\nmax_message_mb = 0.05\nmax_attachment_mb = 0.005\n[replies]\nmode = "hold"\n'
    box = mailbox.Maildir(path, create=False)
    box.add(make_mail(subject="大きすぎるメール", body="あ" * 40_000))
    box.add(
        make_mail(
            subject="大きな添付", attachments=[("report.pdf", make_pdf() + b"0" * 10_000, "application/pdf")]
        )
    )
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0

    (entry,) = json.loads(workspace.cli("quarantine", "--json").stdout)
    assert entry["error"].endswith("over the 51.2 KB limit (limits.max_message_mb)")
    archived = [p for p in (workspace.root / "messages").rglob("*.eml")]
    assert any(p.stem == entry["sha256"] for p in archived)
    assert os.path.getsize(next(p for p in archived if p.stem == entry["sha256"])) == entry["size"]

    (case,) = json.loads(workspace.cli("queue", "--json").stdout)
    (attachment,) = json.loads(workspace.cli("show", case["id"], "--json").stdout)["attachments"]
    assert attachment["state"] == "rejected"
    assert attachment["detail"].endswith("over the 5.1 KB limit (limits.max_attachment_mb)")
