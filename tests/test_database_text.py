"""Text the database compares and keeps the same way on SQLite and on PostgreSQL.

SQLite's LIKE ignores the case of ASCII letters and its text holds any character; PostgreSQL's LIKE
does not, and its text cannot hold U+0000. Each test runs on the backend of the run (``--db``).
"""

from __future__ import annotations

import json
import mailbox

from support.mailfactory import make_mail

REGISTER = (
    "org_name,corporate_number,department,name,email,phone,system_registration,poc\n"
    "例示電力株式会社,1234567890123,情報システム部,例示 花子,Hanako.Rei@Example.CO.JP,03-1234-5678,要,する\n"
)


def poll_one(workspace, raw: bytes) -> list[dict]:
    mailbox.Maildir(workspace.root / "maildir" / "anken", create=False).add(raw)
    assert workspace.cli("poll").returncode == 0
    return json.loads(workspace.cli("queue", "--json").stdout)


def test_a_member_is_known_by_the_domain_of_the_address_whatever_its_case(workspace):
    workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "off"\n'
    assert workspace.cli("init").returncode == 0
    (workspace.root / "register.csv").write_text(REGISTER, encoding="utf-8")
    assert workspace.cli("register", "import", str(workspace.root / "register.csv")).returncode == 0

    (case,) = poll_one(workspace, make_mail(sender="山田 <yamada@example.co.jp>", to="csc-anken@example.jp"))
    assert "non_member" not in case["open_findings"]


def test_the_queue_finds_an_organisation_by_a_part_of_its_name_in_any_case(workspace):
    workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "off"\n'
    assert workspace.cli("init").returncode == 0
    report = ("報告書(Example Denki).txt", "不審な通信\n".encode(), "text/plain")
    (case,) = poll_one(workspace, make_mail(to="csc-anken@example.jp", attachments=[report]))
    assert case["org_name"] == "Example Denki"

    found = json.loads(workspace.cli("queue", "--org", "example denki", "--json").stdout)
    assert [c["id"] for c in found] == [case["id"]]


def test_a_nul_in_a_subject_makes_a_case_not_a_quarantine_entry(workspace):
    workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "off"\n'
    assert workspace.cli("init").returncode == 0

    (case,) = poll_one(workspace, make_mail(subject="不審な\x00メール", to="csc-anken@example.jp"))
    assert case["subject"] in ("不審な\x00メール", "不審な\ufffdメール")  # PostgreSQL text has no NUL
    assert json.loads(workspace.cli("quarantine", "--json").stdout) == []
