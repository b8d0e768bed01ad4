"""Owners and overdue cases on the web desk, in a real headless Chromium: the overdue case stands
first in the queue, in red and with 「期限超過」 in words; the case page shows its owner and due
day; staff take a case (「自分が担当する」) and give it to a colleague from the list of enabled
accounts, the history says who assigned whom, and 「自分の担当」 lists the signed-in user's cases.
An unknown or disabled account is refused with the reason. The clock is pinned.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, sync_playwright
from pydantic import SecretStr
from sqlmodel import Session

from intake import clock
from intake.cases import sla
from intake.clock import JST
from intake.db.tables import Case
from intake.secretariat import users
from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, csrf_of, desk_server

pytestmark = pytest.mark.e2e  # a browser
NOW = datetime(2027, 1, 14, 10, 0, tzinfo=JST)
LATE, FRESH, TANAKAS = "KYOGIKAI-2027-0001", "KYOGIKAI-2027-0002", "KYOGIKAI-2027-0003"


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def office(workspace, monkeypatch):
    workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    assert workspace.cli("init").returncode == 0
    monkeypatch.setattr(clock, "utcnow", lambda: NOW.astimezone(UTC))
    config = workspace.config()
    add_staff(config)
    with Session(workspace.engine()) as session:
        users.add_user(session, "tanaka", SecretStr(STAFF_PASSWORD), by="test")
        users.add_user(session, "sato", SecretStr(STAFF_PASSWORD), by="test")
        users.disable_user(session, "sato", by="test")
        session.add_all(
            [
                _case(LATE, received_hours_ago=50, due_in_days=-1),  # older, and overdue
                _case(FRESH, received_hours_ago=1, due_in_days=3),
                _case(TANAKAS, received_hours_ago=2, due_in_days=0, owner="tanaka"),
            ]
        )
        session.commit()
    return config


def _case(case_id: str, *, received_hours_ago: int, due_in_days: int, owner: str | None = None) -> Case:
    return Case(
        id=case_id,
        mailbox="kyogikai",
        kind="staff_registration",
        status="ready_for_review",
        sender="misaki.sato@example.co.jp",
        org_name="株式会社サンプル電力",
        received_at=NOW - timedelta(hours=received_hours_ago),
        due_at=sla.day_start(NOW.date() + timedelta(days=due_in_days)),
        owner=owner,
    )


def sign_in(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=name]", STAFF)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button:has-text('サインイン')")
    page.wait_for_url(url + "/")


def rows(page: Page) -> list[str]:
    return [r.inner_text().split("\t")[0].strip() for r in page.locator("table.queue tbody tr").all()]


def test_overdue_first_in_red_take_assign_and_my_cases(office, page):
    with desk_server(office) as desk:
        sign_in(page, desk.url)
        assert rows(page) == [LATE, FRESH, TANAKAS]  # overdue first, then newest first
        late = page.locator("table.queue tbody tr").first
        assert late.locator(".tag.overdue").inner_text() == "期限超過"
        assert "2027/01/13" in late.locator("td.due").inner_text()
        assert late.evaluate("r => getComputedStyle(r.cells[1]).color") == "rgb(179, 38, 30)"
        fresh = page.locator("table.queue tbody tr").nth(1)
        assert fresh.locator(".tag.overdue").count() == 0
        assert fresh.evaluate("r => getComputedStyle(r.cells[1]).color") != "rgb(179, 38, 30)"
        today = page.locator("table.queue tbody tr").nth(2)
        assert today.locator(".tag.due-today").inner_text() == "本日期限"
        assert today.locator("td.owner").inner_text() == "tanaka"

        page.click(f"a:has-text('{FRESH}')")
        assert page.locator("dd.owner").inner_text() == "未割当"
        assert page.locator("dd.due").inner_text() == "2027/01/17"
        page.click("button:has-text('自分が担当する')")
        page.wait_for_url(f"{desk.url}/cases/{FRESH}")
        assert page.locator("p.flash").inner_text() == "このケースを担当します。"
        assert page.locator("dd.owner").inner_text() == STAFF
        assert page.locator("button:has-text('自分が担当する')").count() == 0
        options = page.locator("form.assign select[name=owner] option").all_inner_texts()
        assert options == ["（未割当）", "suzuki", "tanaka"]  # sato is disabled

        page.goto(f"{desk.url}/cases/{LATE}")
        assert page.locator("dd.due .tag.overdue").inner_text() == "期限超過"
        page.select_option("form.assign select[name=owner]", "tanaka")
        page.click("button:has-text('担当者を変更')")
        page.wait_for_url(f"{desk.url}/cases/{LATE}")
        assert page.locator("dd.owner").inner_text() == "tanaka"
        history = page.locator("table.history tbody tr").last.inner_text()
        assert "担当者を割り当て" in history and STAFF in history and "変更後: tanaka" in history

        page.click("nav a:has-text('自分の担当')")
        page.wait_for_url(f"{desk.url}/?tab=mine")
        assert page.locator("h1").inner_text() == "自分の担当"
        assert rows(page) == [FRESH]


def test_an_unknown_or_disabled_account_is_refused_with_the_reason(office):
    with desk_server(office) as desk:
        client = desk.signed_in()
        csrf = csrf_of(client.get(f"/cases/{FRESH}").text)
        for name, reason in (
            ("yamamoto", "「yamamoto」というデスクの利用者はいません。"),
            ("sato", "利用者「sato」は無効にされているため、担当者にできません。"),
        ):
            answer = client.post(f"/cases/{FRESH}/assign", data={"csrf": csrf, "owner": name})
            assert answer.status_code == 303
            shown = client.get(f"/cases/{FRESH}").text
            assert reason in shown
            assert '<dd class="owner">未割当</dd>' in shown
