"""The desk's search box in a real headless Chromium: a query typed in the header finds hostile mail
polled through the real pipeline and shows its subject and the text around the match as text —
nothing of it runs; a one-character query, full-width, finds what it should and nothing else."""

from __future__ import annotations

import mailbox

import pytest
from test_desk_browser import HOSTILE, browser, desk_with, hostile_mail, page  # noqa: F401  (fixtures)

from support.mailfactory import make_mail

pytestmark = pytest.mark.e2e


def search(tab, query: str) -> None:
    """Type ``query`` into the header's search box and wait for the results."""
    tab.fill("header form.search input[name=q]", query)
    tab.press("header form.search input[name=q]", "Enter")
    tab.wait_for_selector("p.search-count")


def test_the_results_show_hostile_mail_as_text(workspace, page):  # noqa: F811
    with desk_with(workspace, page, hostile_mail()):
        search(page, "ALERT")  # folded: the mail says alert
        results = page.locator("table.search-results")
        assert HOSTILE["subject"] in results.locator("td").nth(3).inner_text()
        snippet = results.locator("td.snippet").inner_text()
        assert "<script>alert('subject')</script>" in snippet
        assert results.locator("td.snippet mark").inner_text() == "alert"
        assert page.locator("header form.search input[name=q]").input_value() == "ALERT"
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
        page.click("table.search-results td.id a")
        assert HOSTILE["subject"] in page.locator("main").inner_text()
    assert page.problems == []


def test_a_one_character_query_finds_only_the_case_that_has_it(workspace, page):  # noqa: F811
    other = make_mail(sender="林 美咲 <misaki@minato.example.co.jp>", to="csc-anken@example.jp",
                      subject="不審メールの報告", body="林です。不審なメールが届きました。\n")  # fmt: skip
    with desk_with(workspace, page, hostile_mail()):
        path = workspace.root / "maildir" / "anken"
        mailbox.Maildir(path, create=False).add(other)
        assert workspace.cli("poll").returncode == 0
        search(page, "林")
        assert page.locator("table.search-results tbody tr").count() == 1
        assert "「林」の検索結果：1 件" in page.locator("p.search-count").inner_text()
        search(page, "ｌｉｎ")  # nowhere (full-width, folded)
        assert "一致するものはありません" in page.locator("p.search-count").inner_text()
    assert page.problems == []
