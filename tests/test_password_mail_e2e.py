"""The password that comes by mail anyway (issue 24 §4): a gateway's unthreaded password mail joins
the case whose encrypted form waits for it, raises password_in_email there, and staff open the
form with it — through Dovecot and aiosmtpd, the CLI at log level DEBUG, and the desk over HTTP —
while the password stays in that one archived message: no log line, no reply, no database row.
"""

from __future__ import annotations

import functools
import json
import logging
import mailbox
from datetime import datetime, timedelta
from email import message_from_bytes, policy

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from intake.db.tables import Attachment, AuditEntry, Message, PasswordOffer
from intake.forms import write_application
from support.conversation import ACK, JST, MEMBERSHIP, body_of, case_tag, cli_json, delivered, setup
from support.desk import add_staff, csrf_of, desk_server
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME, encrypt_agile
from support.samples import application
from support.smtp_server import smtp_server
from support.unlocking import PASSWORD, SENDER, WRONG, new_mailbox
from support.unlocking import poll as poll_maildir

APPLICANT = f"山田 太郎 <{SENDER}>"  # yamada@example.co.jp
GATEWAY = "noreply@gw.example.co.jp"  # the organisation's mail gateway, a subdomain
REMINDER = "パスワードはメールに記載せず、お電話でお知らせいただきますようお願いいたします"


@functools.cache
def encrypted_form() -> bytes:
    """A complete new application (no secret information asked for: no staff registration due)."""
    return encrypt_agile(write_application(application(receive_secrets="希望しない")), PASSWORD)


def form_mail(sender: str = APPLICANT, *, when: datetime | None = None) -> bytes:
    data = encrypted_form()
    return make_mail(sender=sender, to=MEMBERSHIP, attachments=[(JAPANESE_NAME, data, DOCX_TYPE)], when=when)


def password_mail(sender: str = GATEWAY, *, when: datetime | None = None, subject: str = "") -> bytes:
    """What a mail gateway sends a minute after the file: no thread headers, the password in 【】."""
    body = (
        "本メールは、送信されたファイルのパスワードを通知するため自動送信されています。\n\n"
        f"■ファイル名\n{JAPANESE_NAME}\n\n【パスワード】\n{PASSWORD}\n"
    )
    subject = subject or "【パスワード通知】協議会加入申込書の提出について"
    return make_mail(sender=sender, to=MEMBERSHIP, subject=subject, body=body, when=when)


def debug_log(workspace) -> None:
    """log_level is a top-level key: written before the sections the fixtures add."""
    write = workspace.write

    def write_debug():
        path = write()
        path.write_text('log_level = "DEBUG"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
        return path

    workspace.write = write_debug


def rows_holding(workspace, secret: str) -> list[str]:
    """Every text value of every table that holds ``secret`` ("table.column")."""
    engine = workspace.engine()
    found = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')).mappings():
                found += [
                    f"{table}.{k}" for k, v in row.items() if isinstance(v, (str, bytes)) and _has(v, secret)
                ]
    return found


def _has(value: str | bytes, secret: str) -> bool:
    return secret in value if isinstance(value, str) else secret.encode() in value


def archive_files_holding(workspace, secret: str) -> list[str]:
    """The archived messages holding ``secret``, in their bytes or their decoded text parts."""
    folder = workspace.config().storage.archive_dir
    files = sorted(folder.rglob("*.eml"))
    assert files, folder  # the archive is where it is searched
    return [p.name for p in files if _has(p.read_bytes(), secret) or secret in _decoded(p.read_bytes())]


def _decoded(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=policy.default)
    return "".join(part.get_content() for part in msg.walk() if part.get_content_maintype() == "text")


def logged_poll(workspace, outputs: list[str]) -> dict:
    """``intake poll --json``, its log lines (standard error) kept in ``outputs``."""
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    outputs.append(result.stdout + result.stderr)
    return json.loads(result.stdout)


def message_pk(workspace, case_id: str, sender: str) -> int:
    [found] = [m["id"] for m in cli_json(workspace, "show", case_id)["messages"] if m["from"] == sender]
    return found


def test_gateway_password_mail_joins_the_case_and_staff_open_it_from_the_message(workspace, dovecot):
    debug_log(workspace)
    outputs = []
    with smtp_server() as server:
        _, membership = setup(workspace, dovecot, smtp_port=server.port)
        now = datetime.now(JST)
        membership.append([form_mail(when=now)])
        logged_poll(workspace, outputs)
        [item] = cli_json(workspace, "queue")
        case_id = item["id"]
        assert item["status"] == "waiting_for_password"

        # a minute later, from the gateway's subdomain, no thread headers: it joins, no second case
        membership.append([password_mail(when=now + timedelta(minutes=1))])
        report = logged_poll(workspace, outputs)
        assert report["mailboxes"][1]["created"] == 0 and report["mailboxes"][1]["joined"] == 1
        shown = cli_json(workspace, "show", case_id)
        assert [m["from"] for m in shown["messages"] if m["direction"] == "in"] == [SENDER, GATEWAY]
        assert "password_in_email" in shown["open_findings"]
        assert shown["sender"] == SENDER
        assert delivered(server) == []  # nothing goes while the form waits

        # staff open it with the mail's password, nobody retyping it
        [attachment] = [a["id"] for a in shown["attachments"] if a["state"] == "password_pending"]
        source = message_pk(workspace, case_id, GATEWAY)
        assert shown["password_mails"] == [
            {"id": source, "case_id": case_id, "from": GATEWAY, "offered": False}
        ]
        result = workspace.cli(
            "--by", "staff-tanaka", "unlock", str(attachment), "--from-message", str(source)
        )
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "opened" in result.stdout
        logged_poll(workspace, outputs)

        shown = cli_json(workspace, "show", case_id)
        assert [a["state"] for a in shown["attachments"]] == ["decrypted"]
        assert shown["fields"]["application"]["org_name"]  # the form was read
        [ack] = delivered(server)
        assert case_tag(ack) == case_id and server.handler.received[0].rcpt_tos == [SENDER]
        reply = body_of(ack)
        assert ACK in reply and REMINDER in reply.replace("\n", "")
        assert PASSWORD not in ack.as_string()

    assert "DEBUG" in "".join(outputs)  # the log level did apply
    assert PASSWORD not in "".join(outputs)
    assert rows_holding(workspace, PASSWORD) == []
    assert "message.from_addr" in rows_holding(workspace, GATEWAY)  # the search does see the rows
    with Session(workspace.engine()) as s:
        gateway_mail = s.get(Message, source)
        unlocked = [json.loads(e.detail) for e in s.exec(select(AuditEntry)) if e.action == "unlocked"]
    assert archive_files_holding(workspace, PASSWORD) == [f"{gateway_mail.sha256}.eml"]
    assert [(e["via"], e["message"]) for e in unlocked] == [("staff", source)]


def test_desk_opens_the_file_with_the_mails_password(workspace, caplog):
    caplog.set_level(logging.DEBUG)
    path = new_mailbox(workspace)
    now = datetime.now(JST)
    mailbox.Maildir(path, create=False).add(form_mail(when=now))
    mailbox.Maildir(path, create=False).add(password_mail(when=now + timedelta(minutes=1)))
    poll_maildir(workspace)
    [item] = cli_json(workspace, "queue")
    case_id = item["id"]
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        client = desk.signed_in()
        page = client.get(f"/cases/{case_id}").text
        assert "このメールのパスワードで開く" in page and PASSWORD not in page
        [attachment] = [a.id for a in _attachments(workspace)]
        source = message_pk(workspace, case_id, GATEWAY)
        sent = client.post(
            f"/attachments/{attachment}/unlock-from-message",
            data={"csrf": csrf_of(page), "message": str(source)},
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"/cases/{case_id}"
        after = client.get(f"/cases/{case_id}").text
        assert "のパスワードで開封しました" in after and PASSWORD not in after
    assert [a.state for a in _attachments(workspace)] == ["decrypted"]
    assert PASSWORD not in caplog.text
    assert rows_holding(workspace, PASSWORD) == []


def _attachments(workspace) -> list[Attachment]:
    with Session(workspace.engine()) as s:
        return list(s.exec(select(Attachment).order_by(Attachment.id)))


def arrive_in_turn(workspace, *mails: bytes, debug: bool = False) -> None:
    """A Maildir membership mailbox; each mail delivered and polled in turn."""
    box = mailbox.Maildir(new_mailbox(workspace, debug=debug), create=False)
    for mail in mails:
        box.add(mail)
        poll_maildir(workspace)


def test_password_mail_first_then_the_form_joins_its_case(workspace):
    now = datetime.now(JST)
    arrive_in_turn(workspace, password_mail(when=now), form_mail(when=now + timedelta(minutes=2)))
    cases = cli_json(workspace, "queue") + cli_json(workspace, "queue", "--robots")
    assert len({c["id"] for c in cases}) == 1
    shown = cli_json(workspace, "show", cases[0]["id"])
    assert {m["from"] for m in shown["messages"] if m["direction"] == "in"} == {GATEWAY, SENDER}
    assert shown["sender"] == SENDER  # replies go to the applicant, not to the gateway
    assert "password_in_email" in shown["open_findings"]
    source = message_pk(workspace, shown["id"], GATEWAY)
    [attachment] = [a["id"] for a in shown["attachments"]]
    result = workspace.cli("unlock", str(attachment), "--from-message", str(source))
    assert result.returncode == 0, result.stdout + result.stderr


def test_another_organisations_password_mail_does_not_join(workspace):
    now = datetime.now(JST)
    other = password_mail("noreply@gw.other.co.jp", when=now + timedelta(minutes=1))
    arrive_in_turn(workspace, form_mail(when=now), other)
    with Session(workspace.engine()) as s:
        messages = list(s.exec(select(Message).order_by(Message.id)))
        offers = list(s.exec(select(PasswordOffer)))
    assert len({m.case_id for m in messages}) == 2 and offers == []
    [attachment] = _attachments(workspace)
    # and the form cannot be opened with that other organisation's mail
    result = workspace.cli("unlock", str(attachment.id), "--from-message", str(messages[1].id))
    assert (
        result.returncode != 0 and "not a mail carrying a password of case" in result.stdout + result.stderr
    )
    assert _attachments(workspace)[0].state == "password_pending" and _attachments(workspace)[0].attempts == 0


def test_two_waiting_cases_the_password_is_offered_on_each_and_applied_to_none(workspace):
    path = new_mailbox(workspace)
    now = datetime.now(JST)
    box = mailbox.Maildir(path, create=False)
    box.add(form_mail("佐藤 <sato@example.co.jp>", when=now))
    box.add(form_mail("鈴木 <suzuki@example.co.jp>", when=now + timedelta(seconds=30)))
    poll_maildir(workspace)
    box.add(password_mail(when=now + timedelta(minutes=1)))
    poll_maildir(workspace)
    with Session(workspace.engine()) as s:
        messages = list(s.exec(select(Message).order_by(Message.id)))
        offers = sorted(o.case_id for o in s.exec(select(PasswordOffer)))
    waiting = sorted({m.case_id for m in messages[:2]})
    own_case = messages[2].case_id
    assert own_case not in waiting  # a case of its own
    assert offers == waiting and all(o.message_pk == messages[2].id for o in _offers(workspace))
    assert [a.state for a in _attachments(workspace)] == ["password_pending", "password_pending"]
    assert all(a.attempts == 0 for a in _attachments(workspace))  # applied to none by itself
    assert cli_json(workspace, "show", own_case)["password_mail_offered_on"] == waiting
    for case_id in waiting:
        [offered] = cli_json(workspace, "show", case_id)["password_mails"]
        assert offered == {"id": messages[2].id, "case_id": own_case, "from": GATEWAY, "offered": True}
    # staff choose: the offered mail opens the one they name
    first = _attachments(workspace)[0]
    result = workspace.cli("unlock", str(first.id), "--from-message", str(messages[2].id))
    assert result.returncode == 0, result.stdout + result.stderr
    assert [a.state for a in _attachments(workspace)] == ["decrypted", "password_pending"]


def test_the_senders_own_case_is_chosen_among_several(workspace):
    path = new_mailbox(workspace)
    now = datetime.now(JST)
    box = mailbox.Maildir(path, create=False)
    box.add(form_mail("佐藤 <sato@example.co.jp>", when=now))
    box.add(form_mail(APPLICANT, when=now + timedelta(seconds=30)))
    poll_maildir(workspace)
    box.add(password_mail(SENDER, when=now + timedelta(minutes=1), subject="パスワードのお知らせ"))
    poll_maildir(workspace)
    with Session(workspace.engine()) as s:
        case_of = {(m.from_addr, m.password_in_text): m.case_id for m in s.exec(select(Message))}
    assert case_of[(SENDER, True)] == case_of[(SENDER, False)] != case_of[("sato@example.co.jp", False)]
    assert _offers(workspace) == []


def _offers(workspace) -> list[PasswordOffer]:
    with Session(workspace.engine()) as s:
        return list(s.exec(select(PasswordOffer)))


def test_a_password_mail_past_password_mail_hours_does_not_join(workspace):
    path = new_mailbox(workspace)
    workspace.extra += "\n[unlock]\npassword_mail_hours = 1\n"
    box = mailbox.Maildir(path, create=False)
    box.add(form_mail())
    poll_maildir(workspace)
    with Session(workspace.engine()) as s:  # the form came two hours ago
        [form] = s.exec(select(Message)).all()
        form.received_at = form.received_at - timedelta(hours=2)
        s.add(form)
        s.commit()
    box.add(password_mail())
    poll_maildir(workspace)
    with Session(workspace.engine()) as s:
        assert len({m.case_id for m in s.exec(select(Message))}) == 2


def test_a_wrong_password_in_the_mail_counts_an_attempt_and_the_file_stays_pending(workspace):
    wrong = make_mail(sender=SENDER, to=MEMBERSHIP, subject="パスワード", body=f"パスワード：{WRONG}\n")
    arrive_in_turn(workspace, form_mail(), wrong, debug=True)
    [attachment] = _attachments(workspace)
    with Session(workspace.engine()) as s:
        [source] = [m.id for m in s.exec(select(Message)) if m.password_in_text]
    result = workspace.cli("unlock", str(attachment.id), "--from-message", str(source))
    assert result.returncode == 3, result.stdout + result.stderr
    assert WRONG not in result.stdout + result.stderr
    [after] = _attachments(workspace)
    assert after.state == "password_pending" and after.attempts == 1
    with Session(workspace.engine()) as s:
        refused = [json.loads(e.detail) for e in s.exec(select(AuditEntry)) if e.action == "unlock_refused"]
    assert refused == [{"attachment": attachment.id, "via": "staff", "message": source, "attempt": 1}]
    assert rows_holding(workspace, WRONG) == []
