"""The 状況 page in a real headless Chromium, on a month of real work (:mod:`support.month`): its
charts are SVG drawn on the server (no script; the Content-Security-Policy unchanged and nothing
in the console), each named for a screen reader and with the same numbers in a captioned table
beside it. ``INTAKE_SCREENSHOTS=DIR`` keeps the page as a picture (the README's is taken this way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from intake.desk.guard import CSP
from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.month import MONTH, work_the_month

pytestmark = pytest.mark.e2e  # a browser
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")


@contextmanager
def chromium_page() -> Iterator[Page]:
    """A page of a fresh headless Chromium, collecting what went wrong: console errors (a CSP
    violation is one), uncaught errors and failed responses."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type in ("error", "warning") and page.problems.append(_said(m)))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
        try:
            yield page
        finally:
            browser.close()


def _said(message: ConsoleMessage) -> str:
    return f"{message.text} ({message.location.get('url', '')})"


def test_the_status_page_draws_each_figure_beside_its_table(workspace, monkeypatch):
    work_the_month(workspace, monkeypatch)  # before the browser's event loop; the clock stays at 18 Dec
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk, chromium_page() as page:
        page.goto(desk.url + "/login")
        page.fill("input[name=name]", STAFF)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button:has-text('サインイン')")
        page.wait_for_url(desk.url + "/")
        page.click("header.top nav >> text=状況")
        page.wait_for_url(desk.url + "/status")
        response = page.goto(desk.url + f"/status?month={MONTH}")
        assert response.headers["content-security-policy"] == CSP and "script" not in CSP

        assert page.locator("h1").inner_text() == "2026-12 の状況"
        assert page.locator("script").count() == 0 and page.locator("[style]").count() == 0
        charts = page.locator("svg.chart[role=img]")
        assert charts.count() == 4
        for index in range(4):
            chart = charts.nth(index)
            assert chart.get_attribute("aria-label") and chart.locator("title").first.inner_html()
            assert chart.locator("desc").count() == 1
            assert chart.bounding_box()["height"] > 40  # drawn, not an empty box

        received = page.locator("section.received")
        columns = received.locator("svg g.column text.value").all_text_contents()
        assert columns == ["2", "2", "3", "0", "0"]  # the totals written on the bars
        assert "加入申込書" in received.locator("svg g.legend").text_content()
        assert received.locator("table caption").inner_text() == "週ごとの受付件数（種別別）"
        assert (
            received.locator("th[scope=col]").count() == 6 and received.locator("th[scope=row]").count() == 6
        )
        assert received.locator("tr.total").inner_text().split() == ["合計", "4", "1", "2", "0", "7"]
        desc = received.locator("svg desc").text_content()
        assert "12/14〜12/20: 加入申込書 2、事務従事者登録届 0、相談・情報提供 1、その他 0、合計 3" in desc

        times = page.locator("section.times")
        assert times.locator("svg text.value").all_text_contents() == [
            "7.0 時間", "19.8 時間", "60.0 時間", "69.6 時間",
        ]  # fmt: skip
        rows = [row.split("\t") for row in times.locator("tbody tr").all_inner_texts()]
        assert rows == [["初回返信まで", "4", "3", "7.0", "19.8"], ["受理まで", "2", "5", "60.0", "69.6"]]

        backlog = page.locator("section.backlog")
        assert backlog.locator("svg g.column text.value").all_text_contents() == ["0", "1", "5", "0"]
        assert backlog.locator("svg g.legend").text_content().split() == [
            "3日未満", "3日〜1週間", "1〜2週間", "2〜4週間", "4週間以上",
        ]  # fmt: skip
        waiting = backlog.locator("tbody tr", has_text="送信者の対応待ち").inner_text().split()
        assert waiting == ["送信者の対応待ち", "1", "1", "1", "2", "0", "5"]

        missing = page.locator("section.missing")
        assert missing.locator("svg g.bar text.category").first.text_content() == (
            "加入申込書 ４（１）担当者代表（POC）の電子メール"
        )
        assert missing.locator("svg text.value").all_text_contents() == ["2", "1", "1"]
        assert "事務従事者登録届" in missing.locator("table").inner_text()
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / "status.png"), full_page=True)

        page.goto(desk.url + "/status?month=2026-13")
        assert "年-月で指定してください" in page.locator("p.flash.error").inner_text()
        assert page.locator("h1").inner_text() == "2026-12 の状況"  # this month, shown instead
        assert f"400 {desk.url}/status?month=2026-13" in page.problems  # said, with 400
        # nothing else went wrong: no CSP violation, no error (the desk has no favicon: its 404 aside)
        others = [p for p in page.problems if "month=2026-13" not in p and "/favicon.ico)" not in p]
        assert others == []
