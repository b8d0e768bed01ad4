"""A person's data on request (APPI): ``intake person find`` shows every place it is held — mail
bodies, form fields, the register, the outbox — and ``intake person erase`` removes or masks it in
all of them, so that afterwards not a byte of the name or address is left in the database file,
its write-ahead log or the archive."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session

from intake.db import audit
from intake.db.tables import AuditEntry
from intake.errors import IntakeError
from support.privacy import ORG, Desk, block

MOMOKO = "鈴木　桃子"
ADDRESS = "momoko.suzuki@sakura-denki.example.co.jp"
SPELLINGS = ("鈴木　桃子", "鈴木桃子", "鈴木 桃子", ADDRESS)
PASSWORD = "Sakura#Tel-2026"  # phoned in
OTHER = ("高橋　一", "hajime.takahashi@sakura-denki.example.co.jp")
REGISTER = (
    "org_name,corporate_number,department,name,email,phone,system_registration,poc\n"
    f"{ORG},,,{MOMOKO},{ADDRESS},03-5555-0201,要,する\n"
    f"{ORG},,,松本　花,hana.matsumoto@sakura-denki.example.co.jp,03-5555-0202,要,しない\n"
)


@pytest.fixture
def desk(workspace):
    """Momoko on the register, in her own staff registration (mail, form, the reply to her, a
    staff note) and in the body of an incident report somebody else sent."""
    desk = Desk(workspace)
    register = workspace.root / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    assert desk.cli("register", "import", str(register)).returncode == 0
    people = [block(MOMOKO, ADDRESS, "継続"), block(*OTHER)]
    desk.deliver(desk.kyogikai, desk.staff_registration(
        f"鈴木 桃子 <{ADDRESS}>", people, f"鈴木桃子です。登録届を送ります。\n--\n鈴木 桃子\n{ADDRESS}\n"
    ))  # fmt: skip
    desk.deliver(desk.anken, desk.incident(
        "情報 太郎 <joho@other.example.com>", "弊社の鈴木 桃子を名乗る不審なメールが届きました。"
    ))  # fmt: skip
    desk.cases = desk.poll()
    assert desk.cli("note", desk.cases[0], "鈴木桃子さんに電話で確認済み").returncode == 0
    return desk


def holds_person(desk) -> list[str]:
    """The stored files in which the name (any spelling) or the address can be found: as bytes,
    and in archived mail also as decoded text (a base64 body hides its words from a byte search)."""
    found = []
    for path in desk.stored_files():
        data = path.read_bytes()
        texts = [data]
        if path.suffix == ".eml":
            message = email.message_from_bytes(data, policy=email.policy.default)
            texts += [str(v).encode() for v in message.values()]
            texts += [p.get_content().encode() for p in message.walk() if p.get_content_maintype() == "text"]
        if any(s.encode() in text for s in SPELLINGS for text in texts):
            found.append(str(path))
    return found


def test_find_shows_every_place_that_holds_the_person(desk):
    staff_case, incident = desk.cases

    hits = desk.json("person", "find", MOMOKO, ADDRESS)

    places = {(h["place"], h["case_id"]) for h in hits}
    for place in ("case", "message", "mail", "staff", "note", "outbox", "audit"):
        assert (place, staff_case) in places, place
    assert ("mail", incident) in places  # named in the body of somebody else's report
    assert ("register", None) in places
    [staff_hit] = [h for h in hits if h["place"] == "staff"]
    assert {"name", "email"} <= set(staff_hit["fields"])
    assert desk.json("person", "find", "鈴木桃子") != []  # the name however it is spaced
    assert desk.json("person", "find", "nobody@example.com") == []


def test_erase_removes_the_person_from_everything_and_leaves_no_byte(desk):
    staff_case, incident = desk.cases
    assert holds_person(desk)  # the search finds what is there
    report = desk.json("show", incident)

    erased = desk.cli("--by", "tanaka", "person", "erase", MOMOKO, ADDRESS, input="y\n")

    assert erased.returncode == 0, erased.stderr
    assert "erased from" in erased.stdout
    assert desk.json("person", "find", MOMOKO, ADDRESS) == []
    assert holds_person(desk) == []  # database file, WAL and archive

    fields = desk.json("show", staff_case)["fields"]["staff"]
    assert fields[0]["name"] is None and fields[0]["email"] is None
    assert (fields[1]["name"], fields[1]["email"]) == OTHER  # the other person's block stays
    [org] = desk.json("register", "show", ORG)
    assert [p["name"] for p in org["people"]] == ["松本　花"]
    after = desk.json("show", incident)  # the report stays, its sender too, without her mail
    assert (after["status"], after["sender"]) == (report["status"], "joho@other.example.com")

    entries = [e for e in desk.json("audit") if e["action"] == "person.erase"]
    assert {e["case_id"] for e in entries} == {None, staff_case, incident}
    assert all(e["by"] == "tanaka" for e in entries)
    [summary] = [e for e in entries if e["case_id"] is None]
    assert summary["detail"]["places"]["register"] == 1


def test_exports_never_include_an_erased_person(desk):
    assert desk.cli("person", "erase", ADDRESS, MOMOKO, "--yes").returncode == 0

    register = desk.cli("register", "export").stdout
    queue = desk.cli("export", "--format", "csv").stdout
    roster = desk.cli("roster", "export").stdout
    for exported in (register, queue, roster):
        assert not [s for s in SPELLINGS if s in exported]
    assert "松本　花" in register
    assert next(csv.reader(io.StringIO(roster))) == ["org_name", "category", "sector", "participation"]


def test_erase_asks_first_and_a_no_changes_nothing(desk):
    database = desk.dump()

    refused = desk.cli("person", "erase", ADDRESS, input="n\n")

    assert refused.returncode == 1
    assert "nothing erased" in refused.stderr
    assert desk.dump() == database


def test_a_term_too_short_to_mean_a_person_is_refused(desk):
    refused = desk.cli("person", "find", "鈴")
    assert refused.returncode == 1
    assert "at least 2 characters" in refused.stderr
    assert json.loads(desk.cli("person", "find", ADDRESS, "--json").stdout) != []


def test_erase_deletes_the_decrypted_copy_of_a_form_opened_with_its_password(workspace):
    desk = Desk(workspace, storage="keep_decrypted = true")
    desk.deliver(desk.kyogikai, desk.staff_registration(
        f"鈴木 桃子 <{ADDRESS}>", [block(MOMOKO, ADDRESS)], "パスワードはお電話で。", password=PASSWORD
    ))  # fmt: skip
    [case_id] = desk.poll()
    [attachment] = desk.json("show", case_id)["attachments"]
    opened = desk.cli("unlock", str(attachment["id"]), "--password-stdin", input=f"{PASSWORD}\n")
    assert opened.returncode == 0, opened.stderr
    decrypted = list((workspace.root / "messages" / "decrypted").iterdir())
    assert len(decrypted) == 1
    assert desk.json("person", "find", ADDRESS)[0]["place"] == "case"

    assert desk.cli("person", "erase", ADDRESS, "--yes").returncode == 0

    assert not decrypted[0].exists()
    assert not desk.sha256s(case_id) & desk.archived()
    assert desk.json("show", case_id)["fields"]["staff"][0]["email"] is None


def test_a_quarantined_message_that_holds_the_person_is_erased(workspace):
    desk = Desk(workspace, limits="max_message_mb = 0.001")  # every message here is over it
    desk.deliver(desk.anken, desk.incident(f"鈴木 桃子 <{ADDRESS}>", "鈴木桃子です。" * 100))
    assert desk.poll() == []
    [entry] = desk.json("quarantine")
    [hit] = desk.json("person", "find", MOMOKO)
    assert (hit["place"], hit["id"]) == ("quarantined_mail", entry["id"])

    assert desk.cli("person", "erase", MOMOKO, "--yes").returncode == 0

    assert desk.json("quarantine") == []
    assert holds_person(desk) == [] and desk.archived() == set()


def test_the_audit_log_stays_append_only_but_for_a_redacted_detail(workspace):
    engine = workspace.engine()
    with Session(engine) as session:
        entry = audit.record(session, by="tanaka", action="note", detail=f"{MOMOKO}さんに電話")
        session.commit()
        audit.redact(session, entry.id, "＊＊＊さんに電話")
        session.commit()
        assert session.get(AuditEntry, entry.id).detail == "＊＊＊さんに電話"
        flagged = {audit.REDACTION: True}
        with pytest.raises(IntakeError, match="append-only"):  # redaction never deletes
            session.execute(delete(AuditEntry), execution_options=flagged)
        session.rollback()
        with pytest.raises(IntakeError, match="append-only"):  # nor changes anything unflagged
            session.execute(update(AuditEntry).values(action="x"))
    engine.dispose()
