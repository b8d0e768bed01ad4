"""Staff replies (``intake reply``) through the real pipeline: a report delivered to a Maildir,
``intake poll``, the reply written from the case, ``intake send`` to a real aiosmtpd — judged by
what the SMTP server received. Also the secretariat's templates checked at start-up, the Q7 notice
listing exactly the organisation's system users, and the four-eyes release under staff_review."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, select

from intake.cases.organisations import org_key
from intake.db.tables import AuditEntry, Case, Organisation, OutboxReply, RegisteredPerson
from intake.resources import default_rules_dir
from support.mailfactory import make_mail
from support.smtp_server import OUR_INCIDENT, OUR_MEMBERSHIP, configure, smtp_server

REPORTER = "taro.yamada@example.co.jp"
REPORT_ID = "<report-1@mail.example.co.jp>"
EVIDENCE = bytes(range(256)) * 64  # 16 KiB that no text transfer would keep intact
HOSTILE = '不審なメールの本文です。\n<script>alert("x")</script><b>太字</b> & 記号\n'


def deliver(workspace, *, mailbox_name="anken", to=OUR_INCIDENT, **mail) -> None:
    path = workspace.root / "maildir" / mailbox_name
    mailbox.Maildir(path, create=False).add(make_mail(to=to, **mail))


def poll(workspace) -> None:
    result = workspace.cli("poll")
    assert result.returncode == 0, result.stderr


def cli_json(workspace, *args: str):
    result = workspace.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def reported_case(workspace, port: int, *, replies_extra: str = "", cap: int = 5) -> str:
    """An incident report with a file, polled (its automatic reply sent); returns the case id."""
    configure(workspace, port=port, replies_extra=replies_extra, cap=cap)
    assert workspace.cli("init").returncode == 0
    deliver(
        workspace,
        sender=f"山田 太郎 <{REPORTER}>",
        subject="不審メールの受信について",
        body=HOSTILE,
        message_id=REPORT_ID,
        attachments=[("受信ログ.bin", EVIDENCE, "application/octet-stream")],
    )
    poll(workspace)
    [case] = cli_json(workspace, "queue")
    return case["id"]


def staff_deliveries(server) -> list:
    return [d for d in server.handler.received if d.message["Auto-Submitted"] is None]


def test_a_staff_reply_is_a_person_s_mail_threaded_with_cc_the_quote_and_the_case_s_file(workspace):
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port)
        assert len(server.handler.received) == 1  # the automatic checklist
        [file] = cli_json(workspace, "show", case_id)["attachments"]
        queued = workspace.cli(
            "--by", "suzuki", "reply", case_id, "--template", "thanks",
            "--cc", "kanri@example.co.jp", "--quote", "--attach", str(file["id"]), "--json",
        )  # fmt: skip
        assert queued.returncode == 0, queued.stderr
        reply = json.loads(queued.stdout)
        assert reply["state"] == "queued" and reply["author"] == "suzuki"
        assert workspace.cli("send").returncode == 0
    [delivery] = staff_deliveries(server)
    assert delivery.mail_from == OUR_INCIDENT
    assert delivery.rcpt_tos == [REPORTER, "kanri@example.co.jp"]
    msg: EmailMessage = delivery.message
    assert msg["Auto-Submitted"] is None and msg["X-Auto-Response-Suppress"] is None
    assert msg["To"] == REPORTER and msg["Cc"] == "kanri@example.co.jp"
    assert msg["In-Reply-To"] == REPORT_ID and REPORT_ID in msg["References"].split()
    assert msg["Message-ID"] == f"<{reply['message_id']}>"
    assert msg["Subject"] == f"Re: 不審メールの受信について [{case_id}]"
    body = msg.get_body(("plain",)).get_content()
    assert "情報提供をいただき" in body and "担当：suzuki" in body
    quoted = [line for line in body.splitlines() if line.startswith(">")]
    assert quoted == [
        "> 不審なメールの本文です。",
        '> <script>alert("x")</script><b>太字</b> & 記号',
    ]  # plain text as the desk reads it, quoted line by line
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == "受信ログ.bin" and attached.get_content() == EVIDENCE

    shown = cli_json(workspace, "show", case_id)
    outgoing = [m for m in shown["messages"] if m["direction"] == "out"]
    assert [m["from_name"] for m in outgoing] == ["", "suzuki"]  # the automatic one, then staff's
    with Session(workspace.engine()) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff_reply")).one()
        stored = session.get(OutboxReply, reply["id"])
    assert entry.by == "suzuki" and entry.case_id == case_id
    assert json.loads(entry.detail)["files"] == ["受信ログ.bin"]
    assert stored.state == "sent" and stored.raw_sha256  # built once, kept in the archive


def test_free_text_from_standard_input_with_an_uploaded_file_and_no_loop_guard_in_the_way(
    workspace, tmp_path
):
    blank = tmp_path / "事務従事者登録届.docx"
    blank.write_bytes(b"PK\x03\x04 a blank form")
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port, cap=1)  # the automatic reply used the cap
        text = "山田様\n\nお電話の件、承知しました。\n"
        queued = workspace.cli("reply", case_id, "--stdin", "--file", str(blank), input=text)
        assert queued.returncode == 0, queued.stderr
        assert "送信待ちにしました" in queued.stdout
        assert workspace.cli("send").returncode == 0
    [delivery] = staff_deliveries(server)
    msg = delivery.message
    assert msg.get_body(("plain",)).get_content() == text
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == blank.name and attached.get_content() == blank.read_bytes()


def test_our_own_address_is_refused_and_nothing_is_queued(workspace):
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port)
        refused = workspace.cli("reply", case_id, "--template", "thanks", "--to", "CSC-Anken+x@example.jp")
        assert refused.returncode == 1
        assert "事務局自身のアドレスには送信できません" in refused.stderr
        bad_cc = workspace.cli("reply", case_id, "--template", "thanks", "--cc", "not an address")
        assert bad_cc.returncode == 1 and "アドレスが正しくありません" in bad_cc.stderr
        assert [r["author"] for r in cli_json(workspace, "outbox")] == [None]


def test_a_required_value_is_asked_for_in_japanese(workspace):
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port)
        missing = workspace.cli("reply", case_id, "--template", "refusal")
        assert missing.returncode == 1 and "不受理の理由 の入力が必要です" in missing.stderr
        preview = workspace.cli(
            "reply", case_id, "--template", "refusal", "--set", "reason=様式が古いため", "--preview"
        )
        assert (
            preview.returncode == 0
            and "様式が古いため" in preview.stdout
            and f"宛先: {REPORTER}" in preview.stdout
        )


def test_automatic_and_staff_replies_never_supersede_each_other(workspace):
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port, replies_extra="staff_review = true")
        held = json.loads(
            workspace.cli("--by", "suzuki", "reply", case_id, "--template", "thanks", "--json").stdout
        )
        assert held["state"] == "held"
        # the reporter writes again: a new automatic reply is queued and sent, staff's still waits
        deliver(
            workspace,
            sender=f"山田 太郎 <{REPORTER}>",
            subject="Re: 不審メールの受信について",
            body="追加の情報です。\n",
            in_reply_to=REPORT_ID,
        )
        poll(workspace)
    states = {r["id"]: (r["author"], r["state"]) for r in cli_json(workspace, "outbox")}
    assert states[held["id"]] == ("suzuki", "held")
    assert sorted(s for a, s in states.values() if a is None) == ["sent", "sent"]


def test_a_held_staff_reply_is_released_by_another_user_only(workspace):
    with smtp_server() as server:
        case_id = reported_case(workspace, server.port, replies_extra="staff_review = true")
        held = json.loads(
            workspace.cli("--by", "suzuki", "reply", case_id, "--template", "thanks", "--json").stdout
        )
        own = workspace.cli("--by", "suzuki", "outbox", "release", str(held["id"]))
        assert own.returncode == 1 and "another desk user must read and release it" in own.stderr
        assert workspace.cli("send").returncode == 0
        assert staff_deliveries(server) == []
        other = workspace.cli("--by", "tanaka", "outbox", "release", str(held["id"]))
        assert other.returncode == 0, other.stderr
        assert workspace.cli("send").returncode == 0
        assert len(staff_deliveries(server)) == 1
    with Session(workspace.engine()) as session:
        released = session.exec(select(AuditEntry).where(AuditEntry.action == "reply_released")).one()
    assert released.by == "tanaka"


# -- Q7: the system IDs notice to the POC ------------------------------------------------------


def register(workspace) -> None:
    """Two organisations on the register; only サンプル株式会社's active 要 people are its system users."""
    rules = default_rules_dir()
    with Session(workspace.engine()) as session:
        ours = Organisation(
            name="サンプル株式会社",
            name_key=org_key("サンプル株式会社", rules),
            poc_email="poc@example.co.jp",
        )
        other = Organisation(
            name="テスト商事株式会社",
            name_key=org_key("テスト商事株式会社", rules),
            poc_email="poc@example.com",
        )
        session.add_all([ours, other])
        session.flush()
        people = [
            (ours, "山田 太郎", "taro.yamada@example.co.jp", "要", "active"),
            (ours, "佐藤 花子", "hanako.sato@example.co.jp", "要", "active"),
            (ours, "高橋 次郎", "jiro.takahashi@example.co.jp", "不要", "active"),
            (ours, "伊藤 三郎", "saburo.ito@example.co.jp", "要", "removed"),
            (other, "渡辺 四郎", "shiro.watanabe@example.com", "要", "active"),
        ]
        for org, name, email, system, status in people:
            session.add(
                RegisteredPerson(
                    organisation_id=org.id, name=name, name_key=name.replace(" ", ""), email=email,
                    system_registration=system, status=status,
                )
            )  # fmt: skip
        session.commit()


def test_the_system_ids_notice_goes_to_the_poc_and_lists_exactly_the_organisation_s_system_users(workspace):
    with smtp_server() as server:
        configure(workspace, port=server.port)
        assert workspace.cli("init").returncode == 0
        register(workspace)
        deliver(
            workspace,
            mailbox_name="kyogikai",
            to=OUR_MEMBERSHIP,
            sender=f"山田 太郎 <{REPORTER}>",
            subject="事務従事者の登録について（サンプル株式会社）",
            body="サンプル株式会社の山田です。\n",
        )
        poll(workspace)
        [case] = cli_json(workspace, "queue")
        with Session(workspace.engine()) as session:
            row = session.get(Case, case["id"])
            row.org_name = "サンプル株式会社"  # as read from its form
            session.add(row)
            session.commit()
        queued = workspace.cli("reply", case["id"], "--template", "system_ids", "--json")
        assert queued.returncode == 0, queued.stderr
        assert json.loads(queued.stdout)["to"] == "poc@example.co.jp"
        assert workspace.cli("send").returncode == 0
    [delivery] = staff_deliveries(server)
    assert delivery.rcpt_tos == ["poc@example.co.jp"]
    body = delivery.message.get_body(("plain",)).get_content()
    listed = [line for line in body.splitlines() if line[:2] in ("1.", "2.", "3.", "4.", "5.")]
    assert listed == [
        "1. 山田 太郎（taro.yamada@example.co.jp）",
        "2. 佐藤 花子（hanako.sato@example.co.jp）",
    ]
    for absent in ("高橋", "伊藤", "渡辺"):
        assert absent not in body
    assert "以下の2名です" in body


# -- the templates are checked at start-up ------------------------------------------------------


def start(workspace, rules: Path, *args: str) -> subprocess.CompletedProcess:
    config = workspace.write()
    config.write_text(f'rules_dir = "{rules}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "intake", *args],
        capture_output=True, text=True, timeout=120, cwd=workspace.root,
        env={**os.environ, **workspace.environment},
    )  # fmt: skip


def broken_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    return rules


def test_a_broken_staff_template_stops_start_up_with_one_line_naming_it(workspace, tmp_path):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    rules = broken_rules(tmp_path)
    (rules / "templates" / "staff" / "thanks.j2").write_text("{{ org_name }\n", encoding="utf-8")
    for command in (["run"], ["desk", "--port", "1"]):
        started = start(workspace, rules, *command)
        assert started.returncode == 2, started.stderr
        [line] = started.stderr.strip().splitlines()
        assert "templates/staff/thanks.j2" in line, line


def test_an_unknown_placeholder_or_a_missing_title_stops_start_up(workspace, tmp_path):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    rules = broken_rules(tmp_path)
    (rules / "templates" / "staff" / "acceptance.j2").write_text("{{ no_such_value }}\n", encoding="utf-8")
    started = start(workspace, rules, "run")
    assert started.returncode == 2 and "acceptance.j2" in started.stderr and "no_such_value" in started.stderr
    rules = broken_rules(tmp_path / "again")
    (rules / "templates" / "staff" / "extra.j2").write_text("本文\n", encoding="utf-8")
    started = start(workspace, rules, "run")
    assert started.returncode == 2 and "extra.j2: not listed in templates.toml" in started.stderr


def test_a_staff_template_without_a_title_stops_start_up(workspace, tmp_path):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    rules = broken_rules(tmp_path)
    index = rules / "templates" / "staff" / "templates.toml"
    index.write_text(
        index.read_text(encoding="utf-8").replace('title = "情報提供へのお礼"', ""), encoding="utf-8"
    )
    started = start(workspace, rules, "run")
    assert started.returncode == 2 and "[thanks] needs a title" in started.stderr
    assert len(started.stderr.strip().splitlines()) == 1
