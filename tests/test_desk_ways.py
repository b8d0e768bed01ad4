"""No dead ends on the desk, over HTTP: a case that does not exist is a page in Japanese with the
way back; every action, done or refused, returns to the case it was taken on with its message at
the top; a session that ended while staff typed keeps what they typed through the sign-in.

A real uvicorn serves the desk over a workspace whose membership mailbox received an encrypted
application (replies held); httpx plays the browser.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from sqlmodel import Session, delete, func, select

from intake.db.tables import AuditEntry, DeskSession, Note
from support.desk import STAFF, STAFF_PASSWORD, add_staff, csrf_of, desk_server, sign_in
from support.office_fixtures import JAPANESE_NAME
from support.unlocking import (
    PASSWORD,
    WRONG,
    attachment_rows,
    deliver_application,
    encrypted_application,
    new_mailbox,
    poll,
)


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


def flash_of(page: str) -> str:
    found = re.search(r'<p class="flash[^"]*" role="(?:status|alert)">(.*?)</p>', page, re.S)
    assert found, "no message at the top of the page"
    return html.unescape(found.group(1))


def links_of(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', page)


def notes(workspace) -> list[str]:
    with Session(workspace.engine()) as session:
        return list(session.exec(select(Note.text)))


def end_sessions(workspace) -> None:
    """What the idle time does to a session: the database no longer knows it."""
    with Session(workspace.engine()) as session:
        session.exec(delete(DeskSession))
        session.commit()


# ---- pages that are not there ---------------------------------------------------------------------


def test_an_unknown_case_is_a_japanese_404_with_the_way_back(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    unknown = client.get("/cases/KYOGIKAI-2026-9999")
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    assert "案件 KYOGIKAI-2026-9999 はありません" in unknown.text
    assert "/" in links_of(unknown.text) and "Not Found" not in unknown.text
    assert "default-src 'none'" in unknown.headers["content-security-policy"]

    lower = client.get(f"/cases/{case_id.lower()}")
    assert lower.status_code == 404 and f"案件 {case_id.lower()} はありません" in lower.text
    assert f"/cases/{case_id}" in links_of(lower.text) and f"案件 {case_id} を開く" in lower.text

    for path in ("/no/such/page", "/attachments/999999/file", "/exports/nothing.csv"):
        response = client.get(path)
        assert response.status_code == 404 and "見つかりません" in response.text, path
        assert "/" in links_of(response.text), path
    merge = client.get("/cases/KYOGIKAI-2026-9999/merge?into=" + case_id)
    assert merge.status_code == 404 and "見つかりません" in merge.text


def test_an_action_on_an_unknown_case_comes_back_to_the_404_page_in_japanese(desk):
    client = desk.signed_in()
    token = csrf_of(client.get("/").text)
    response = client.post("/cases/KYOGIKAI-2026-9999/note", data={"text": "メモ", "csrf": token})
    assert (response.status_code, response.headers["location"]) == (303, "/cases/KYOGIKAI-2026-9999")
    page = client.get(response.headers["location"])
    assert page.status_code == 404 and "案件 KYOGIKAI-2026-9999 はありません" in page.text


# ---- every action returns to its case -------------------------------------------------------------


def test_every_action_done_or_refused_returns_to_its_case_with_the_message_at_the_top(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.signed_in()
    here = f"/cases/{case_id}"
    posts = [
        (f"{here}/note", {"text": "電話で確認済み"}, "メモを追加しました"),
        (f"{here}/note", {"text": " "}, "メモの内容を入力してください"),
        (f"{here}/status", {"status": "accepted"}, "受理できません"),
        (f"{here}/take", {}, "このケースを担当します"),
        (f"{here}/assign", {"owner": "nobody-here"}, "デスクの利用者はいません"),
        (f"{here}/assign", {"owner": ""}, "担当者を外しました"),
        (f"/attachments/{attachment_id}/unlock", {"password": WRONG}, "パスワードが違います（1回目）"),
        (f"/attachments/{attachment_id}/unlock-from-message", {"message": "x"}, "メールを選んでください"),
        (f"/attachments/{attachment_id}/unlock-from-message", {"message": "99999"}, ""),
        (f"{here}/split", {}, ""),
    ]
    for path, data, said in posts:
        token = csrf_of(client.get(here).text)
        response = client.post(path, data=data | {"csrf": token}, headers={"referer": f"{desk.url}/outbox"})
        assert (response.status_code, response.headers["location"]) == (303, here), path
        page = client.get(here)
        assert page.status_code == 200 and said in flash_of(page.text), (path, flash_of(page.text))


def test_a_refused_csrf_token_offers_the_way_back_to_the_case(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.signed_in()
    for path in (f"/cases/{case_id}/note", f"/attachments/{attachment_id}/unlock"):
        refused = client.post(path, data={"text": "x", "csrf": "not-the-token"})
        assert refused.status_code == 403 and f"/cases/{case_id}" in links_of(refused.text), path


# ---- a session that ended while staff typed ---------------------------------------------------------

NOTE = "山田様より電話。\n来週、訂正した申込書を送るとのこと。<b>太字</b>"


def test_a_note_typed_as_the_session_ended_comes_back_after_signing_in(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    token = csrf_of(client.get(f"/cases/{case_id}").text)
    end_sessions(workspace)

    refused = client.post(f"/cases/{case_id}/note", data={"text": NOTE, "csrf": token})
    assert refused.status_code == 403 and 'action="/login"' in refused.text
    assert "入力していた内容をフォームに戻します" in refused.text
    assert "山田様より電話" not in refused.text  # the draft stays on the server, not in the page
    assert notes(workspace) == []

    signed = sign_in(client, STAFF, STAFF_PASSWORD)
    assert (signed.status_code, signed.headers["location"]) == (303, f"/cases/{case_id}")
    page = client.get(f"/cases/{case_id}")
    assert "入力していた内容をフォームに戻しました" in flash_of(page.text)
    textarea = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert textarea and html.unescape(textarea.group(1)) == NOTE
    assert notes(workspace) == []  # nothing was sent on their behalf

    sent = client.post(f"/cases/{case_id}/note", data={"text": NOTE, "csrf": csrf_of(page.text)})
    assert sent.status_code == 303 and notes(workspace) == [NOTE.strip()]
    again = client.get(f"/cases/{case_id}").text
    assert re.search(r'<textarea name="text"[^>]*></textarea>', again)  # the draft was used once


def test_a_reply_typed_as_the_session_ended_comes_back_with_its_recipient_and_body(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    token = csrf_of(client.get(f"/cases/{case_id}").text)
    end_sessions(workspace)
    body = "山田様\n\nお申込みありがとうございます。\n訂正をお願いいたします。"
    form = {"csrf": token, "to": "yamada@example.co.jp", "cc": "sato@example.co.jp", "body": body}
    upload = {"file": ("訂正.txt", "メモ".encode(), "text/plain")}
    assert client.post(f"/cases/{case_id}/reply", data=form, files=upload).status_code == 403
    sign_in(client, STAFF, STAFF_PASSWORD)
    page = client.get(f"/cases/{case_id}").text
    reply = page.split('class="send-reply"')[1]
    assert (
        html.unescape(re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', reply, re.S).group(1)) == body
    )
    assert 'value="sato@example.co.jp"' in reply and 'value="yamada@example.co.jp"' in reply
    assert "添付するファイルはもう一度選んでください" in flash_of(page)


def test_a_page_opened_after_the_session_ended_comes_back_after_signing_in(workspace, desk):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    end_sessions(workspace)
    assert client.get(f"/cases/{case_id}?template=").headers["location"] == "/login"
    signed = sign_in(client, STAFF, STAFF_PASSWORD)
    assert signed.headers["location"] == f"/cases/{case_id}?template="


def test_a_form_from_elsewhere_keeps_nothing_and_never_passes_a_password_on(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    stranger = desk.client()  # no cookie of an earlier session: nothing of the body is read
    stranger.get("/login")
    refused = stranger.post(f"/cases/{case_id}/note", data={"text": "いたずら", "csrf": "guess"})
    assert refused.status_code == 403 and "セッションが終了しています" in refused.text
    sign_in(stranger, STAFF, STAFF_PASSWORD)
    assert "いたずら" not in stranger.get(f"/cases/{case_id}").text

    client = desk.signed_in()
    token = csrf_of(client.get(f"/cases/{case_id}").text)
    end_sessions(workspace)
    unlock = client.post(f"/attachments/{attachment_id}/unlock", data={"password": WRONG, "csrf": token})
    assert unlock.status_code == 403 and 'action="/login"' in unlock.text and WRONG not in unlock.text
    signed = sign_in(client, STAFF, STAFF_PASSWORD)
    assert signed.headers["location"] == f"/cases/{case_id}"  # the way back, without a draft
    page = client.get(f"/cases/{case_id}").text
    assert WRONG not in page and attachment_rows(workspace)[0].attempts == 0

    token = csrf_of(page)
    end_sessions(workspace)
    wrong = client.post(f"/cases/{case_id}/note", data={"text": "別のタブから", "csrf": "not-it"})
    assert wrong.status_code == 403 and 'action="/login"' not in wrong.text
    sign_in(client, STAFF, STAFF_PASSWORD)
    assert "別のタブから" not in client.get(f"/cases/{case_id}").text
    with Session(workspace.engine()) as session:
        assert session.exec(select(func.count()).select_from(Note)).one() == 0


# ---- attachments leave the desk as files --------------------------------------------------------------


def open_on_the_desk(client, case_id: str, attachment_id: int) -> str:
    token = csrf_of(client.get(f"/cases/{case_id}").text)
    opened = client.post(f"/attachments/{attachment_id}/unlock", data={"password": PASSWORD, "csrf": token})
    assert opened.headers["location"] == f"/cases/{case_id}"
    page = client.get(f"/cases/{case_id}").text
    assert "開封しました" in flash_of(page)
    return page


def is_attachment(response, name: str) -> None:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="attachment-') and response.status_code == 200
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_original_and_the_kept_decrypted_form_download_as_files(workspace):
    path = new_mailbox(workspace)
    workspace.extra = "keep_decrypted = true\n" + workspace.extra
    deliver_application(path)
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    case_id, attachment_id = case_and_attachment(workspace)
    with desk_server(config) as desk:
        client = desk.signed_in()
        original = client.get(f"/attachments/{attachment_id}/file")
        is_attachment(original, JAPANESE_NAME)
        assert original.content == encrypted_application(PASSWORD)  # the bytes that were mailed

        page = open_on_the_desk(client, case_id, attachment_id)
        (link,) = re.findall(r'href="(/attachments/\d+/decrypted/\d+)"', page)
        decrypted = client.get(link)
        is_attachment(decrypted, JAPANESE_NAME)
        (kept,) = (workspace.root / "messages" / "decrypted").iterdir()
        assert decrypted.content == kept.read_bytes() and decrypted.content.startswith(b"PK")
        assert zipfile.ZipFile(io.BytesIO(decrypted.content)).read("word/document.xml")
        assert decrypted.content != original.content
        assert client.get(f"/attachments/{attachment_id}/decrypted/2").status_code == 404
    with Session(workspace.engine()) as session:
        done = session.exec(select(AuditEntry.action).where(AuditEntry.by == STAFF)).all()
    assert "attachment_downloaded" in done and "decrypted_downloaded" in done


def test_without_kept_copies_the_case_says_only_the_original_can_be_taken(workspace, desk):
    case_id, attachment_id = case_and_attachment(workspace)
    client = desk.signed_in()
    page = open_on_the_desk(client, case_id, attachment_id)
    assert "/decrypted/" not in page and "取り出せるのは受信したままの暗号化されたファイルだけです" in page
    refused = client.get(f"/attachments/{attachment_id}/decrypted/1")
    assert refused.status_code == 404 and "復号したファイルは保存されていません" in refused.text
    assert f"/cases/{case_id}" in links_of(refused.text)
    is_attachment(client.get(f"/attachments/{attachment_id}/file"), JAPANESE_NAME)


def test_a_bug_is_a_japanese_page_with_the_way_back_never_a_bare_500(workspace, desk, monkeypatch):
    case_id, _ = case_and_attachment(workspace)
    client = desk.signed_in()
    from intake.secretariat import views

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "case_detail", broken)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 500 and "処理できませんでした" in response.text
    assert "/" in links_of(response.text) and "a bug" not in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    wrong = desk.signed_in().put(f"/cases/{case_id}")  # (uvicorn closes a connection after a bug)
    assert wrong.status_code == 405 and "見つかりません" in wrong.text
