"""A forged staff registration from an address on file (issue 18, point 3), end to end on a real
Dovecot: our own receiving server says DMARC failed, so the case carries sender_not_authenticated
(for staff only, never in a reply), and accepting it changes the register only when staff confirm
in the action itself — audited. The same header written by anyone else is ignored.

Japanese terms: 事務従事者登録届 staff registration; 継続 continuing, 廃止 removal, 新規 new (8);
(10) POC する / しない. Everyone is invented.
"""

from __future__ import annotations

import csv
import json

import pytest

from intake.forms import write_staff_registration
from intake.secretariat.register.file import REGISTER_COLUMNS
from support.desk import STAFF, acceptance_form, add_staff, csrf_of, desk_server
from support.mailfactory import DOCX_TYPE, make_mail
from support.samples import person as sample_person

ORG = "みなと精工株式会社"
DOMAIN = "minato-seiko.example.co.jp"
POC = ("港　一郎", f"ichiro.minato@{DOMAIN}", "03-5555-1001")
JIRO = ("港　二郎", f"jiro.minato@{DOMAIN}", "03-5555-1002")
FORGED = "mx.example.jp; spf=fail smtp.mailfrom=attacker.example.net; dkim=none; dmarc=fail (p=reject) header.from={d}"


def _block(person, kind: str, poc: str) -> dict:
    name, email, phone = person
    return sample_person(
        name,
        kind,
        kana="みなと",
        email=email,
        department="情報セキュリティ室",
        title="担当",
        phone=phone,
        poc=poc,
    )


class Office:
    def __init__(self, workspace, account) -> None:
        self.workspace, self.account = workspace, account
        workspace.extra = '[replies]\nmode = "hold"\n\n[trust]\nauthserv_ids = ["mx.example.jp"]\n'
        workspace.add_imap(account)
        self.cli("init")
        path = workspace.root / "register.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, REGISTER_COLUMNS)
            writer.writeheader()
            for (name, email, phone), poc in ((POC, "する"), (JIRO, "しない")):
                row = {"org_name": ORG, "corporate_number": "9010001112223", "department": ""}
                row |= {"name": name, "email": email, "phone": phone, "system_registration": "要", "poc": poc}
                writer.writerow(row)
        self.cli("register", "import", str(path))

    def cli(self, *args: str):
        result = self.workspace.cli(*args)
        assert result.returncode == 0, f"intake {' '.join(args)}: {result.stdout}{result.stderr}"
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def send(self, subject: str, results: str) -> dict:
        """A staff registration from the POC's own address that removes 二郎 and adds someone new."""
        blocks = [_block(POC, "継続", "する"), _block(JIRO, "廃止", "しない")]
        blocks.append(_block(("港　五郎", f"goro@{DOMAIN}", "03-5555-1005"), "新規", "しない"))
        form = write_staff_registration(ORG, blocks)
        raw = make_mail(
            subject=subject,
            sender=f"港 一郎 <{POC[1]}>",
            attachments=[(f"事務従事者登録届（{ORG}）.docx", form, DOCX_TYPE)],
        )
        self.account.append([f"Authentication-Results: {results}\r\n".encode() + raw])
        self.cli("poll")
        [case] = [c for c in self.cli("queue", "--all", "--json") if c["subject"] == subject]
        return self.cli("show", case["id"], "--json")

    def people(self) -> list[tuple[str, str]]:
        [org] = self.cli("register", "show", ORG, "--json")
        return sorted((p["name"], p["status"]) for p in org["people"])


@pytest.fixture
def office(workspace, imap_account):
    return Office(workspace, imap_account)


def test_forged_staff_registration_needs_an_audited_confirmation(office):
    before = office.people()
    case = office.send("事務従事者の変更", FORGED.format(d=DOMAIN))
    assert "sender_not_authenticated" in case["open_findings"]
    assert "sender_not_on_file" not in case["open_findings"]  # the From is on file: only DMARC tells
    [finding] = [f for f in case["findings"] if f["code"] == "sender_not_authenticated"]
    assert finding["severity"] == "warning" and "dmarc=fail" in finding["message_en"]
    [message] = [m for m in case["messages"] if m["direction"] == "in"]
    assert message["security"]["authentication"] == "fail"

    for reply in office.cli("outbox", "--json"):  # the sender is never told which check caught them
        body = office.cli("outbox", "show", str(reply["id"]))
        assert "認証" not in body and "DMARC" not in body

    refused = office.workspace.cli("set-status", case["id"], "accepted")
    assert refused.returncode == 1 and "--confirm-unauthenticated" in refused.stderr
    assert office.people() == before

    office.cli("set-status", case["id"], "accepted", "--confirm-unauthenticated", "--override-missing")
    assert ("港　二郎", "removed") in office.people() and ("港　五郎", "active") in office.people()
    actions = [e["action"] for e in office.cli("audit", case["id"], "--json")]
    assert actions.index("confirm_unauthenticated") < actions.index("status")


def test_authentication_results_of_another_server_are_ignored(office):
    case = office.send(
        "事務従事者の変更（外部ヘッダ）",
        FORGED.format(d=DOMAIN).replace("mx.example.jp", "mx.attacker.example.net"),
    )
    assert "sender_not_authenticated" not in case["open_findings"]
    [message] = [m for m in case["messages"] if m["direction"] == "in"]
    assert message["security"] is None
    office.cli(
        "set-status", case["id"], "accepted", "--override-missing"
    )  # no confirmation of the sender asked


def test_a_passing_sender_is_shown_as_authenticated(office):
    case = office.send(
        "事務従事者の変更（正規）",
        f"mx.example.jp; dkim=pass header.d={DOMAIN}; dmarc=pass header.from={DOMAIN}",
    )
    assert "sender_not_authenticated" not in case["open_findings"]
    [message] = [m for m in case["messages"] if m["direction"] == "in"]
    assert message["security"]["authentication"] == "pass"


def test_the_desk_shows_the_result_and_asks_for_the_confirmation(office):
    case = office.send("事務従事者の変更（デスク）", FORGED.format(d=DOMAIN))
    config = office.workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        client = desk.signed_in()
        page = client.get(f"/cases/{case['id']}").text
        assert 'data-auth="fail"' in page and "送信元認証: 失敗" in page
        assert 'name="confirm_unauthenticated"' in page
        data = {"status": "accepted", "csrf": csrf_of(page)}
        confirmation = client.post(f"/cases/{case['id']}/status", data=data)  # nothing changes yet
        assert confirmation.status_code == 200 and 'name="confirm_unauthenticated"' in confirmation.text
        fields = acceptance_form(confirmation.text) | {"override_missing": "1"}
        refused = client.post(f"/cases/{case['id']}/accept", data=fields)
        assert "--confirm-unauthenticated" in refused.text  # said on the confirmation shown again
        assert office.cli("show", case["id"], "--json")["status"] != "accepted"
        fields = acceptance_form(refused.text) | {"override_missing": "1", "confirm_unauthenticated": "1"}
        assert client.post(f"/cases/{case['id']}/accept", data=fields).status_code == 303
    shown = office.cli("show", case["id"], "--json")
    assert shown["status"] == "accepted"
    [entry] = [
        e for e in office.cli("audit", case["id"], "--json") if e["action"] == "confirm_unauthenticated"
    ]
    assert entry["by"] == STAFF
