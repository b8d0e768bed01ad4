"""Attachments scanned by a real clamd as mail comes in and as files are decrypted, through the real
pipeline (Maildir, ``intake poll``, ``intake unlock``, the desk over HTTP): a detection is a staff
finding naming the signature, never a word of it in a reply, and the desk gives the file only inside
a zip with the password ``infected``. A clamd that is down, hung or refusing a file costs no mail."""

from __future__ import annotations

import io
import json
import mailbox
from urllib.parse import quote

import pytest
import pyzipper
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, OutboxReply, QuarantineEntry
from support.clamd import FOUND, MARKER, MAX_STREAM_MB
from support.clamd import Clamd as ClamdServer
from support.desk import STAFF, add_staff, desk_server
from support.mailfactory import make_mail
from support.office_fixtures import make_aes_zip

INCIDENT = "csc-anken@example.jp"
REPORTER = "鈴木 一郎 <ichiro.suzuki@example.co.jp>"
LURE_NAME = "請求書_2026年11月.html"
LURE = b"<html><body>" + MARKER + b"<script>document.location='http://evil.example/'</script></body></html>"
NOTE_NAME = "経緯メモ.txt"
NOTE = "11月5日 9時頃に受信。開いた端末は1台。\n".encode()
ZIP_PASSWORD = "Kasumi#Zip-2026"


def incident_mailbox(workspace, scan: str):
    """An incident Maildir, replies held, with ``scan`` as the [scan] section."""
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n' + scan
    assert workspace.cli("init").returncode == 0
    return mailbox.Maildir(path, create=False)


def report(*attachments: tuple[str, bytes, str]) -> bytes:
    return make_mail(
        sender=REPORTER,
        to=INCIDENT,
        subject="不審メールの転送（添付あり）",
        body="取引先を装ったメールが届きました。添付を転送します。\n",
        attachments=list(attachments),
    )


def poll(workspace) -> str:
    result = workspace.cli("poll")
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def only_case(workspace) -> dict:
    [item] = json.loads(workspace.cli("queue", "--json").stdout)
    return json.loads(workspace.cli("show", item["id"], "--json").stdout)


def finding(case: dict, code: str) -> dict | None:
    return next((f for f in case["findings"] if f["code"] == code and f["open"]), None)


def attachment(case: dict, name: str) -> dict:
    [found] = [a for a in case["attachments"] if a["filename"] == name]
    return found


def unzip_sample(data: bytes) -> dict[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        [info] = zf.infolist()
        assert info.flag_bits & 0x1, "the sample zip is not encrypted"
        with pytest.raises(RuntimeError):  # no password, no file
            zf.read(info)
        zf.setpassword(b"infected")
        return {info.filename: zf.read(info)}


def test_a_lure_in_an_incident_report_is_a_staff_finding_and_leaves_the_desk_only_zipped(workspace, clamd):
    box = incident_mailbox(workspace, clamd.scan_section)
    box.add(report((LURE_NAME, LURE, "text/html"), (NOTE_NAME, NOTE, "text/plain")))
    poll(workspace)

    case = only_case(workspace)
    found = finding(case, "malware_detected")
    assert found and found["severity"] == "warning"
    assert FOUND in found["message_ja"] and LURE_NAME in found["message_ja"]
    assert FOUND in found["message_en"]
    assert attachment(case, LURE_NAME)["malware"] == [FOUND]
    assert attachment(case, NOTE_NAME)["malware"] == [] and attachment(case, NOTE_NAME)["not_scanned"] == []
    assert finding(case, "attachment_not_scanned") is None
    with Session(workspace.engine()) as session:  # the reporter is asked for 確認①②③ and told nothing of it
        [reply] = session.exec(select(OutboxReply)).all()
    assert FOUND not in reply.body and "マルウェア" not in reply.body and "infected" not in reply.body

    config = workspace.config()
    add_staff(config)
    lure_id, note_id = attachment(case, LURE_NAME)["id"], attachment(case, NOTE_NAME)["id"]
    with desk_server(config) as desk:
        client = desk.signed_in()
        page = client.get(f"/cases/{case['id']}").text
        assert f"/attachments/{lure_id}/sample.zip" in page and f"/attachments/{lure_id}/file" not in page
        assert f"/attachments/{note_id}/file" in page
        refused = client.get(f"/attachments/{lure_id}/file")
        assert refused.status_code == 403 and FOUND in refused.text and "infected" in refused.text
        assert LURE[:20] not in refused.content
        sample = client.get(f"/attachments/{lure_id}/sample.zip")
        assert sample.status_code == 200 and sample.headers["content-type"] == "application/zip"
        assert sample.headers["content-disposition"].startswith("attachment;")
        assert unzip_sample(sample.content) == {LURE_NAME: LURE}  # the file exactly as it came
        plain = client.get(f"/attachments/{note_id}/file")
        assert plain.status_code == 200 and plain.content == NOTE
        assert plain.headers["content-type"] == "application/octet-stream"
        assert plain.headers["content-disposition"] == (
            f"attachment; filename=\"attachment-{note_id}.txt\"; filename*=UTF-8''{quote(NOTE_NAME)}"
        )
    with Session(workspace.engine()) as session:
        taken = session.exec(select(AuditEntry).where(AuditEntry.by == STAFF)).all()
    assert [(e.action, json.loads(e.detail)) for e in taken] == [
        ("sample_downloaded", {"attachment": lure_id}),
        ("attachment_downloaded", {"attachment": note_id}),
    ]


def test_a_lure_hidden_in_a_password_zip_is_found_once_it_is_opened(workspace, clamd):
    box = incident_mailbox(workspace, clamd.scan_section)
    packed = make_aes_zip({"手順書.txt": b"manual\n" + MARKER, "readme.txt": b"clean"}, ZIP_PASSWORD)
    box.add(report(("調査資料.zip", packed, "application/zip")))
    poll(workspace)
    case = only_case(workspace)
    zipped = attachment(case, "調査資料.zip")
    assert zipped["state"] == "password_pending"
    assert finding(case, "malware_detected") is None and zipped["malware"] == []  # clamd cannot see inside

    result = workspace.cli("unlock", str(zipped["id"]), "--password-stdin", input=ZIP_PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    case = only_case(workspace)
    found = finding(case, "malware_detected")
    assert found and "調査資料.zip/手順書.txt" in found["message_ja"] and FOUND in found["message_ja"]
    assert "readme.txt" not in found["message_ja"]
    assert attachment(case, "調査資料.zip")["malware"] == [FOUND]
    shown = workspace.cli("show", case["id"]).stdout
    assert f"マルウェア検知 {FOUND}" in shown and "パスワード infected" in shown


FAILURES = {
    "down": ("cannot be reached", lambda server: None),
    "hung": ("did not answer within 1 s", lambda server: server.freeze()),
    "refusing": ("size limit exceeded", lambda server: None),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_mail_is_processed_when_clamd_cannot_scan_it_and_staff_are_told(workspace, failure):
    said, break_it = FAILURES[failure]
    server = ClamdServer().start()
    try:
        scan = f'\n[scan]\nclamd_socket = "{server.socket}"\ntimeout_seconds = 1\n'
        if failure == "down":
            scan = scan.replace(str(server.socket), str(server.dir / "gone.sock"))
        box = incident_mailbox(workspace, scan)
        big = MARKER + b"\0" * (MAX_STREAM_MB * 1024 * 1024) if failure == "refusing" else LURE
        box.add(report((LURE_NAME, big, "application/octet-stream"), (NOTE_NAME, NOTE, "text/plain")))
        break_it(server)
        output = poll(workspace)
    finally:
        server.stop()
    case = only_case(workspace)  # the report is a case like any other
    assert finding(case, "secret_designation") is not None
    missed = finding(case, "attachment_not_scanned")
    assert missed and LURE_NAME in missed["message_ja"] and said in missed["message_en"]
    assert finding(case, "malware_detected") is None
    assert attachment(case, LURE_NAME)["not_scanned"][0]["reason"].find(said) >= 0
    assert "not scanned" in output and said in output  # and the log says so
    with Session(workspace.engine()) as session:
        assert session.exec(select(QuarantineEntry)).all() == []
        assert len(session.exec(select(OutboxReply)).all()) == 1  # the reporter still gets the checklist


def test_without_a_clamd_socket_nothing_is_scanned_or_said(workspace):
    box = incident_mailbox(workspace, "")
    box.add(report((LURE_NAME, LURE, "text/html")))
    poll(workspace)
    case = only_case(workspace)
    assert finding(case, "malware_detected") is None and finding(case, "attachment_not_scanned") is None
    assert attachment(case, LURE_NAME)["malware"] == []
