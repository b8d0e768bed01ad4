"""What staff read is Japanese: no code of rules/labels.toml shows as a word — on the desk (a real
headless Chromium, outside ``<code>`` elements) nor in ``intake queue`` / ``intake show`` without
``--json`` (outside backquotes) — while ``--json`` keeps the codes.

The case worked through has what a day brings: an encrypted form opened after a wrong password, a
PDF beside it, findings opened and resolved, replies held in the outbox, a note, a status change.
"""

from __future__ import annotations

import json
import mailbox
import re

import pytest
from playwright.sync_api import Page, sync_playwright

from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.labelwords import VISIBLE_TEXT, code_words, label_codes
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME
from support.unlocking import PASSWORD, WRONG, encrypted_application, new_mailbox, poll

pytestmark = pytest.mark.e2e  # a browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_the_code_list_covers_the_table_and_finds_a_code_word() -> None:
    codes = label_codes()
    assert {"ready_for_review", "password_pending", "decrypted", "held", "message_received", "unlock_refused",
            "not_secret", "missing", "docx", "NotFound", "no_case", "encryption_required"} <= codes  # fmt: skip
    assert code_words("状態を ready_for_review にしました") == {"ready_for_review"}
    assert code_words("15 fields read, 2 not readable (held)") == {"read", "held"}
    assert code_words("yamada@example.co.jp 加入申込書.docx maildir:kyogikai/new/1") == set()


@pytest.fixture
def worked(workspace):
    """A membership mailbox (replies held) with one mail: an encrypted form and a PDF."""
    path = new_mailbox(workspace)
    attachments = [
        (JAPANESE_NAME, encrypted_application(), DOCX_TYPE),
        ("会社概要.pdf", PDF, "application/pdf"),
    ]
    mailbox.Maildir(path, create=False).add(make_mail(attachments=attachments))
    poll(workspace)
    [case] = json.loads(workspace.cli("queue", "--json").stdout)
    return workspace, case["id"]


def _plain_text(page: Page) -> str:
    return page.evaluate(VISIBLE_TEXT)


def test_queue_and_case_pages_show_no_code_as_a_word(worked) -> None:
    workspace, case_id = worked
    config = workspace.config()
    add_staff(config)
    with sync_playwright() as playwright, desk_server(config) as desk:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="ja-JP").new_page()
        page.goto(desk.url + "/login")
        page.fill("input[name=name]", STAFF)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button:has-text('サインイン')")
        page.wait_for_url(desk.url + "/")
        seen = {"queue": _plain_text(page)}

        page.click(f"text={case_id}")
        assert page.locator("td.state").first.inner_text() == "パスワード待ち"
        seen["case, waiting"] = _plain_text(page)
        page.fill("form[action$='/unlock'] input[name=password]", WRONG)
        page.click("button:has-text('開封')")
        assert "パスワードが違います" in page.locator("p.flash").inner_text()
        page.fill("form[action$='/unlock'] input[name=password]", PASSWORD)
        page.click("button:has-text('開封')")
        opened = page.locator("p.flash").inner_text()
        assert opened.startswith("開封しました: 加入申込書: ") and "項目を読み取りました" in opened
        seen["flash, opened"] = opened
        states = page.locator("td.state").all_inner_texts()
        assert states == ["開封済み", "受信時に読み取り"]
        assert page.get_by_role("cell", name="PDF", exact=True).count() == 1
        page.fill("textarea[name=text]", "電話で受付済み（山田様）")
        page.click("button:has-text('追加')")
        page.select_option("form[action$='/status'] select[name=status]", "closed")
        page.click("form[action$='/status'] button:has-text('変更')")
        assert page.locator("p.flash").inner_text() == "状態を「完了」にしました。"
        seen["case, worked"] = _plain_text(page)

        history = page.locator("table.history tbody").inner_text()
        assert "開封を拒否" in history and "試行回数: 1" in history and "添付ファイルを開封" in history
        assert "状態変更" in history and "変更後: 完了" in history
        assert "{" not in history  # no JSON
        findings = page.locator("table.findings tbody").inner_text()
        assert "パスワード待ち" in findings and "解決" in findings
        assert page.locator("table.findings code").first.inner_text()  # the code stays, set as code
        held = page.locator("article.message.out .tag[data-state]").first
        assert held.get_attribute("data-state") == "held" and held.inner_text() == "保留（確認待ち）"

        page.goto(desk.url + "/outbox")
        assert page.locator("article.reply .state").first.inner_text() == "保留（確認待ち）"
        seen["outbox"] = _plain_text(page)
        browser.close()

    found = {where: sorted(code_words(text)) for where, text in seen.items()}
    assert found == {where: [] for where in seen}


def test_queue_and_show_print_no_code_as_a_word_and_json_keeps_the_codes(worked) -> None:
    workspace, case_id = worked
    [attachment, _pdf] = json.loads(workspace.cli("show", case_id, "--json").stdout)["attachments"]
    refused = workspace.cli("unlock", str(attachment["id"]), "--password-stdin", input=WRONG + "\n")
    assert refused.returncode == 3
    assert (
        workspace.cli("unlock", str(attachment["id"]), "--password-stdin", input=PASSWORD + "\n").returncode
        == 0
    )
    assert workspace.cli("note", case_id, "電話で受付済み").returncode == 0
    assert workspace.cli("set-status", case_id, "closed").returncode == 0

    queue = workspace.cli("queue")
    show = workspace.cli("show", case_id)
    assert queue.returncode == show.returncode == 0, queue.stderr + show.stderr
    assert case_id in queue.stdout and "完了" in queue.stdout and "加入申込書" in queue.stdout
    for said in (
        "開封済み",
        "受信時に読み取り",
        "PDF",
        "開封を拒否",
        "試行回数: 1",
        "変更後: 完了",
    ):
        assert said in show.stdout, said
    outside_quotes = re.sub(r"`[^`]*`", " ", show.stdout)
    assert sorted(code_words(queue.stdout)) == [] and sorted(code_words(outside_quotes)) == []

    shown = json.loads(workspace.cli("show", case_id, "--json").stdout)
    assert shown["status"] == "closed"
    assert [a["state"] for a in shown["attachments"]] == ["decrypted", "plain"]
    assert [a["format"] for a in shown["attachments"]] == ["docx", "pdf"]
    [item] = json.loads(workspace.cli("queue", "--json").stdout)
    assert item["kind"] == "membership_application"
