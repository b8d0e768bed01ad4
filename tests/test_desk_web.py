"""The web desk over HTTP: what it refuses, what it sends, and what it never keeps.

A real uvicorn serves the desk on loopback over a workspace whose membership mailbox received an
encrypted application (replies held); httpx signs in as a staff account made with the same code
as ``intake user add``.
"""

from __future__ import annotations

import html
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, func, select

from intake import clock
from intake.clock import as_utc
from intake.db.tables import AuditEntry, DeskSession, Note
from intake.desk.register import REGISTER_COLUMNS
from intake.web.app import make_app
from support.desk import STAFF, STAFF_PASSWORD, add_staff, csrf_of, desk_server, sign_in
from support.smtp_server import free_port
from support.unlocking import PASSWORD, WRONG, attachment_rows, deliver_application, new_mailbox, poll


@pytest.fixture
def desk(workspace):
    deliver_application(new_mailbox(workspace))
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as running:
        yield running


def case_and_attachment(workspace) -> tuple[str, int]:
    (row,) = attachment_rows(workspace)
    return row.case_id, row.id


def sample_path(path: str, case_id: str, attachment_id: int) -> str:
    values = {
        "case_id": case_id,
        "attachment_id": str(attachment_id),
        "reply_id": "1",
        "what": "queue",
        "fmt": "csv",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def routes(config) -> list[tuple[str, str]]:
    app = make_app(config=config, engine=None)  # only the routing table is read
    return [
        (method, route.path)
        for route in app.routes
        for method in sorted(getattr(route, "methods", None) or ())
        if method in ("GET", "POST") and route.path not in ("/login",)
    ]


def count(workspace, table) -> int:
    with Session(workspace.engine()) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_every_route_refuses_without_a_session(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.client()
    checked = 0
    for method, path in routes(desk.config):
        url = sample_path(path, case_id, attachment_id)
        response = client.request(method, url, data={"text": "x", "password": PASSWORD, "csrf": "x"})
        if method == "GET":
            assert (response.status_code, response.headers.get("location")) == (303, "/login"), url
        else:
            assert response.status_code == 403, url
        checked += 1
    assert checked >= 12
    assert count(workspace, Note) == 0 and attachment_rows(workspace)[0].attempts == 0


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.signed_in()
    audited = count(workspace, AuditEntry)
    posts = [path for method, path in routes(desk.config) if method == "POST"]
    assert "/cases/{case_id}/note" in posts and "/attachments/{attachment_id:int}/unlock" in posts
    for path in posts:
        url = sample_path(path, case_id, attachment_id)
        for token in (None, "not-the-token"):
            data = {"text": "x", "password": PASSWORD, "status": "closed"} | (
                {"csrf": token} if token else {}
            )
            assert client.post(url, data=data).status_code == 403, (url, token)
    assert (
        count(workspace, AuditEntry) == audited and attachment_rows(workspace)[0].state == "password_pending"
    )
    assert client.get("/").status_code == 200  # still signed in: refusing a form is not signing out


def test_sign_in_is_throttled_per_account_and_per_address(desk):
    client = desk.client()
    for _ in range(5):
        assert sign_in(client, STAFF, "wrong-password-1").status_code == 401
    blocked = sign_in(client, STAFF, STAFF_PASSWORD)
    assert blocked.status_code == 429 and "しばらくしてから" in blocked.text
    assert client.get("/").status_code == 303  # the right password did not sign in
    add_staff(desk.config, "tanaka", "Another-Pass-2026")
    assert sign_in(client, "tanaka", "Another-Pass-2026").status_code == 303  # another account is not blocked
    stranger = desk.client()
    for n in range(20):
        sign_in(stranger, f"nobody{n}", "guess-password")
    assert sign_in(stranger, "tanaka", "Another-Pass-2026").status_code == 429  # this address is


def test_a_session_ends_when_unused_for_the_idle_time_and_when_too_old_however_busy(
    workspace, desk, monkeypatch
):
    client = desk.client()
    cookie = sign_in(client, STAFF, STAFF_PASSWORD).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    real, shift = clock.utcnow, [timedelta()]
    monkeypatch.setattr(clock, "utcnow", lambda: real() + shift[0])
    idle, oldest = (
        timedelta(minutes=desk.config.desk.idle_minutes),
        timedelta(hours=desk.config.desk.session_max_hours),
    )
    step, used = idle - timedelta(minutes=1), 0
    while shift[0] + step <= oldest:  # used within the idle time every time, up to the absolute lifetime
        shift[0] += step
        assert client.get("/").status_code == 200, shift[0]
        wait_for(lambda: last_seen(workspace) >= real() + shift[0] - timedelta(minutes=1))
        used += 1
    shift[0] += step
    assert used > 2 and client.get("/").status_code == 303  # too old, however busy
    again = desk.signed_in()
    assert sessions_of(workspace) == 1  # the sign-in cleared away the session that had ended
    shift[0] += idle + timedelta(minutes=1)
    assert again.get("/").status_code == 303  # unused for longer than the idle time


def last_seen(workspace) -> datetime:
    with Session(workspace.engine()) as session:
        return as_utc(session.exec(select(func.max(DeskSession.last_seen_at))).one())


def sessions_of(workspace) -> int:
    with Session(workspace.engine()) as session:
        return len(session.exec(select(DeskSession)).all())


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def test_cookies_are_secure_behind_an_https_address(workspace):
    new_mailbox(workspace)
    workspace.extra += '\n[desk]\npublic_url = "https://desk.example.jp"\n'
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as running:
        cookie = running.client().get("/login").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie  # a browser sends it back over TLS only


def test_pages_carry_a_script_free_policy_and_are_never_cached(desk):
    client = desk.signed_in()
    for path in ("/login", "/", "/outbox", "/register"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src" not in policy and "default-src 'none'" in policy, path
        assert "unsafe-inline" not in policy and headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_unlocking_in_the_desk_says_the_attempt_and_never_keeps_the_password(workspace, desk, caplog):
    caplog.set_level(logging.DEBUG)
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.signed_in()
    seen = []

    def post(password: str):
        token = csrf_of(client.get(f"/cases/{case_id}").text)
        response = client.post(
            f"/attachments/{attachment_id}/unlock", data={"password": password, "csrf": token}
        )
        page = client.get(response.headers["location"])
        seen.extend([response.headers.get("location", ""), str(response.headers), page.text])
        return page.text

    assert "パスワードが違います（1回目）" in post(WRONG)
    opened = post(PASSWORD)
    assert "開封しました" in opened and "２（１）組織・団体名" in opened and "テスト株式会社" in opened
    assert attachment_rows(workspace)[0].state == "decrypted"
    with Session(workspace.engine()) as session:
        actions = session.exec(
            select(AuditEntry.by, AuditEntry.action).where(AuditEntry.case_id == case_id)
        ).all()
    assert (STAFF, "unlock_refused") in actions and (STAFF, "unlocked") in actions
    files = [p for p in workspace.root.rglob("*") if p.is_file()]
    for secret in (PASSWORD, WRONG):
        assert secret not in "".join(seen) and secret not in caplog.text
        for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
            assert [str(p) for p in files if encoded in p.read_bytes()] == []


def test_status_changes_offer_only_what_is_allowed_and_are_audited_under_the_account(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    page = client.get(f"/cases/{case_id}").text
    offered = re.findall(r'<option value="(\w+)">', page.split('name="status"')[1].split("</select>")[0])
    assert offered == ["waiting_for_sender", "ready_for_review", "rejected", "closed"]  # not accepted yet
    response = client.post(f"/cases/{case_id}/status", data={"status": "closed", "csrf": csrf_of(page)})
    assert response.status_code == 303
    with Session(workspace.engine()) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "status")).one()
    assert entry.by == STAFF and '"to": "closed"' in entry.detail


def test_register_upload_is_checked_like_the_cli_and_downloads_are_files(workspace, desk):
    client = desk.signed_in()
    token = csrf_of(client.get("/register").text)
    bad = "org_name,name\nテスト株式会社,山田\n".encode()
    client.post("/register/import", data={"csrf": token}, files={"file": ("register.csv", bad, "text/csv")})
    said = client.get("/register").text
    cli = workspace.cli("register", "import", str(_write(workspace, bad)))
    assert cli.returncode == 1
    assert cli.stderr.strip().removeprefix("intake: ") in html.unescape(said)  # the same words
    good = (
        ",".join(REGISTER_COLUMNS) + "\nテスト株式会社,,,山田 太郎,taro@example.co.jp,03-1234-5678,要,する\n"
    ).encode()
    client.post("/register/import", data={"csrf": token}, files={"file": ("register.csv", good, "text/csv")})
    assert "登録者 1 名追加" in client.get("/register").text
    export = client.get("/exports/register.csv")
    assert export.status_code == 200 and "taro@example.co.jp" in export.content.decode("utf-8-sig")
    roster = client.get("/exports/roster.xlsx")
    assert roster.status_code == 200 and roster.content.startswith(b"PK")
    assert client.get("/exports/secrets.csv").status_code == 404


def _write(workspace, data: bytes):
    path = workspace.root / "register.csv"
    path.write_bytes(data)
    return path


@pytest.mark.e2e
def test_intake_desk_serves_on_loopback_by_default(workspace):
    new_mailbox(workspace)
    port = free_port()
    workspace.extra += f"\n[desk]\nport = {port}\n"
    workspace.write()
    env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(workspace.config_file)}
    with (workspace.root / "desk.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "intake", "desk"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with httpx.Client() as client:
                    response = client.get(f"http://127.0.0.1:{port}/login")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and server.poll() is None, (
                    workspace.root / "desk.log"
                ).read_text()
                time.sleep(0.1)
        assert response.status_code == 200 and "サインイン" in response.text
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]  # loopback only
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    assert f"http://127.0.0.1:{port}/" in (workspace.root / "desk.log").read_text()


def test_a_failing_mailbox_shows_at_the_top_of_every_page_until_it_recovers(workspace, desk):
    from intake.access import health

    engine, mailbox = workspace.engine(), workspace.config().mailbox[0].name
    said = "login refused for user 'kyogikai' (<b>AUTHENTICATIONFAILED</b>)"  # a server's words: text only
    health.record_failure(engine, f"mailbox:{mailbox}", auth_kind="microsoft", error=said, auth=True)
    client = desk.signed_in()
    for path in ("/", "/outbox", "/register"):
        page = client.get(path).text
        alert = re.search(r'<p class="flash error server-alert" role="alert">(.*?)</p>', page)
        assert alert is not None, path
        assert f"メールボックス {mailbox}: ログインできません（認証エラー）" in html.unescape(alert.group(1))
        assert "&lt;b&gt;AUTHENTICATIONFAILED&lt;/b&gt;" in alert.group(1)
    health.record_success(engine, f"mailbox:{mailbox}", auth_kind="microsoft")
    assert "server-alert" not in client.get("/").text
