"""A sender address that is valid but odd — a quoted local part holding ``<``, ``>``, ``"``, blanks,
``@`` or other specials (RFC 5322 3.4.1) — is one person's address like any other: the report
becomes a case, and the reply reaches that very address, quoted as the header and the SMTP envelope
need it. An address that can be read but not written back is held for staff with the reason.

The odd addresses come from a generator: every special character alone, then in pairs.
"""

from __future__ import annotations

import itertools
from email.headerregistry import Address

from support.conversation import INCIDENT, cli_json, delivered, poll, setup
from support.smtp_server import smtp_server

SPECIALS = ["<", ">", '\\"', " ", "@", ",", ";", ":", "(", ")", "[", "]", "\\\\", "."]


CARRIER_DOTS = ["taro..yamada@example.ne.jp", ".hanako@example.ne.jp", "jiro.@example.ne.jp"]


def odd_addresses() -> list[str]:
    """Quoted local parts: each special alone, then a sample of pairs (wire form, as written); and
    the dotted local parts Japanese mobile carriers once handed out (not RFC, but real mailboxes)."""
    singles = [f'"a{c}b"@example.co.jp' for c in SPECIALS] + CARRIER_DOTS
    pairs = [
        f'"x{a}y{b}z"@example.co.jp'
        for a, b in itertools.islice(itertools.permutations(SPECIALS, 2), 0, None, 7)
    ]
    return singles + pairs


def report_from(address: str, n: int) -> bytes:
    return (
        f"From: 報告者 <{address}>\r\nTo: {INCIDENT}\r\nSubject: =?utf-8?b?5aCx5ZGK?= {n}\r\n"
        f"Message-ID: <odd{n}@example.co.jp>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0900\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n不審なメールを受信しました。\r\n"
    ).encode()


def test_reports_from_odd_but_valid_addresses_become_cases_and_are_answered_at_that_address(
    workspace, dovecot
):
    addresses = odd_addresses()
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port, cap=100)
        incident.append([report_from(a, n) for n, a in enumerate(addresses)])
        report = poll(workspace)
        assert cli_json(workspace, "quarantine") == []
        assert report["mailboxes"][0]["created"] == len(addresses)
        sent = server.handler.received
        assert len(sent) == len(addresses)
    wanted = {a if a in CARRIER_DOTS else Address(addr_spec=a).addr_spec.lower() for a in addresses}
    assert {d.rcpt_tos[0] for d in sent} == wanted
    assert {m["To"].addresses[0].addr_spec for m in delivered(server)} == wanted


def test_a_sender_address_that_cannot_be_written_back_holds_the_reply_with_the_reason(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        incident.append([report_from("hanako sato@example.co.jp", 1)])  # a blank typed into it
        poll(workspace)
        assert cli_json(workspace, "quarantine") == []
        (case,) = cli_json(workspace, "queue")
        (reply,) = cli_json(workspace, "outbox")
        assert server.handler.received == []
    assert reply["case_id"] == case["id"] and reply["state"] == "held"
    assert "cannot be used as a recipient" in reply["last_error"]
