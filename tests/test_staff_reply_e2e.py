"""Staff correspond from the case, end to end: mail in over a real Dovecot, replies out to a real
aiosmtpd, the desk driven in a real headless Chromium.

A report arrives; staff ask additional questions from the desk (追加のご質問, the report quoted);
the reporter answers the staff reply and the answer joins the same case; staff thank them
(情報提供へのお礼). Every message is in the case's history and the audit log. Under
``[replies] staff_review`` a reply waits until another desk user releases it, and its author's
own release is refused in Japanese. A reporter's HTML is quoted as text, never rendered.
"""

from __future__ import annotations

import json

import pytest
import test_desk_browser as in_browser
from playwright.sync_api import Page

from support.conversation import INCIDENT, body_of, case_tag, delivered, reply_to, setup
from support.desk import STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.mailfactory import make_mail
from support.smtp_server import smtp_server

pytestmark = pytest.mark.e2e

REPORTER = "鈴木 一郎 <ichiro.suzuki@example.co.jp>"
REPORTER_ADDR = "ichiro.suzuki@example.co.jp"
REPORT = (
    "株式会社サンプル情報システム部の鈴木です。\n"
    "不審なメールに次の文字列がありました: <script>alert('desk')</script><img src=x onerror=alert(1)>\n"
)
QUESTIONS = (
    "1. 不審なメールを受信した端末の台数を教えてください。\n2. 添付ファイルを開いた日時を教えてください。"
)
OTHER, OTHER_PASSWORD = "tanaka", "Desk-Pass-2026-Toranomon"


browser = in_browser.browser  # the same Chromium as the desk's tests


def new_page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.problems = []  # dialogs opened (a script that ran), requests that left the machine
    page.on("dialog", lambda d: page.problems.append(f"dialog: {d.message}"))
    page.on("request", lambda r: "127.0.0.1" not in r.url and page.problems.append(f"request to {r.url}"))
    return page


def intake(workspace, *args: str) -> str:
    """``intake ARGS`` as a process: Playwright's event loop runs in this one, and sending needs its own."""
    done = workspace.cli_process(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def poll(workspace) -> dict:
    return json.loads(intake(workspace, "poll", "--json"))


def cli_json(workspace, *args: str):
    return json.loads(intake(workspace, *args, "--json"))


def sign_in(page: Page, url: str, name: str = STAFF, password: str = STAFF_PASSWORD) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button:has-text('サインイン')")
    page.wait_for_url(url + "/")


def choose(page: Page, title: str) -> None:
    page.select_option("select[name=template]", label=title)
    page.click("button:has-text('ひな形で本文を作る')")


def staff_mail(server) -> list:
    return [m for m in delivered(server) if m["Auto-Submitted"] is None]


def test_staff_ask_the_reporter_answers_into_the_same_case_and_staff_thank_them(workspace, dovecot, browser):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        report = make_mail(sender=REPORTER, to=INCIDENT, subject="不審メールの受信について", body=REPORT)
        incident.append([report])
        poll(workspace)
        [checklist] = delivered(server)  # the automatic reply
        case_id = case_tag(checklist)
        config = workspace.config()
        add_staff(config)
        page = new_page(browser)
        with desk_server(config) as desk:
            sign_in(page, desk.url)
            page.goto(f"{desk.url}/cases/{case_id}")

            # 追加のご質問: it asks for the questions first, then writes them with the open checklist
            choose(page, "追加のご質問")
            assert "ご質問 の入力が必要です" in page.locator("p.reply-error").inner_text()
            page.fill("textarea[name=v_questions]", QUESTIONS)
            page.click("button:has-text('ひな形で本文を作る')")
            body = page.locator("textarea[name=body]").input_value()
            assert QUESTIONS in body and "幾つか質問させていただきます" in body and "□ 確認①" in body
            assert page.locator("input[name=to]").input_value() == REPORTER_ADDR
            page.check("input[name=quote]")
            page.click("button:has-text('返信を送る')")
            assert "送信待ちにしました" in page.locator("p.flash").inner_text()

            # the reporter's markup is quoted and shown as text: no element, no script ran
            ours = page.locator("article.message.out").last
            assert (
                "> 不審なメールに次の文字列がありました: <script>alert('desk')</script>" in ours.inner_text()
            )
            assert page.locator("article.message script, article.message img").count() == 0

            intake(workspace, "send")
            [questions] = staff_mail(server)
            text = body_of(questions)
            assert QUESTIONS in text and "> 株式会社サンプル情報システム部の鈴木です。" in text
            assert questions["In-Reply-To"] == report_id(report)

            # the reporter answers the staff reply: it joins the same case
            answer = reply_to(
                questions, "ご質問への回答です。\n1. 1台です。\n2. 本日9時頃です。", sender=REPORTER
            )
            incident.append([answer])
            joined = poll(workspace)
            assert joined["mailboxes"][0]["joined"] == 1 and joined["mailboxes"][0]["created"] == 0

            page.goto(f"{desk.url}/cases/{case_id}")
            assert "1台です。" in page.locator("article.message.in").last.inner_text()
            choose(page, "情報提供へのお礼")
            assert "誠にありがとうございました" in page.locator("textarea[name=body]").input_value()
            page.click("button:has-text('返信を送る')")
            assert "送信待ちにしました" in page.locator("p.flash").inner_text()
            intake(workspace, "send")
            history = page.locator("table.history").inner_text()
            assert history.count("事務局からの返信") == 2
        assert page.problems == []

    first, thanks = staff_mail(server)
    assert thanks["In-Reply-To"] == answer_id(answer) and f"[{case_id}]" in thanks["Subject"]
    shown = cli_json(workspace, "show", case_id)
    incoming = [m for m in shown["messages"] if m["direction"] == "in"]
    by_staff = [m for m in shown["messages"] if m["direction"] == "out" and m["from_name"] == STAFF]
    assert len(incoming) == 2 and len(by_staff) == 2
    assert {m["message_id"] for m in by_staff} == {
        first["Message-ID"].strip("<>"),
        thanks["Message-ID"].strip("<>"),
    }
    automatic = [m for m in shown["messages"] if m["direction"] == "out" and not m["from_name"]]
    assert len(automatic) == len(delivered(server)) - 2  # every automatic reply sent is there too
    audit = cli_json(workspace, "audit", case_id)
    staff_entries = [e for e in audit if e["action"] == "staff_reply"]
    assert [e["by"] for e in staff_entries] == [STAFF, STAFF]
    assert [e["detail"]["template"] for e in staff_entries] == ["additional_questions", "thanks"]
    assert sum(e["action"] == "message_received" for e in audit) == 2


def report_id(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return message_from_bytes(raw, policy=policy.default)["Message-ID"]


answer_id = report_id


def test_a_held_staff_reply_with_an_uploaded_form_is_released_by_another_user_only(
    workspace, dovecot, browser, tmp_path
):
    blank = tmp_path / "事務従事者登録届（様式）.docx"
    blank.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port, replies_extra="staff_review = true")
        incident.append(
            [
                make_mail(
                    sender=REPORTER, to=INCIDENT, subject="登録届の様式について", body="様式をください。\n"
                )
            ]
        )
        poll(workspace)
        case_id = case_tag(delivered(server)[0])
        config = workspace.config()
        add_staff(config)
        add_staff(config, OTHER, OTHER_PASSWORD)
        author, reviewer = new_page(browser), new_page(browser)
        with desk_server(config) as desk:
            sign_in(author, desk.url)
            author.goto(f"{desk.url}/cases/{case_id}")
            author.fill("textarea[name=body]", "鈴木様\n\n事務従事者登録届の様式をお送りします。\n")
            author.set_input_files("input[name=file]", str(blank))
            author.click("button:has-text('返信を送る')")
            assert "別の担当者が返信の画面で確認して送信します" in author.locator("p.flash").inner_text()

            author.goto(f"{desk.url}/outbox")
            held = author.locator("article.reply.held").first
            assert held.locator(".author").inner_text() == f"作成: {STAFF}"
            held.locator("button:has-text('送信する')").click()
            assert "ご自身が書いた返信は送信できません" in author.locator("p.flash.error").inner_text()
            intake(workspace, "send")
            assert staff_mail(server) == []

            sign_in(reviewer, desk.url, OTHER, OTHER_PASSWORD)
            reviewer.goto(f"{desk.url}/outbox")
            reviewer.locator("article.reply.held").first.locator("button:has-text('送信する')").click()
            assert "送信待ちにしました" in reviewer.locator("p.flash").inner_text()
            intake(workspace, "send")
        assert author.problems == [] and reviewer.problems == []
    [sent] = staff_mail(server)
    [attached] = list(sent.iter_attachments())
    assert attached.get_filename() == blank.name and attached.get_content() == blank.read_bytes()
    audit = cli_json(workspace, "audit", case_id)
    assert [e["by"] for e in audit if e["action"] == "reply_released"] == [OTHER]
    assert json.dumps(audit, ensure_ascii=False).count("staff_reply") == 1
