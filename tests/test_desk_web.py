"""The web desk over HTTP: what it refuses, what it sends, and what it never keeps.

A real uvicorn serves the desk on loopback over a workspace whose membership mailbox received an
encrypted application (replies held); httpx signs in as a staff account made with the same code
as ``intake user add``.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, func, select

from intake import clock
from intake.clock import as_utc
from intake.db.tables import AuditEntry, DeskSession, DeskUser, Note
from intake.desk.app import make_app
from intake.secretariat.register import REGISTER_COLUMNS
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
        "entry_id": "1",
        "n": "1",
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
    japanese = cli.stderr.strip().removeprefix("intake: ").split(" (", 1)[0]  # the English line follows it
    assert "見出し「corporate_number」の列がありません" in japanese
    assert japanese in html.unescape(said)  # the same words
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


def test_forty_sign_ins_at_once_check_at_most_five_passwords_in_two_desks_and_after_a_restart(
    workspace, desk
):
    """Two desk servers on one database, 20 wrong sign-ins each, all released at once: a password
    is checked (and its refusal audited) only for the first five tries of the account."""
    with desk_server(desk.config) as second:
        clients = [server.client() for server in (desk, second) for _ in range(20)]
        tokens = [csrf_of(client.get("/login").text) for client in clients]
        start = threading.Barrier(len(clients))

        def attempt(n: int) -> int:
            start.wait()
            data = {"name": STAFF, "password": f"wrong-password-{n}", "csrf": tokens[n]}
            return clients[n].post("/login", data=data).status_code

        with ThreadPoolExecutor(len(clients)) as pool:
            codes = list(pool.map(attempt, range(len(clients))))
    with Session(workspace.engine()) as session:
        checked = session.exec(select(AuditEntry).where(AuditEntry.action == "desk_sign_in_refused")).all()
    assert sorted(set(codes)) == [401, 429] and codes.count(401) == len(checked) == 5
    assert {json.loads(e.detail)["account"] for e in checked} == {STAFF}
    with desk_server(desk.config) as restarted:  # the count is in the database, not in a process
        assert sign_in(restarted.client(), STAFF, STAFF_PASSWORD).status_code == 429


def test_intake_user_passwd_and_disable_end_the_accounts_desk_sessions(workspace, desk):
    add_staff(desk.config, "tanaka", "Another-Pass-2026")
    first, second, other = desk.signed_in(), desk.signed_in(), desk.signed_in("tanaka", "Another-Pass-2026")
    changed = workspace.cli("user", "passwd", STAFF, "--password-stdin", input="Changed-Pass-2026\n")
    assert changed.returncode == 0 and "desk sessions ended: 2" in changed.stdout
    assert first.get("/").status_code == second.get("/").status_code == 303  # to the sign-in page
    assert other.get("/").status_code == 200  # another account's session goes on
    assert sign_in(desk.client(), STAFF, STAFF_PASSWORD).status_code == 401
    again = desk.signed_in(STAFF, "Changed-Pass-2026")
    disabled = workspace.cli("user", "disable", STAFF)
    assert disabled.returncode == 0 and "desk sessions ended: 1" in disabled.stdout
    assert again.get("/").status_code == 303
    with Session(workspace.engine()) as session:
        assert [row.user_id for row in session.exec(select(DeskSession))] == [
            session.exec(select(DeskUser.id).where(DeskUser.name == "tanaka")).one()
        ]


def test_after_a_refused_action_the_desk_goes_to_a_fixed_page_never_to_the_referer(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    token = csrf_of(client.get(f"/cases/{case_id}").text)
    for referer in (
        "https://phish.example.com/desk",
        f"{desk.url}/outbox",
        f"{desk.url}//phish.example.com/",
    ):
        response = client.post(
            f"/cases/{case_id}/note", data={"text": " ", "csrf": token}, headers={"referer": referer}
        )
        assert (response.status_code, response.headers["location"]) == (303, f"/cases/{case_id}"), referer
    assert "メモの内容を入力してください。" in client.get(f"/cases/{case_id}").text


# ---- request bodies: never read without a session, never more than their bound ----------------------

HUGE = 300 * 1024 * 1024


def post_huge(desk, path: str, *, chunked: bool, cookie: str = "") -> tuple[str, int]:
    """POST a 300 MB body as fast as the server takes it; stop at its answer or when it closes.
    Returns the status line and how many bytes of the body were sent."""
    port = int(desk.url.rsplit(":", 1)[1])
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: multipart/form-data; boundary=b"]
    head += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {HUGE}"]
    head += [f"Cookie: intake_desk={cookie}"] if cookie else []
    piece = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    piece = piece.ljust(256 * 1024, b"x")
    if chunked:
        piece = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        watch = selectors.DefaultSelector()
        watch.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        deadline = time.monotonic() + 120
        while b"\r\n" not in answer and sent < HUGE and time.monotonic() < deadline:
            events = {mask for _key, mask in watch.select(1)}
            try:
                if any(mask & selectors.EVENT_READ for mask in events):
                    answer += sock.recv(65536) or b"\r\n"
                elif events:
                    sent += sock.send(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server closed: its answer, if any, is already here
        watch.close()
        answer += _rest(sock) if b"\r\n" not in answer else b""
    return answer.split(b"\r\n", 1)[0].decode(), sent


def _rest(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/register/import", "/cases/X/note", "/login"])
def test_a_large_body_without_a_session_is_refused_before_it_is_read(desk, path, chunked):
    status, sent = post_huge(desk, path, chunked=chunked)
    assert status == "HTTP/1.1 403 Forbidden"
    assert sent < HUGE // 10  # what the sockets' buffers hold, not the body


def test_a_signed_in_upload_is_read_only_up_to_max_upload_mb(workspace, desk):
    client = desk.signed_in()
    cookie = client.cookies["intake_desk"]
    status, sent = post_huge(desk, "/register/import", chunked=False, cookie=cookie)
    assert status == "HTTP/1.1 413 Request Entity Too Large" and sent < HUGE // 10  # refused on its length
    status, sent = post_huge(desk, "/register/import", chunked=True, cookie=cookie)
    assert status == "HTTP/1.1 413 Request Entity Too Large" and sent < HUGE // 10  # refused once past 10 MB
    limit = int(desk.config.desk.max_upload_mb * 1024 * 1024)
    token = csrf_of(client.get("/register").text)
    big = {"file": ("register.csv", b"x" * (limit + 1), "text/csv")}
    refused = client.post("/register/import", data={"csrf": token}, files=big)
    assert refused.status_code == 413 and "送信された内容が大きすぎます（10 MB まで）" in refused.text
    note = client.post("/cases/X/note", data={"csrf": token, "text": "x" * (2 * 1024 * 1024)})
    assert note.status_code == 413 and "（1 MB まで）" in note.text  # an ordinary form has a small bound
    assert count(workspace, Note) == 0 and client.get("/").status_code == 200  # still signed in


# ---- a database held by another program -----------------------------------------------------------


@contextmanager
def notes_held(workspace) -> Iterator[None]:
    """Another program holds what a note writes: SQLite's write lock, or PostgreSQL's note table
    against writers (readers go on)."""
    engine = create_engine(workspace.database)
    try:
        with engine.connect() as other:
            if engine.dialect.name == "sqlite":
                other.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                other.exec_driver_sql("BEGIN")
                other.exec_driver_sql("LOCK TABLE note IN EXCLUSIVE MODE")
            yield
            other.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


def test_a_note_the_database_cannot_take_now_is_said_in_japanese_and_kept_nowhere(workspace):
    deliver_application(new_mailbox(workspace))
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    config = config.model_copy(
        update={"storage": config.storage.model_copy(update={"lock_timeout_seconds": 1})}
    )
    case_id, _ = case_and_attachment(workspace)
    with desk_server(config) as running:
        client = running.signed_in()
        token = csrf_of(client.get(f"/cases/{case_id}").text)
        with notes_held(workspace):
            response = client.post(f"/cases/{case_id}/note", data={"text": "電話で確認済み", "csrf": token})
        page = client.get(f"/cases/{case_id}").text
        again = client.post(f"/cases/{case_id}/note", data={"text": "電話で確認済み", "csrf": token})
    assert (response.status_code, response.headers["location"]) == (303, f"/cases/{case_id}")
    assert "データベースがほかの処理で使用中のため、保存できませんでした" in html.unescape(page)
    assert again.status_code == 303 and count(workspace, Note) == 1  # once free, the same note goes in


def test_the_case_page_marks_quoted_and_forwarded_parts_and_escapes_them(workspace):
    import mailbox as maildir_box

    from support.mailfactory import make_mail

    workspace.extra = '[replies]\nmode = "hold"\n'
    path = workspace.add_maildir()  # the incident mailbox
    assert workspace.cli("init").returncode == 0
    body = (
        "不審なメールを転送します。秘密指定は不要です。\n\n"
        "---------- Forwarded message ---------\n"
        "From: 経理部 <billing@invoice-check.example.com>\n"
        "Subject: <b>請求書</b>\n\n"
        "①<script>alert(1)</script>をダウンロードしてください\n"
    )
    maildir_box.Maildir(path, create=False).add(
        make_mail(
            sender="山田 <taro@example.co.jp>", to="csc-anken@example.jp", subject="Fwd: 請求書", body=body
        )
    )
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as running:
        client = running.signed_in()
        queue = client.get("/").text
        case_id = re.search(r"/cases/([A-Z]+-[0-9-]+)", queue).group(1)
        page = client.get(f"/cases/{case_id}").text
    assert '<div class="segment" data-kind="new">' in page
    assert '<div class="segment" data-kind="forward">' in page
    assert "転送されたメール（証拠として表示。回答としては読みません）" in page
    assert "件名: &lt;b&gt;請求書&lt;/b&gt;" in page and "<b>請求書</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
