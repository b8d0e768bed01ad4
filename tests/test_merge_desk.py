"""Merging on the desk, in a real headless Chromium: the case page asks for the target, a
confirmation page lists what would move (nothing changes yet), its button merges; the merged case
says where it went and its button splits it back. A refusal is said in Japanese. No JavaScript:
plain forms, under the desk's strict CSP. ``INTAKE_SCREENSHOTS=DIR`` keeps the pages as pictures."""

from __future__ import annotations

import json

import pytest
import test_desk_browser as in_browser
from sqlmodel import Session

from intake.db.tables import Case
from support.desk import STAFF, add_staff, desk_server
from support.merging import snapshot, two_cases

pytestmark = pytest.mark.e2e
browser, page = in_browser.browser, in_browser.page  # the same Chromium fixtures as the desk's tests
shot, sign_in = in_browser.shot, in_browser.sign_in


def _case(workspace, case_id: str) -> Case:
    with Session(workspace.engine()) as session:
        return session.get(Case, case_id)


def test_staff_merge_with_confirmation_and_split_back_on_the_desk(workspace, page):
    first, second, _ = two_cases(workspace)
    before = snapshot(workspace.engine())
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        page.goto(f"{desk.url}/cases/{second}")
        page.fill("section.merge input[name=into]", second)  # into itself: refused, said in Japanese
        page.click("button:has-text('統合の確認へ')")
        assert (
            page.locator("p.flash.error").inner_text() == f"{second} を自分自身に統合することはできません。"
        )

        page.fill("section.merge input[name=into]", first)
        page.click("button:has-text('統合の確認へ')")
        assert page.locator("h1.merge-title").inner_text() == f"{second} を {first} に統合する"
        moves = dict(
            (row.locator("td").first.inner_text(), row.locator("td.count").inner_text())
            for row in page.locator("table.moves tbody tr").all()
        )
        assert (
            moves["メール"] == "2" and moves["添付ファイル"] == "1" and moves["事務従事者（登録届）"] == "1"
        )
        assert "自動返信は送りません" in page.locator("section.merge-confirm p.note").inner_text()
        shot(page, "merge_confirm")
        assert _case(workspace, second).merged_into is None  # the confirmation page changes nothing

        page.click("button:has-text('統合する')")
        page.wait_for_url(f"{desk.url}/cases/{first}")
        assert page.locator("p.flash").inner_text() == f"{second} を {first} に統合しました。"
        assert second in page.locator("section.merged-from").inner_text()
        assert (
            "事務従事者１" in page.locator("table.staff").inner_text() or page.locator("table.staff").count()
        )
        history = page.locator("table.history").inner_text()
        assert "統合（他の案件から）" in history

        page.goto(desk.url + "/")
        row = page.locator("table.queue tr", has=page.locator(f"td.id a:text-is('{second}')"))
        assert row.locator("td.status").inner_text() == f"統合済み（→ {first}）"
        shot(page, "merge_queue")

        row.locator("td.id a").click()
        assert f"この案件は {first} に統合されました。" in page.locator("section.merged").inner_text()
        shot(page, "merge_merged_case")
        assert page.locator("form[action$='/status']").count() == 0  # a merged case is not moved by hand
        page.click("button:has-text('統合を取り消す')")
        page.wait_for_url(f"{desk.url}/cases/{second}")
        assert page.locator("p.flash").inner_text().startswith(f"{second} の統合を取り消しました")
        assert page.locator("section.merged").count() == 0
        assert "統合の取消し" in page.locator("table.history").inner_text()
    assert page.problems == []
    assert snapshot(workspace.engine()) == before
    entries = json.loads(workspace.cli("audit", second, "--json").stdout)
    assert [(e["action"], e["by"]) for e in entries if e["action"] in ("merge", "split")] == [
        ("merge", STAFF),
        ("split", STAFF),
    ]
