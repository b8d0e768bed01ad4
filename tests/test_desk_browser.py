"""The web desk in a real headless Chromium, through the real pipeline.

Staff sign in, see the queue, open a case, type a wrong and then the right phoned-in password for
an encrypted form, see its fields, add a note, release the held reply and sign out. Signing out
and a new password end the sessions whose cookie was copied elsewhere; X-Forwarded-For counts
only from a trusted proxy. Hostile mail is
shown as text (checked on the DOM, not on the HTML source). A form that turns out to carry malware
once decrypted (a real clamd) is a finding naming the signature, and the file leaves the desk only
inside a zip with the password ``infected``. The desk and ``intake run`` work side by
side on one SQLite database while 500 messages come in. ``INTAKE_SCREENSHOTS=DIR`` keeps the queue
and the case page as pictures (the README's are taken this way).
"""

from __future__ import annotations

import io
import json
import mailbox
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
import pyzipper
from playwright.sync_api import BrowserContext, Page, sync_playwright
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, DeskSession, Note
from intake.forms import write_application
from support.clamd import FOUND, MARKER
from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, csrf_of, desk_server
from support.desk import sign_in as desk_sign_in
from support.mailfactory import DOCX_TYPE, make_mail, numbered_mails
from support.office_fixtures import JAPANESE_NAME, encrypt_agile, with_embedded
from support.samples import APPLICATION
from support.unlocking import PASSWORD, WRONG, deliver_application, new_mailbox, poll

pytestmark = pytest.mark.e2e  # a browser, and for the last test the service as a process
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.problems = []  # responses that failed, dialogs opened, requests that left the machine
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    page.on("dialog", lambda d: page.problems.append(f"dialog: {d.message}"))
    page.on("request", lambda r: "127.0.0.1" not in r.url and page.problems.append(f"request to {r.url}"))
    yield page
    context.close()


def sign_in(page: Page, url: str) -> None:
    page.goto(url + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=name]", STAFF)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button:has-text('サインイン')")
    page.wait_for_url(url + "/")


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_staff_work_an_encrypted_application_from_sign_in_to_sign_out(workspace, page):
    deliver_application(new_mailbox(workspace))  # replies held: staff release them
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        pending = page.locator("section.pending")
        assert "パスワード待ち（1件）" in pending.inner_text()
        case_id = page.locator("table.queue td.id").first.inner_text()
        shot(page, "queue")
        page.click(f"text={case_id}")
        assert page.locator("h1.case-id").inner_text() == case_id

        password = page.locator("form[action$='/unlock'] input[name=password]")
        assert (
            password.get_attribute("autocomplete") == "off" and password.get_attribute("type") == "password"
        )
        password.fill(WRONG)
        page.click("button:has-text('開封')")
        assert "パスワードが違います（1回目）" in page.locator("p.flash").inner_text()
        page.fill("form[action$='/unlock'] input[name=password]", PASSWORD)
        page.click("button:has-text('開封')")
        assert "開封しました" in page.locator("p.flash").inner_text()
        fields = page.locator("section.form table.fields").first.inner_text()
        assert "２（１）組織・団体名" in fields and "テスト株式会社" in fields
        assert page.locator("td.state").first.inner_text() == "開封済み"

        page.fill("textarea[name=text]", "電話で受付済み（山田様）")
        page.click("button:has-text('追加')")
        assert "電話で受付済み（山田様）" in page.locator("p.note").inner_text()
        shot(page, "case")

        page.click("nav >> text=返信")
        reply = page.locator("article.reply").first
        assert (
            reply.locator(".state").inner_text() == "保留（確認待ち）"
            and "受付" in reply.locator("pre.text").inner_text()
        )
        reply.locator("button:has-text('送信する')").click()
        assert page.locator("article.reply").first.locator(".state").inner_text() == "送信待ち"

        page.click("button:has-text('サインアウト')")
        page.wait_for_url(desk.url + "/login")
        page.goto(desk.url + f"/cases/{case_id}")
        assert page.url.endswith("/login")  # signed out means out
    assert page.problems == []
    audit = workspace.cli("audit", case_id, "--json").stdout
    assert f'"by": "{STAFF}"' in audit and "unlocked" in audit and "reply_released" in audit


def test_malware_found_only_after_decrypting_a_form_leaves_the_desk_only_zipped(workspace, page, clamd):
    path = new_mailbox(workspace)
    workspace.extra += clamd.scan_section
    mailed = encrypt_agile(with_embedded(write_application(APPLICATION), b"MZ\x90\x00" + MARKER), PASSWORD)
    assert MARKER not in mailed  # really encrypted: no scan of the mail as it came can see it
    mailbox.Maildir(path, create=False).add(make_mail(attachments=[(JAPANESE_NAME, mailed, DOCX_TYPE)]))
    poll(workspace)
    [item] = json.loads(workspace.cli("queue", "--json").stdout)
    assert "malware_detected" not in item["open_findings"]
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        page.click(f"text={item['id']}")
        page.fill("form[action$='/unlock'] input[name=password]", PASSWORD)
        page.click("button:has-text('開封')")
        assert "開封しました" in page.locator("p.flash").inner_text()
        assert (
            "テスト株式会社" in page.locator("section.form table.fields").first.inner_text()
        )  # read as ever

        finding = page.locator("table.findings tr.open", has_text="malware_detected")
        assert "マルウェア検知" in finding.inner_text() and FOUND in finding.inner_text()
        scan = page.locator("td.scan").first
        assert f"マルウェア検知: {FOUND}" in scan.inner_text()
        assert scan.locator("a.download").count() == 0  # no plain download is offered
        with page.expect_download() as taken:
            scan.locator("a.sample").click()
        with pyzipper.AESZipFile(io.BytesIO(Path(taken.value.path()).read_bytes())) as zf:
            [info] = zf.infolist()
            assert info.flag_bits & 0x1 and info.filename == JAPANESE_NAME
            zf.setpassword(b"infected")
            assert zf.read(info) == mailed  # the file exactly as it came

        href = scan.locator("a.sample").get_attribute("href")
        page.goto(desk.url + href.replace("/sample.zip", "/file"))  # the plain file, asked for by hand
        assert "取り出せません" in page.locator("h1").inner_text()
        assert FOUND in page.locator("p.refused").inner_text()
    assert page.problems == [f"403 {desk.url}{href.replace('/sample.zip', '/file')}"]


HOSTILE = {
    "subject": "<script>alert('subject')</script>",
    "name": "<img src=x onerror=alert('name')>",
    "file": "<img src=y onerror=alert('file')>.docx",
    "text": 'ご連絡です <a href="javascript:alert(1)">こちら</a> <script>alert("body")</script>',
}


def hostile_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{HOSTILE["name"]}" <attacker@example.com>'
    msg["To"] = "csc-anken@example.jp"
    msg["Subject"] = HOSTILE["subject"]
    msg.set_content(HOSTILE["text"])
    msg.add_alternative(
        f'<html><body><img src="http://evil.example/pixel.png">{HOSTILE["text"]}</body></html>',
        subtype="html",
    )
    msg.add_attachment(
        b"not a form", maintype="application", subtype="octet-stream", filename=HOSTILE["file"]
    )
    return msg.as_bytes()


@contextmanager
def desk_with(workspace, page, raw: bytes) -> Iterator:
    """One message polled from a Maildir (replies held), the desk serving it, staff signed in."""
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    mailbox.Maildir(path, create=False).add(raw)
    assert workspace.cli("init").returncode == 0
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        yield desk


def test_hostile_mail_shows_as_text_and_nothing_of_it_runs(workspace, page):
    with desk_with(workspace, page, hostile_mail()):
        assert HOSTILE["subject"] in page.locator("table.queue").inner_text()
        page.click("table.queue td.id a")
        body = page.locator("main")
        for text in (HOSTILE["subject"], HOSTILE["file"], 'alert("body")', "javascript:alert(1)"):
            assert text in body.inner_text(), text
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert page.problems == []


def test_the_desk_and_the_service_side_by_side_on_500_messages(workspace, page):
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    box = mailbox.Maildir(path, create=False)
    for raw in numbered_mails(500, to="csc-anken@example.jp", sender="報告者 <reporter@example.co.jp>"):
        box.add(raw)
    assert workspace.cli("init").returncode == 0
    config = workspace.config()
    add_staff(config)
    env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(workspace.config_file)}
    with (workspace.root / "run.log").open("wb") as log:
        service = subprocess.Popen(
            [sys.executable, "-m", "intake", "run"], env=env, cwd=workspace.root, stdout=log, stderr=log
        )
    try:
        with desk_server(config) as desk:
            sign_in(page, desk.url)
            deadline = time.monotonic() + 600
            opened = 0
            while _cases(workspace) < 500:
                assert time.monotonic() < deadline, "the backlog was not done in time"
                page.goto(desk.url + "/")
                if page.locator("table.queue td.id a").count():
                    page.locator("table.queue td.id a").first.click()
                    page.fill("textarea[name=text]", f"確認 {opened}")
                    page.click("button:has-text('追加')")
                    opened += 1
            assert opened > 0
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(60)
    assert service.returncode == 0
    assert page.problems == []
    assert "locked" not in (workspace.root / "run.log").read_text(errors="replace").lower()
    assert _cases(workspace) == 500 and os.listdir(path / "new") == []


def _cases(workspace) -> int:
    return len(json.loads(workspace.cli("queue", "--all", "--json").stdout))


# ---- sessions end when they should ---------------------------------------------------------------------


def cookie_of(context: BrowserContext) -> str:
    (value,) = [c["value"] for c in context.cookies() if c["name"] == "intake_desk"]
    return value


def test_signing_out_ends_the_session_wherever_its_cookie_was_copied(workspace, page, browser):
    deliver_application(new_mailbox(workspace))
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        case_id = page.locator("table.queue td.id").first.inner_text()
        copy = browser.new_context(locale="ja-JP")  # another browser holding a copy of the cookie
        copy.add_cookies(page.context.cookies())
        other = copy.new_page()
        other.goto(desk.url + f"/cases/{case_id}")
        assert other.locator("h1.case-id").inner_text() == case_id  # the copy works while the session lasts
        client = desk.client()  # and a script holding it
        client.cookies.set("intake_desk", cookie_of(page.context))
        token = csrf_of(client.get(f"/cases/{case_id}").text)

        page.click("button:has-text('サインアウト')")
        page.wait_for_url(desk.url + "/login")

        other.fill("textarea[name=text]", "サインアウト後のメモ")
        other.click("button:has-text('追加')")
        assert "セッションが終了して" in other.locator("p.flash").inner_text()  # nothing was added
        other.goto(desk.url + "/")
        assert other.url.endswith("/login")
        assert client.post(f"/cases/{case_id}/note", data={"text": "x", "csrf": token}).status_code == 403
        assert client.get(f"/cases/{case_id}").headers["location"] == "/login"
        copy.close()
    assert page.problems == []
    with Session(workspace.engine()) as session:
        assert session.exec(select(Note)).all() == [] and session.exec(select(DeskSession)).all() == []


def test_a_password_changed_on_the_desk_ends_the_accounts_other_sessions_and_keeps_this_one(
    workspace, page, browser
):
    new_mailbox(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        elsewhere = browser.new_context(locale="ja-JP")
        other = elsewhere.new_page()
        sign_in(other, desk.url)
        copied = desk.client()
        copied.cookies.set("intake_desk", cookie_of(elsewhere))
        assert copied.get("/").status_code == 200

        page.click("header a.who")
        assert page.locator("h1").inner_text() == "パスワードの変更"
        change(page, current="Not-The-Password-1", new=NEW_PASSWORD)
        assert "現在のパスワードが違います" in page.locator("p.flash").inner_text()
        change(page, current=STAFF_PASSWORD, new="short")
        assert "10 文字以上" in page.locator("p.flash").inner_text()
        change(page, current=STAFF_PASSWORD, new=NEW_PASSWORD)
        assert "パスワードを変更しました" in page.locator("p.flash").inner_text()

        page.click("nav >> text=キュー")
        assert page.url == desk.url + "/"  # this session goes on
        other.goto(desk.url + "/")
        assert other.url.endswith("/login")  # the other one has ended
        assert copied.get("/").headers["location"] == "/login"  # and so has every copy of its cookie
        assert sign_in_status(desk, STAFF_PASSWORD) == 401
        assert sign_in_status(desk, NEW_PASSWORD) == 303
        elsewhere.close()
    assert page.problems == []


NEW_PASSWORD = "Changed-On-The-Desk-2026"


def change(page: Page, *, current: str, new: str) -> None:
    page.fill("input[name=current]", current)
    page.fill("input[name=new]", new)
    page.fill("input[name=again]", new)
    page.evaluate(
        "document.querySelectorAll('input[minlength]').forEach(i => i.removeAttribute('minlength'))"
    )
    page.click("button:has-text('変更する')")


def sign_in_status(desk, password: str) -> int:
    client = desk.client()
    return desk_sign_in(client, STAFF, password).status_code


@pytest.mark.parametrize(
    ("proxies", "honoured"),
    [([], False), (["10.0.0.1"], False), (["127.0.0.0/8"], True)],
    ids=["no-proxy-by-default", "another-proxy", "trusted-proxy"],
)
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(workspace, page, proxies, honoured):
    """20 wrong sign-ins, each claiming another address; then the right password from yet another."""
    new_mailbox(workspace)
    if proxies:
        workspace.extra += f"\n[desk]\ntrusted_proxies = {json.dumps(proxies)}\n"
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        for n in range(1, 21):
            page.set_extra_http_headers({"X-Forwarded-For": f"198.51.100.{n}"})
            page.goto(desk.url + "/login")
            page.fill("input[name=name]", f"nobody{n}")
            page.fill("input[name=password]", "guess-password")
            page.click("button:has-text('サインイン')")
            assert "ユーザー名またはパスワードが違います" in page.locator("p.flash").inner_text()
        page.problems.clear()  # the 401s above were meant
        page.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
        page.goto(desk.url + "/login")
        page.fill("input[name=name]", STAFF)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button:has-text('サインイン')")
        if honoured:  # each address was counted on its own
            page.wait_for_url(desk.url + "/")
        else:  # all were this host's: the header did not reset its count
            assert "試行回数が多すぎます" in page.locator("p.flash").inner_text()
    with Session(workspace.engine()) as session:
        refused = session.exec(select(AuditEntry).where(AuditEntry.action == "desk_sign_in_refused")).all()
    addresses = {json.loads(entry.detail)["address"] for entry in refused}
    assert addresses == ({f"198.51.100.{n}" for n in range(1, 21)} if honoured else {"127.0.0.1"})


def test_a_password_that_came_by_mail_opens_the_file_with_one_button(workspace, page):
    """The gateway's password mail joined the case: 「このメールのパスワードで開く」 opens the form,
    and the password shows nowhere on the page (masked in the message text too)."""
    path = new_mailbox(workspace)
    deliver_application(path)
    mailbox.Maildir(path, create=False).add(
        make_mail(
            sender="noreply@gw.example.co.jp",
            subject="【パスワード通知】協議会加入申込書の提出について",
            body=f"送信されたファイルのパスワードをお知らせします。\n\n【パスワード】\n{PASSWORD}\n",
        )
    )
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        sign_in(page, desk.url)
        case_id = page.locator("table.queue td.id").first.inner_text()
        page.click(f"text={case_id}")
        assert PASSWORD not in page.locator("body").inner_text() and PASSWORD not in page.content()
        assert "noreply@gw.example.co.jp" in page.locator("form.password-mail").inner_text()
        page.click("button:has-text('このメールのパスワードで開く')")
        assert "のパスワードで開封しました" in page.locator("p.flash").inner_text()
        assert page.locator("td.state").first.inner_text() == "開封済み"
        fields = page.locator("section.form table.fields").first.inner_text()
        assert "テスト株式会社" in fields
        assert PASSWORD not in page.content()
    assert page.problems == []
    audit = workspace.cli("audit", case_id, "--json").stdout
    opened = [e for e in json.loads(audit) if e["action"] == "unlocked"]
    assert [(e["by"], e["detail"]["via"], bool(e["detail"]["message"])) for e in opened] == [
        (STAFF, "staff", True)
    ]
    assert PASSWORD not in audit


def lure_forward() -> bytes:
    """A reporter forwards a phishing mail as an attachment: its numbered steps are evidence."""
    lure = make_mail(
        sender='"<img src=x onerror=alert(1)>" <support@example.com>',
        subject="<script>alert('subject')</script>【重要】アカウント確認",
        body="①添付ファイルをダウンロードしてください\n③本日中にご連絡ください\n",
        attachments=[("invoice.pdf", b"%PDF-1.4 lure", "application/pdf")],
    )
    return make_mail(
        sender="鈴木 一郎 <ichiro.suzuki@example.co.jp>",
        to="csc-anken@example.jp",
        subject="不審メールの報告",
        body="不審なメールが届きましたので転送します。\n",
        attachments=[("lure.eml", lure, "message/rfc822")],
    )


def test_an_attached_message_is_shown_as_one_on_the_case_page(workspace, page):
    with desk_with(workspace, page, lure_forward()):
        page.click("table.queue td.id a")
        attached = page.locator("section.attached-message")
        assert attached.count() == 1
        assert "添付されたメール（lure.eml）" in attached.locator("h3").inner_text()
        assert "本文は送信者の回答としては読み取りません" in attached.inner_text()
        assert (
            attached.locator("dd.subject").inner_text()
            == "<script>alert('subject')</script>【重要】アカウント確認"
        )
        assert (
            attached.locator("dd.from").inner_text() == "<img src=x onerror=alert(1)> <support@example.com>"
        )
        assert attached.locator("dd.files").inner_text() == "invoice.pdf"
        assert "①添付ファイルをダウンロードしてください" in attached.locator("pre.text").inner_text()
        own = page.locator("article.message pre.text").first.inner_text()
        assert own == "不審なメールが届きましたので転送します。"
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        shot(page, "attached-message")
    assert page.problems == []
    (case,) = json.loads(workspace.cli("queue", "--json").stdout)
    # the lure's numbered steps are evidence, not the reporter's answers: all three are still asked
    assert {"secret_designation", "sharing_scope", "external_coordination"} <= set(case["open_findings"])
