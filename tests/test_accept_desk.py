"""受理 on the desk: the status form changes nothing unless a status is chosen, choosing 受理 opens a
confirmation with the register's change (a table with its caption and headers), open missing
items need the override box, and 受理を取り消す puts the register back — over HTTP, and walked
in a real headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, Finding
from support.accepting import ORG, import_rows, register_rows, registered, staff_case
from support.desk import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STAFF,
    STAFF_PASSWORD,
    acceptance_form,
    add_staff,
    csrf_of,
    desk_server,
)

MISSING = "メールアドレスが未記入です。"
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")


@pytest.fixture
def built(workspace):
    return registered(workspace)


@pytest.fixture
def desk(workspace, built):
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as running:
        yield running


def _audit_actions(built, case_id) -> list[str]:
    with Session(built.engine) as session:
        query = select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        return list(session.exec(query))


def _status(workspace, case_id) -> str:
    return json.loads(workspace.cli("show", case_id, "--json").stdout)["status"]


def _add_missing(built, case_id) -> None:
    with Session(built.engine) as session:
        session.add(
            Finding(case_id=case_id, code="required_field:email", severity="missing", message_ja=MISSING)
        )
        session.commit()


def test_the_status_form_preselects_no_change_and_submitting_it_changes_nothing(workspace, built, desk):
    case_id = staff_case(built)
    client = desk.signed_in()
    page = client.get(f"/cases/{case_id}").text
    select_html = page.split('name="status"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*selected", select_html) == ['<option value="" selected']
    assert "変更しない" in select_html and "状態を変更（今: 確認待ち）" in page
    response = client.post(f"/cases/{case_id}/status", data={"status": "", "csrf": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, f"/cases/{case_id}")
    assert "状態は変更していません" in client.get(f"/cases/{case_id}").text
    assert _status(workspace, case_id) == "ready_for_review" and _audit_actions(built, case_id) == []


def test_choosing_accept_shows_the_change_and_a_changed_register_asks_again(workspace, built, desk):
    case_id = staff_case(built)
    before = register_rows(built)
    client = desk.signed_in()
    page = client.get(f"/cases/{case_id}").text
    shown = client.post(
        f"/cases/{case_id}/status", data={"status": "accepted", "csrf": csrf_of(page), "note": "電話で確認"}
    )
    assert shown.status_code == 200
    text = html.unescape(shown.text)
    assert "<caption>登録簿の変更（3 件）</caption>" in text
    assert '<th scope="col">変更前</th><th scope="col">変更後</th>' in text
    assert "03-0000-0001" in text and "03-9999-0001" in text and "新規 三郎" in text
    assert 'value="電話で確認"' in text  # the note typed on the case page is kept
    assert register_rows(built) == before and _audit_actions(built, case_id) == []  # shown, not done

    fields = acceptance_form(shown.text)
    # meanwhile someone corrects 継続 一郎's phone on file: the change shown is no longer the one made
    import_rows(workspace, [[ORG, "", "", "継続 一郎", "keizoku@test.co.jp", "03-1111-0001", "要", "する"]])
    changed = register_rows(built)
    assert changed != before
    again = client.post(f"/cases/{case_id}/accept", data=fields)
    assert again.status_code == 200 and "もう一度確かめてください" in again.text
    assert register_rows(built) == changed and _status(workspace, case_id) == "ready_for_review"

    assert "03-1111-0001" in again.text  # the change as it is now
    done = client.post(f"/cases/{case_id}/accept", data=acceptance_form(again.text))
    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{case_id}")
    assert _status(workspace, case_id) == "accepted"


def test_open_missing_items_need_the_override_box_on_the_desk_too(workspace, built, desk):
    case_id = staff_case(built)
    _add_missing(built, case_id)
    client = desk.signed_in()
    shown = client.get(f"/cases/{case_id}/accept").text
    assert "まだ不足している事項（1 件）" in shown and MISSING in shown
    assert re.search(r'<input type="checkbox" name="override_missing" value="1" required>', shown)
    refused = client.post(f"/cases/{case_id}/accept", data=acceptance_form(shown))
    assert refused.status_code == 200 and "まだ不足している事項があります" in html.unescape(refused.text)
    assert _status(workspace, case_id) == "ready_for_review"
    accepted = client.post(
        f"/cases/{case_id}/accept", data=acceptance_form(refused.text) | {"override_missing": "1"}
    )
    assert accepted.status_code == 303 and _status(workspace, case_id) == "accepted"
    assert "accept_override_missing" in _audit_actions(built, case_id)


def test_undo_on_the_desk_is_refused_in_japanese_when_the_register_changed_since(workspace, built, desk):
    case_id = staff_case(built)
    assert workspace.cli("accept", case_id).returncode == 0
    import_rows(workspace, [[ORG, "", "", "後から 四郎", "ato@test.co.jp", "03-0000-0004", "不要", "しない"]])
    changed = register_rows(built)
    client = desk.signed_in()
    page = client.get(f"/cases/{case_id}").text
    assert "受理を取り消す" in page
    response = client.post(f"/cases/{case_id}/accept/undo", data={"csrf": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, f"/cases/{case_id}")
    said = html.unescape(client.get(f"/cases/{case_id}").text)
    assert f"{case_id} の受理の後に、登録簿の該当する行が変更されています" in said
    assert register_rows(built) == changed and _status(workspace, case_id) == "accepted"


@pytest.mark.e2e
def test_staff_accept_with_the_confirmation_and_undo_it_in_a_browser(workspace, built, desk):
    case_id = staff_case(built)
    _add_missing(built, case_id)
    before = register_rows(built)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="ja-JP")
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.url}"))
        page.goto(desk.url + "/login")
        page.fill("input[name=name]", STAFF)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button:has-text('サインイン')")
        page.wait_for_url(desk.url + "/")
        page.goto(f"{desk.url}/cases/{case_id}")

        status_form = page.locator(f"form[action='/cases/{case_id}/status']")
        assert status_form.locator("select[name=status]").input_value() == ""  # 変更しない
        status_form.locator("select[name=status]").select_option("accepted")
        status_form.locator("button").click()
        table = page.locator("table.register-changes")
        assert table.locator("caption").inner_text() == "登録簿の変更（3 件）"
        headers = table.locator("thead th").all_inner_texts()
        assert headers == ["行", "変更", "項目", "変更前", "変更後"]
        phone = table.locator("tr", has_text="継続 一郎").filter(has_text="電話番号")
        assert phone.locator("td.before").inner_text() == "03-0000-0001"
        assert phone.locator("td.after").inner_text() == "03-9999-0001"
        assert MISSING in page.locator("fieldset.missing").inner_text()
        if SCREENSHOTS:  # INTAKE_SCREENSHOTS=DIR keeps the confirmation as a picture
            page.screenshot(path=str(Path(SCREENSHOTS) / "accept_confirm.png"), full_page=True)

        page.click("button:has-text('受理する')")  # the override box is required: the browser stops
        assert (
            page.locator("table.register-changes").count() == 1 and _status(workspace, case_id) != "accepted"
        )
        page.check("input[name=override_missing]")
        page.click("button:has-text('受理する')")
        page.wait_for_url(f"{desk.url}/cases/{case_id}")
        assert f"{case_id} を受理しました（登録簿の変更 3 件）" in page.locator("p.flash").inner_text()
        assert register_rows(built) != before and _status(workspace, case_id) == "accepted"

        page.click("button:has-text('受理を取り消す')")
        page.wait_for_url(f"{desk.url}/cases/{case_id}")
        assert "受理を取り消しました（状態: 確認待ち" in page.locator("p.flash").inner_text()
        assert page.locator("button:has-text('受理を取り消す')").count() == 0
        history = page.locator("table.history").inner_text()
        for said in (
            "受理（登録簿の変更前後を記録）",
            "不足のあるまま受理（確認済み）",
            "受理の取消し（登録簿を元に戻した）",
        ):
            assert said in history, said
        assert "受理前の状態: 確認待ち／登録簿の変更: 3 件" in history and "03-9999-0001" not in history
        browser.close()
    assert problems == []
    assert register_rows(built) == before and _status(workspace, case_id) == "ready_for_review"
    with Session(built.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.case_id == case_id)).all()
    by_action = {e.action: e.by for e in entries}
    assert (
        by_action["acceptance"]
        == by_action["acceptance_undone"]
        == by_action["accept_override_missing"]
        == STAFF
    )
