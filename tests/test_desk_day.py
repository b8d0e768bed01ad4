"""A day at the desk, in a real headless Chromium, through the real pipeline: sign in, open the
phoned-in form, read it, decide on an incident report, write a reply, accept the application
with its confirmation, take the acceptance back, and look at what retention would purge — and on
every page met, no code of rules/labels.toml stands as a word outside ``<code>``."""

from __future__ import annotations

import mailbox

import pytest
from playwright.sync_api import Page, sync_playwright

from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.labelwords import VISIBLE_TEXT, code_words
from support.mailfactory import make_mail
from support.unlocking import PASSWORD, deliver_application, new_mailbox, poll

pytestmark = pytest.mark.e2e  # a browser

REPORT = "本日、取引先を名乗る不審なメールを受信しました。\n添付ファイルは開いておりません。\n"


@pytest.fixture
def morning(workspace):
    """What came overnight: an encrypted application and an incident report."""
    deliver_application(new_mailbox(workspace))
    reports = workspace.add_maildir()
    mailbox.Maildir(reports, create=False).add(
        make_mail(subject="不審メールの報告", to="csc-anken@example.jp", body=REPORT)
    )
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    return config


class Day:
    """The pages met during the day, each page's visible text kept under a name."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url, self.seen = page, url, {}

    def look(self, name: str) -> None:
        self.seen[name] = self.page.evaluate(VISIBLE_TEXT)

    def flash(self) -> str:
        return self.page.locator("p.flash").inner_text()

    def open_case(self, prefix: str) -> str:
        self.page.goto(self.url + "/")
        self.page.click(f"table.queue td.id a:has-text('{prefix}')")
        return self.page.locator("h1.case-id").inner_text()


def test_a_day_at_the_desk_meets_only_japanese(morning):
    with sync_playwright() as playwright, desk_server(morning) as desk:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="ja-JP").new_page()
        broken: list[str] = []
        page.on("response", lambda r: r.status >= 500 and broken.append(f"{r.status} {r.url}"))
        day = Day(page, desk.url)
        page.goto(desk.url + "/")
        day.look("sign-in")
        page.fill("input[name=name]", STAFF)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button:has-text('サインイン')")
        page.wait_for_url(desk.url + "/")
        day.look("queue")

        application = day.open_case("KYOGIKAI")
        page.fill("form[action$='/unlock'] input[name=password]", PASSWORD)
        page.click("button:has-text('開封')")
        assert day.flash().startswith("開封しました")
        assert "テスト株式会社" in page.locator("section.form table.fields").first.inner_text()
        day.look("the form, opened")

        report = day.open_case("CSC")
        page.select_option(f"form[action='/cases/{report}/decide'] select[name=secret]", index=1)
        page.fill(f"form[action='/cases/{report}/decide'] input[name=scope]", "協議会の構成員全体")
        page.click(f"form[action='/cases/{report}/decide'] button")
        page.wait_for_url(f"{desk.url}/cases/{report}")
        assert "協議会の構成員全体" in page.locator("table.history").inner_text()
        day.look("an incident, decided")

        page.fill("form.send-reply textarea[name=body]", "ご報告ありがとうございます。確認いたします。")
        page.click("form.send-reply button:has-text('返信を送る')")
        page.wait_for_url(f"{desk.url}/cases/{report}")
        day.look("a reply, written")
        page.goto(desk.url + "/outbox")
        assert "ご報告ありがとうございます" in page.locator("body").inner_text()
        day.look("the outbox")

        page.goto(f"{desk.url}/cases/{application}")
        status = page.locator(f"form[action='/cases/{application}/status']")
        status.locator("select[name=status]").select_option("accepted")
        status.locator("button").click()
        assert page.locator("table.register-changes caption").count() == 1
        day.look("the acceptance's confirmation")
        if page.locator("input[name=override_missing]").count():
            page.check("input[name=override_missing]")
        if page.locator("input[name=confirm_unauthenticated]").count():
            page.check("input[name=confirm_unauthenticated]")
        page.click("button:has-text('受理する')")
        page.wait_for_url(f"{desk.url}/cases/{application}")
        assert f"{application} を受理しました" in day.flash()
        day.look("accepted")
        page.goto(desk.url + "/register")
        assert "テスト株式会社" in page.locator("body").inner_text()
        day.look("the register")

        page.goto(f"{desk.url}/cases/{application}")
        page.click("button:has-text('受理を取り消す')")
        page.wait_for_url(f"{desk.url}/cases/{application}")
        assert "受理を取り消しました" in day.flash()
        day.look("the acceptance, taken back")

        page.goto(desk.url + "/privacy")
        assert page.locator("form.purge, p.nothing-due").count() >= 1  # the dry run, shown first
        day.look("what retention would purge")
        page.goto(desk.url + "/status")
        day.look("状況")
        browser.close()
    assert broken == []
    found = {where: sorted(code_words(text)) for where, text in day.seen.items()}
    assert found == {where: [] for where in day.seen}
