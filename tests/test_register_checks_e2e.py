"""Q15 and spoofing checks against the member register, end to end (issue acceptance).

The register is imported with ``intake register import FILE``; staff registrations (事務従事者登録届,
encrypted as Q14 asks) arrive over a real Dovecot, are polled, opened with the phoned-in password
(``intake unlock ID --password-stdin``) and checked against the register; staff accept with
``intake set-status CASE accepted``, which applies the registration to the register; what the
register holds is read back with ``intake register show ORG --json``.

Japanese terms: 申請区分 (8) = 新規 new / 継続 continuing / 廃止 removal; (10) POC = する / しない.
Everyone and everything here is invented (``*.example.co.jp`` / ``*.example.com``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlmodel import Session, select

from intake.cases.unlock import unlock
from intake.db.tables import Attachment, Case
from intake.forms import write_staff_registration
from intake.secretariat.register.file import REGISTER_COLUMNS
from support.mailfactory import DOCX_TYPE, JST, make_mail
from support.office_fixtures import encrypt_agile
from support.samples import person as sample_person

PASSWORD = "Minato#Tel-0415"
ORG = "みなと精工株式会社"
NUMBER = "9010001112223"  # a valid 法人番号; the staff form itself names the organisation only
DOMAIN = "minato-seiko.example.co.jp"
YYMMDD = datetime.now(JST).strftime("%y%m%d")
FILENAME = f"{YYMMDD}_事務従事者登録届（{ORG}）.docx"
REGISTER_CODES = {
    "continuing_unknown",
    "new_already_registered",
    "abolished_unknown",
    "abolished_not_removed",
    "sender_not_on_file",
}


@dataclass(frozen=True)
class Person:
    name: str
    kana: str
    local: str
    phone: str

    @property
    def email(self) -> str:
        return f"{self.local}@{DOMAIN}"

    @property
    def sender(self) -> str:
        return f"{self.name} <{self.email}>"

    def block(self, kind: str, *, poc: str = "しない", **changes) -> dict:
        title = "室長" if poc == "する" else "担当"
        return sample_person(
            self.name, kind, kana=self.kana, email=self.email, department="情報セキュリティ室", title=title,
            phone=self.phone, poc=poc,
        ) | changes  # fmt: skip


ICHIRO = Person("港　一郎", "みなと　いちろう", "ichiro.minato", "03-5555-1001")  # the POC
JIRO = Person("港　二郎", "みなと　じろう", "jiro.minato", "03-5555-1002")
SABURO = Person("港　三郎", "みなと　さぶろう", "saburo.minato", "03-5555-1003")
SHIRO = Person("港　四郎", "みなと　しろう", "shiro.minato", "03-5555-1004")  # not on the register
GORO = Person("港　五郎", "みなと　ごろう", "goro.minato", "03-5555-1005")  # not on the register
ON_FILE = [(ICHIRO, "する"), (JIRO, "しない"), (SABURO, "しない")]


class Office:
    """The secretariat's side: a workspace on one IMAP account, replies held."""

    def __init__(self, workspace, account) -> None:
        self.workspace, self.account = workspace, account
        workspace.extra = '[replies]\nmode = "hold"\n'
        workspace.add_imap(account)
        self.cli("init")
        # One engine for the test's own reads: every make_engine() opens and closes the database
        # file, and closing any descriptor of it drops the SQLite locks this process holds.
        self.engine = workspace.engine()
        self.config = workspace.config()

    def cli(self, *args: str, input: str | None = None) -> str:
        result = self.workspace.cli(*args, input=input)
        assert result.returncode == 0, f"intake {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout if "--json" in args else ""

    def import_register(self, people: list[tuple[Person, str]]) -> None:
        path = self.workspace.root / "register.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.DictWriter(out, REGISTER_COLUMNS)
            writer.writeheader()
            for person, poc in people:
                writer.writerow(
                    {
                        "org_name": ORG,
                        "corporate_number": NUMBER,
                        "department": "",
                        "name": person.name,
                        "email": person.email,
                        "phone": person.phone,
                        "system_registration": "要",
                        "poc": poc,
                    }
                )
        self.cli("register", "import", str(path))

    def register(self) -> list[tuple]:
        """The organisation's people as the register shows them: (name, status, email, phone, poc)."""
        [org] = json.loads(self.cli("register", "show", ORG, "--json"))
        return sorted((p["name"], p["status"], p["email"], p["phone"], p["poc"]) for p in org["people"])

    def send(self, *mails: tuple[str, str, list[dict]], unlock_by_cli: bool = False) -> dict[str, str]:
        """Deliver staff registrations (subject, sender, blocks), poll, and type the phoned-in
        password for each (as staff do at the prompt); returns {subject: case id}."""
        raws = []
        for subject, sender, blocks in mails:
            data = encrypt_agile(write_staff_registration(ORG, blocks), PASSWORD)
            body = "お世話になっております。\n事務従事者登録届を送付いたします。\nパスワードは別途お電話します。\n"
            raws.append(
                make_mail(
                    subject=subject, sender=sender, body=body, attachments=[(FILENAME, data, DOCX_TYPE)]
                )
            )
        self.account.append(raws)
        self.cli("poll")
        with Session(self.engine) as session:
            cases = {c.subject: c.id for c in session.exec(select(Case))}
            pending = session.exec(
                select(Attachment.id).where(Attachment.state == "password_pending").order_by(Attachment.id)
            ).all()
            for attachment_id in pending if not unlock_by_cli else ():
                opened = unlock(
                    session, config=self.config, attachment_id=attachment_id, password=PASSWORD, by="staff"
                )
                assert opened.opened
                session.commit()
        for attachment_id in pending if unlock_by_cli else ():
            self.cli("unlock", str(attachment_id), "--password-stdin", input=PASSWORD + "\n")
        return {s: cases[s] for s, _, _ in mails}

    def status(self, case_id: str) -> str:
        with Session(self.engine) as session:
            return session.get(Case, case_id).status

    def show(self, case_id: str) -> dict:
        return json.loads(self.cli("show", case_id, "--json"))

    def open_codes(self, case_id: str) -> set[str]:
        return set(self.show(case_id)["open_findings"])

    def accept(self, case_id: str) -> None:
        status = self.status(case_id)
        if status not in ("ready_for_review", "waiting_for_sender"):
            self.cli("set-status", case_id, "ready_for_review")
        self.cli("set-status", case_id, "accepted")


@pytest.fixture
def office(workspace, imap_account):
    office = Office(workspace, imap_account)
    office.import_register(ON_FILE)
    yield office
    office.engine.dispose()


def test_application_types_are_checked_against_the_imported_register(office):
    cases = office.send(
        (
            "事務従事者登録届（継続の誤り）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), SABURO.block("継続"), SHIRO.block("継続")],
        ),
        (
            "事務従事者登録届（新規の誤り）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("新規"), SABURO.block("継続")],
        ),
        (
            "事務従事者登録届（正しい更新）",
            ICHIRO.sender,
            [
                ICHIRO.block("継続", poc="する"),
                JIRO.block("継続", phone="03-5555-2002"),  # a detail changed: still 継続 (Q15)
                SABURO.block("廃止"),
                SHIRO.block("新規"),
            ],
        ),
    )
    continuing = office.show(cases["事務従事者登録届（継続の誤り）"])
    assert set(continuing["open_findings"]) == {"continuing_unknown"}
    [finding] = [f for f in continuing["findings"] if f["code"] == "continuing_unknown"]
    assert finding["severity"] == "warning" and "港　四郎" in finding["message_ja"]

    new = office.show(cases["事務従事者登録届（新規の誤り）"])
    assert set(new["open_findings"]) == {"new_already_registered"}
    [finding] = [f for f in new["findings"] if f["code"] == "new_already_registered"]
    assert "港　二郎" in finding["message_ja"]

    correct = cases["事務従事者登録届（正しい更新）"]
    shown = office.show(correct)
    assert shown["open_findings"] == [] and shown["status"] == "ready_for_review"
    assert [p["application_type"] for p in shown["fields"]["staff"]] == ["継続", "継続", "廃止", "新規"]

    # Nothing reaches the register before staff accept.
    before = office.register()
    assert [(n, s) for n, s, *_ in before] == [
        ("港　一郎", "active"),
        ("港　三郎", "active"),
        ("港　二郎", "active"),
    ]
    office.accept(correct)
    after = {name: (status, phone) for name, status, _, phone, _ in office.register()}
    assert after == {
        "港　一郎": ("active", "03-5555-1001"),
        "港　二郎": ("active", "03-5555-2002"),
        "港　三郎": ("removed", "03-5555-1003"),
        "港　四郎": ("active", "03-5555-1004"),
    }


def test_a_block_removed_in_the_previous_accepted_registration_must_be_deleted(office):
    [first] = office.send(
        (
            "事務従事者登録届（三郎の廃止）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), SABURO.block("廃止")],
        )
    ).values()
    assert office.open_codes(first) == set()
    office.accept(first)

    cases = office.send(
        (  # the 廃止 block copied from last time instead of deleted (Q15)
            "事務従事者登録届（廃止欄が残っている）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), SABURO.block("廃止"), GORO.block("新規")],
        ),
        (  # and the same block switched to 継続
            "事務従事者登録届（廃止した人を継続）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), SABURO.block("継続")],
        ),
        (  # done right: the block deleted, a new person added
            "事務従事者登録届（廃止欄を削除）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), GORO.block("新規")],
        ),
    )
    left = office.show(cases["事務従事者登録届（廃止欄が残っている）"])
    assert set(left["open_findings"]) == {"abolished_not_removed"}
    [finding] = [f for f in left["findings"] if f["code"] == "abolished_not_removed"]
    assert "港　三郎" in finding["message_ja"] and "削除" in finding["message_ja"]
    assert office.open_codes(cases["事務従事者登録届（廃止した人を継続）"]) == {
        "abolished_not_removed",
        "continuing_unknown",  # no longer registered: re-registering would be 新規
    }
    right = cases["事務従事者登録届（廃止欄を削除）"]
    assert office.open_codes(right) == set()

    # Once a later registration (which removed nobody) is accepted, the removal is no longer
    # "the previous one": a 継続 block for 三郎 is now only someone not on the register.
    office.accept(right)
    [again] = office.send(
        (
            "事務従事者登録届（次の変更）",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), GORO.block("継続"), SABURO.block("継続")],
        )
    ).values()
    assert office.open_codes(again) == {"continuing_unknown"}


def test_a_change_from_an_unknown_address_is_flagged_and_applies_nothing(office):
    before = office.register()
    [case_id] = office.send(
        (
            "【至急】事務従事者の変更について",
            "港 一郎 <minato.ichiro@minato-seiko-jp.example.com>",  # look-alike, not on file
            [
                ICHIRO.block("継続", poc="しない"),
                JIRO.block("廃止"),
                SABURO.block("廃止"),
                GORO.block("新規", poc="する", email="goro.minato@minato-seiko-jp.example.com"),
            ],
        ),
        unlock_by_cli=True,
    ).values()
    shown = office.show(case_id)
    assert set(shown["open_findings"]) & REGISTER_CODES == {"sender_not_on_file"}
    assert set(shown["open_findings"]) == {"sender_not_on_file"}
    [finding] = [f for f in shown["findings"] if f["code"] == "sender_not_on_file"]
    assert finding["severity"] == "warning"
    assert "minato.ichiro@minato-seiko-jp.example.com" in finding["message_en"]

    office.cli("poll")  # another cycle, a note, the queue: still nothing applied
    office.cli("note", case_id, "差出人が登録外のため、POCへ電話で確認中")
    assert office.register() == before

    # A change from the POC's own address, same content, is not flagged.
    [genuine] = office.send(
        (
            "事務従事者の変更について",
            ICHIRO.sender,
            [ICHIRO.block("継続", poc="する"), JIRO.block("継続"), SABURO.block("廃止")],
        )
    ).values()
    assert office.open_codes(genuine) == set()
    assert office.register() == before
