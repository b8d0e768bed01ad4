"""The items the shipped ``rules/forms/*.toml`` declare and the columns that store them agree, so a
new edition of a form is an edit in ``rules/`` plus, when an item needs a column of its own, that
column in ``intake/db/tables.py`` and one migration (``test_schema_migrations`` then holds the
migrations to the tables). Items without a column are kept with the read form, as the edition
test of ``test_forms_e2e`` shows end to end."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from intake.cases.formrows import FORM_TABLES, column, item_columns, store_form, stored_values
from intake.db.tables import ApplicationForm, Attachment, Case, Message, StaffEntry, utcnow
from intake.forms import ExtractedForm, FieldValue
from intake.secretariat.privacy.erasure import erase
from intake.secretariat.privacy.matching import Terms
from intake.secretariat.privacy.person import find
from support.samples import person as sample_person
from support.samples import specs


@pytest.mark.parametrize("form_id", sorted(FORM_TABLES))
def test_every_column_of_a_form_table_is_an_item_of_the_form(form_id: str) -> None:
    spec = specs()[form_id]
    declared = {column(f.key) for f in spec.fields + spec.document_fields}
    orphans = sorted(item_columns(FORM_TABLES[form_id]) - declared)
    assert not orphans, f"{spec.source} declares no item for the column(s) {orphans} (a key renamed?)"


@pytest.mark.parametrize("form_id", sorted(FORM_TABLES))
def test_every_item_of_the_shipped_forms_has_its_column(form_id: str) -> None:
    spec = specs()[form_id]
    table = FORM_TABLES[form_id]
    missing = [f.key for f in spec.fields if column(f.key) not in item_columns(table)]
    assert not missing, (
        f"{spec.source}: item(s) {missing} have no column in {table.__name__}: add them to "
        "intake/db/tables.py with a migration (until then they are kept in detail_json)"
    )


def test_an_item_without_a_column_is_kept_with_the_form_and_given_back(workspace) -> None:
    """The shipped application read with one more item, as a newer edition's would be: that item
    goes to the row's detail, a column still found empty (read before it existed) falls back to it."""
    engine = workspace.engine()
    spec = specs()["application"]
    values = {f.key: FieldValue(f"value of {f.key}", f"original {f.key}") for f in spec.fields}
    values["employees"] = FieldValue("120", "120名")
    form = ExtractedForm("application", spec.name, None, "テスト株式会社", fields=values)
    with Session(engine) as session:
        session.add(Case(id="KYOGIKAI-2026-0001", mailbox="kyogikai", kind="membership_application"))
        session.add(message := Message(case_id="KYOGIKAI-2026-0001", mailbox="kyogikai", sha256="0" * 64))
        session.flush()
        attachment = Attachment(case_id="KYOGIKAI-2026-0001", message_pk=message.id, part_index=2)
        session.add(attachment)
        session.flush()
        store_form(session, attachment, form)
        session.commit()
        row = session.exec(select(ApplicationForm)).one()
        assert json.loads(row.detail_json)["extra"] == {"employees": "120"}
        assert row.poc_email == "value of poc.email"
        row.detail_json = json.dumps({"extra": {"address": "東京都千代田区霞が関1-1-1"}}, ensure_ascii=False)
        row.address = None
        back = stored_values(row, spec)
    assert back["poc.email"] == "value of poc.email"
    assert back["address"] == "東京都千代田区霞が関1-1-1"
    assert list(back) == [f.key for f in spec.fields]


def test_each_person_block_keeps_its_own_items_without_a_column(workspace) -> None:
    engine = workspace.engine()
    spec = specs()["staff_registration"]
    people = [
        {f.key: FieldValue(f"{n}:{f.key}", None) for f in spec.fields}
        | {"extension": FieldValue(f"10{n}", None)}
        for n in (1, 2)
    ]
    form = ExtractedForm("staff_registration", spec.name, None, "テスト株式会社", staff=people)
    with Session(engine) as session:
        session.add(Case(id="KYOGIKAI-2026-0002", mailbox="kyogikai", kind="staff_registration"))
        session.add(message := Message(case_id="KYOGIKAI-2026-0002", mailbox="kyogikai", sha256="1" * 64))
        session.flush()
        attachment = Attachment(case_id="KYOGIKAI-2026-0002", message_pk=message.id, part_index=2)
        session.add(attachment)
        session.flush()
        store_form(session, attachment, form)
        session.commit()
        rows = session.exec(select(StaffEntry).order_by(StaffEntry.position)).all()
        assert [json.loads(r.detail_json)["extra"] for r in rows] == [
            {"extension": "101"},
            {"extension": "102"},
        ]
        assert [r.email for r in rows] == ["1:email", "2:email"]


def test_erasing_a_person_drops_their_items_without_a_column(workspace) -> None:
    """A person block loses every personal item on erasure: those of a newer edition too."""
    engine = workspace.engine()
    spec = specs()["staff_registration"]
    values = {f.key: FieldValue(v, v) for f in spec.fields if (v := sample_person("港　一郎").get(f.key))}
    person = values | {"extension": FieldValue("1234", "内線1234")}
    form = ExtractedForm("staff_registration", spec.name, None, "テスト株式会社", staff=[person])
    with Session(engine) as session:
        session.add(Case(id="KYOGIKAI-2026-0003", mailbox="kyogikai", kind="staff_registration"))
        session.add(message := Message(case_id="KYOGIKAI-2026-0003", mailbox="kyogikai", sha256="2" * 64))
        session.flush()
        attachment = Attachment(case_id="KYOGIKAI-2026-0003", message_pk=message.id, part_index=2)
        session.add(attachment)
        session.flush()
        store_form(session, attachment, form)
        session.commit()
    terms = Terms(["港　一郎"])
    with Session(engine) as session:
        erase(session, terms, find(session, workspace.config(), terms), by="staff-ito", now=utcnow())
        session.commit()
        row = session.exec(select(StaffEntry)).one()
        detail = json.loads(row.detail_json)
    assert (row.name, row.email) == (None, None)
    assert detail["extra"] == {}
    assert detail["original"]["extension"] is None
    assert "1234" not in row.detail_json
