"""No dead ends on the desk, in a real headless Chromium: a mistyped case id is a Japanese page
with the way to the case meant; a note typed as the session ended survives the sign-in and goes in
once sent again; an attachment is a download, never a page of the desk; the 個人情報 page's purge
is a dry run until confirmed; the quarantine tab has no command line to be told about."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlmodel import Session, delete, select

from intake.db.tables import DeskSession, Note
from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.office_fixtures import JAPANESE_NAME
from support.unlocking import (
    PASSWORD,
    attachment_rows,
    deliver_application,
    encrypted_application,
    new_mailbox,
    poll,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ja-JP", accept_downloads=True
    )
    page = context.new_page()
    page.requests_elsewhere = []
    page.on("request", lambda r: "127.0.0.1" not in r.url and page.requests_elsewhere.append(r.url))
    yield page
    assert page.requests_elsewhere == []
    context.close()


def sign_in(page: Page) -> None:
    page.fill("input[name=name]", STAFF)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button:has-text('サインイン')")


def test_a_day_without_dead_ends(workspace, page):
    deliver_application(new_mailbox(workspace))
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    (attachment,) = attachment_rows(workspace)
    case_id = attachment.case_id
    with desk_server(config) as desk:
        page.goto(f"{desk.url}/cases/{case_id.lower()}")
        sign_in(page)  # the sign-in returns to the page that was asked for
        page.wait_for_url(f"{desk.url}/cases/{case_id.lower()}")
        assert page.locator("h1").inner_text() == "見つかりません"
        assert f"案件 {case_id.lower()} はありません" in page.locator("p.flash").inner_text()
        page.click(f"text=案件 {case_id} を開く")
        page.wait_for_url(f"{desk.url}/cases/{case_id}")
        assert page.locator("h1.case-id").inner_text() == case_id

        with page.expect_download() as taken:
            page.click(f"#attachment-{attachment.id} a.download")
        download = taken.value
        assert download.suggested_filename == JAPANESE_NAME
        assert Path(download.path()).read_bytes() == encrypted_application(PASSWORD)
        assert page.url == f"{desk.url}/cases/{case_id}"  # the desk stays where it was

        note = "山田様より電話：来週、訂正した申込書を再送。"
        page.fill("textarea[name=text]", note)
        with Session(workspace.engine()) as session:  # the idle time passes while she types
            session.exec(delete(DeskSession))
            session.commit()
        page.click("button:has-text('追加')")
        assert "入力していた内容をフォームに戻します" in page.locator("p.flash.notice").inner_text()
        sign_in(page)
        page.wait_for_url(f"{desk.url}/cases/{case_id}")
        assert "入力していた内容をフォームに戻しました" in page.locator("p.flash").inner_text()
        assert page.input_value("textarea[name=text]") == note
        page.click("button:has-text('追加')")
        assert page.locator("p.flash").inner_text() == "メモを追加しました。"
        assert note in page.locator("p.note").inner_text() and page.input_value("textarea[name=text]") == ""

        page.fill("form[action$='/unlock'] input[name=password]", PASSWORD)
        page.click("button:has-text('開封')")
        page.wait_for_url(f"{desk.url}/cases/{case_id}")
        assert "開封しました" in page.locator("p.flash").inner_text()

        page.click("nav >> text=隔離")
        assert "intake " not in page.locator("main").inner_text()  # no command line to be told about

        page.click("nav >> text=個人情報")
        assert "保存期間を過ぎたものはありません" in page.locator("section.retention").inner_text()
    with Session(workspace.engine()) as session:
        assert list(session.exec(select(Note.text))) == [note]
