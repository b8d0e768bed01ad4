"""What the command line does for cases, done on the desk with the same functions: reprocessing a
quarantined message, purging what is past retention and erasing a person's data — each with the
dry run shown first and a confirmation box — so staff never have to be told to use a terminal.

Mail goes through the real pipeline (Maildirs, forms read, replies held); a real uvicorn serves the
desk; httpx signs in as a staff account.
"""

from __future__ import annotations

import json
import mailbox
import re

import pytest
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, Case, QuarantineEntry
from intake.runner.poller import Poller
from support.desk import STAFF, add_staff, csrf_of, desk_server
from support.mailfactory import make_mail
from support.privacy import Desk as Intake
from support.privacy import block, move_clock

TARO_ADDRESS = "taro.matsumoto@sakura-denki.example.co.jp"
TARO = f"松本 太郎 <{TARO_ADDRESS}>"
RETENTION = "closed_case_days = 30\nremoved_person_days = 90\n"


@pytest.fixture
def intake(workspace):
    """A staff registration staff rejected, and an incident still open."""
    intake = Intake(workspace, retention=RETENTION)
    intake.deliver(intake.kyogikai, intake.staff_registration(
        TARO, [block("松本　太郎", TARO_ADDRESS)], "松本です。登録届を送ります。"
    ))  # fmt: skip
    intake.deliver(intake.anken, intake.incident("sato@example.com", "不審なメールが届きました。"))
    intake.cases = intake.poll()
    assert intake.cli("set-status", intake.cases[0], "rejected").returncode == 0
    add_staff(workspace.config())
    return intake


def audited(workspace, action: str) -> list[tuple[str, str | None]]:
    with Session(workspace.engine()) as session:
        rows = session.exec(select(AuditEntry.by, AuditEntry.case_id).where(AuditEntry.action == action))
        return list(rows)


def flash_of(page: str) -> str:
    found = re.search(r'<p class="flash[^"]*" role="(?:status|alert)">(.*?)</p>', page, re.S)
    assert found, "no message at the top of the page"
    return found.group(1)


def test_purge_shows_its_dry_run_and_applies_only_once_confirmed(workspace, intake, monkeypatch):
    rejected, open_incident = intake.cases
    move_clock(monkeypatch, 31)
    with desk_server(workspace.config()) as desk:
        client = desk.signed_in()
        page = client.get("/privacy").text
        assert "保存期間を過ぎた案件（1 件）" in page and f'href="/cases/{rejected}"' in page
        assert f'href="/cases/{open_incident}"' not in page
        assert intake.json("purge")["cases"][0]["id"] == rejected  # the dry run changed nothing

        unconfirmed = client.post("/privacy/purge", data={"csrf": csrf_of(page)})
        assert (unconfirmed.status_code, unconfirmed.headers["location"]) == (303, "/privacy")
        assert "削除していません" in flash_of(client.get("/privacy").text)
        assert audited(workspace, "retention.purge") == [] and intake.json("purge")["cases"]

        done = client.post("/privacy/purge", data={"csrf": csrf_of(page), "confirm": "1"})
        assert done.status_code == 303
        after = client.get("/privacy").text
        assert "案件 1 件" in flash_of(after) and "保存期間を過ぎたものはありません" in after
    assert (STAFF, rejected) in audited(workspace, "retention.purge")
    assert intake.json("purge") == {"cases": [], "people": [], "files_removed": 0, "applied": False}
    assert intake.json("show", rejected)["fields"] == {
        "staff": []
    }  # stripped to its skeleton, as the CLI does


def test_a_persons_data_is_found_then_erased_only_once_confirmed(workspace, intake):
    registration = intake.cases[0]
    with desk_server(workspace.config()) as desk:
        client = desk.signed_in()
        token = csrf_of(client.get("/privacy").text)
        found = client.post("/privacy/find", data={"csrf": token, "email": TARO_ADDRESS})
        assert found.status_code == 200 and "この人の情報を持つ記録" in found.text
        assert f'href="/cases/{registration}"' in found.text and "事務従事者登録届" in found.text
        hits = len(re.findall(r"<tr><td>", found.text.split("person-hits")[1].split("</table>")[0]))
        cli_hits = intake.json("person", "find", TARO_ADDRESS)
        assert hits == len(cli_hits) > 0  # the same records the command line finds

        unconfirmed = client.post("/privacy/erase", data={"csrf": token, "email": TARO_ADDRESS})
        assert unconfirmed.status_code == 303
        assert "削除していません" in flash_of(client.get("/privacy").text)
        assert len(intake.json("person", "find", TARO_ADDRESS)) == len(cli_hits)

        erased = client.post("/privacy/erase", data={"csrf": token, "email": TARO_ADDRESS, "confirm": "1"})
        assert erased.status_code == 303
        assert f"{len(cli_hits)} 件の記録からこの人の情報を削除しました" in flash_of(
            client.get("/privacy").text
        )
        again = client.post("/privacy/find", data={"csrf": token, "email": TARO_ADDRESS})
        assert "この人の情報を持つ記録はありません" in again.text
    assert intake.json("person", "find", TARO_ADDRESS) == []
    assert {by for by, _case in audited(workspace, "person.erase")} == {STAFF}


def test_a_quarantined_message_is_reprocessed_from_the_quarantine_tab(workspace, monkeypatch):
    folder = workspace.add_maildir()
    box = mailbox.Maildir(folder, create=False)
    box.add(make_mail(subject="壊れる", to="csc-anken@example.jp"))
    assert workspace.cli("init").returncode == 0
    config = workspace.config()
    import intake.mail.readable as pipeline  # where an arriving message is parsed

    real_parse = pipeline.parse_message

    def faulty(raw, **kwargs):  # the injected fault: processing this message raises
        parsed = real_parse(raw, **kwargs)
        if parsed.subject == "壊れる":
            raise RuntimeError("injected fault")
        return parsed

    monkeypatch.setattr(pipeline, "parse_message", faulty)
    assert Poller(config=config, engine=workspace.engine()).poll(config.mailbox[0]).quarantined == 1
    add_staff(config)
    with desk_server(config) as desk:
        client = desk.signed_in()
        tab = client.get("/?tab=quarantine").text
        assert "intake reprocess" not in tab  # no command line to be told about
        (entry,) = re.findall(r'action="/quarantine/(\d+)/reprocess"', tab)
        again = client.post(f"/quarantine/{entry}/reprocess", data={"csrf": csrf_of(tab)})
        assert (again.status_code, again.headers["location"]) == (303, "/?tab=quarantine")
        assert "injected fault" in flash_of(client.get("/?tab=quarantine").text)  # still there, said

        monkeypatch.setattr(pipeline, "parse_message", real_parse)  # the cause is fixed
        done = client.post(f"/quarantine/{entry}/reprocess", data={"csrf": csrf_of(tab)})
        assert done.status_code == 303 and done.headers["location"].startswith("/cases/")
        case_id = done.headers["location"].rsplit("/", 1)[1]
        page = client.get(done.headers["location"]).text
        assert f"隔離されていたメール {entry} を再処理しました（案件 {case_id}）" in flash_of(page)
    with Session(workspace.engine()) as session:
        assert session.get(Case, case_id).subject == "壊れる"
        assert session.exec(select(QuarantineEntry.state)).one() == "reprocessed"
    assert audited(workspace, "reprocessed") == [(STAFF, case_id)]
    assert json.loads(workspace.cli("quarantine", "--json").stdout) == []
