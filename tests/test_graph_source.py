"""A Graph mailbox polled by the real poller (``intake poll``, as a process where it matters),
against the Graph stand-in on loopback TLS with a real MSAL token from the test IdP.

Each message is stored once across polls in new processes; a kill -9 between the commit and the
mark leaves nothing unmarked and nothing twice; a forgotten delta link, a message a rule moved,
throttling (with and without Retry-After) and an over-size message each end as they should; replies
go out through sendMail and their Sent Items copy is not taken for new mail; ``intake doctor``
names the mailbox and the fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from intake.config import load_config
from intake.db.tables import Case, Message, MessageSecurity, QuarantineEntry
from intake.errors import ConfigError
from support.graph_standin import GraphStandIn
from support.idp import GRAPH_APP
from support.mailfactory import make_mail

SECRET = GRAPH_APP.client_secret
ADDRESS = GRAPH_APP.email
REPORT = "不審なメールを受信しました。\n添付ファイルは開いていません。\n"


@pytest.fixture
def graph(ca, idp, tmp_path_factory):
    with GraphStandIn(ca.issue(tmp_path_factory.mktemp("graph")), key=idp.key) as stand_in:
        yield stand_in
        stand_in.release_marks()


def _oauth(idp, ca) -> str:
    return f'''ca_file = "{ca.cert_file}"
[mailbox.oauth]
flow = "app"
client_id = "graph-app"
authority = "{idp.authority}"
client_secret_env = "INTAKE_GRAPH_SECRET"
'''


def _graph_workspace(workspace, graph, idp, ca, *, keys: str = "", extra: str = "") -> None:
    workspace.env["INTAKE_GRAPH_SECRET"] = SECRET
    workspace.monkeypatch.setenv("INTAKE_GRAPH_SECRET", SECRET)
    workspace.extra = extra or '[replies]\nmode = "off"\n'
    workspace.mailboxes.append(f"""
[[mailbox]]
name = "anken"
profile = "incident"
address = "{ADDRESS}"
case_prefix = "CSC"
source = "graph"
graph_url = "{graph.base}"
{keys}
{_oauth(idp, ca)}""")
    workspace.cli("init")


def _report(n: int) -> bytes:
    return make_mail(
        sender=f"報告者{n} <reporter{n}@corp.example.co.jp>", subject=f"不審メールの報告 {n}", body=REPORT
    )


def _counts(workspace) -> tuple[int, int]:
    with Session(workspace.engine()) as session:
        cases = session.exec(select(func.count()).select_from(Case)).one()
        messages = session.exec(select(func.count()).select_from(Message)).one()
    return cases, messages


def _poll(workspace) -> dict:
    result = workspace.cli_process("poll", "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)["mailboxes"]
    return report


def _status(workspace) -> dict:
    result = workspace.cli("status", "--json")
    return next(s for s in json.loads(result.stdout)["servers"] if s["name"] == "anken")


def _unmarked(graph, folder: str = "inbox") -> list[str]:
    return [
        m.immutable_id for m in graph.in_folder(ADDRESS, folder) if "intake-processed" not in m.categories
    ]


def test_a_graph_mailbox_takes_its_own_keys_and_names_the_wrong_one(tmp_path, idp, ca):
    base = f'''[[mailbox]]
name = "anken"
profile = "incident"
address = "{ADDRESS}"
case_prefix = "CSC"
source = "graph"
'''
    good = base + _oauth(idp, ca)
    (tmp_path / "config.toml").write_text(good)
    [mailbox] = load_config(tmp_path / "config.toml").mailbox
    assert (mailbox.user, mailbox.folder, mailbox.processed_category) == (
        ADDRESS,
        "Inbox",
        "intake-processed",
    )
    for wrong, key in (
        ('graph_url = "http://graph.example.jp/v1.0"\n', "graph_url"),
        ('host = "outlook.office365.com"\n', "host"),
        ('sent_folder = "Inbox"\n', "sent_folder"),
    ):
        (tmp_path / "config.toml").write_text(base + wrong + _oauth(idp, ca))
        with pytest.raises(ConfigError, match=key):
            load_config(tmp_path / "config.toml")
    (tmp_path / "config.toml").write_text(good.replace('flow = "app"', 'flow = "device"'))
    with pytest.raises(ConfigError, match="oauth.flow"):
        load_config(tmp_path / "config.toml")
    (tmp_path / "config.toml").write_text(good.replace('client_id = "graph-app"\n', ""))
    with pytest.raises(ConfigError, match="oauth.client_id"):
        load_config(tmp_path / "config.toml")


def test_two_polls_in_new_processes_store_each_message_once_and_mark_it(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    first = [graph.deliver(ADDRESS, _report(n)) for n in range(3)]
    assert _poll(workspace)["created"] == 3
    later = graph.deliver(ADDRESS, _report(3))
    report = _poll(workspace)
    assert (report["fetched"], report["created"]) == (1, 1)
    assert _poll(workspace)["fetched"] == 0
    assert _counts(workspace) == (4, 4)
    assert _unmarked(graph) == []
    with Session(workspace.engine()) as session:
        refs = set(session.exec(select(Message.source_ref)))
        details = list(session.exec(select(MessageSecurity.auth_detail)))
    assert refs == {f"graph:Inbox:{i}" for i in [*first, later]}
    assert len(details) == 4 and all("MIME regenerated by Exchange" in d for d in details)
    assert _status(workspace)["state"] == "ok"


def test_a_kill_between_the_commit_and_the_mark_is_repaired_by_the_next_poll(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    graph.deliver(ADDRESS, _report(0))
    _poll(workspace)
    for n in range(1, 4):
        graph.deliver(ADDRESS, _report(n))
    graph.hold_marks()
    workspace.write()
    poller = subprocess.Popen(
        [sys.executable, "-m", "intake", "poll"],
        env={**os.environ, **workspace.environment},
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert graph.mark_arrived.wait(120), "the poller never came to marking"
        os.kill(poller.pid, signal.SIGKILL)  # stored and committed, not yet marked
    finally:
        poller.wait(timeout=60)
        graph.release_marks()
    assert _counts(workspace) == (4, 4)
    assert len(_unmarked(graph)) == 3

    report = _poll(workspace)
    assert report["fetched"] == 0 and report["duplicates"] == 0
    assert _unmarked(graph) == []
    assert _counts(workspace) == (4, 4)


def test_a_forgotten_delta_link_lists_the_folder_anew_without_duplicates(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    for n in range(3):
        graph.deliver(ADDRESS, _report(n))
    _poll(workspace)
    assert _poll(workspace)["fetched"] == 0  # the next starts from this one's link
    graph.forget_delta_links()
    graph.deliver(ADDRESS, _report(3))
    report = _poll(workspace)
    assert (report["created"], report["duplicates"]) == (1, 0)
    assert any(s.status == 410 for s in graph.seen)
    assert _counts(workspace) == (4, 4)
    assert _poll(workspace)["fetched"] == 0


def test_a_message_a_rule_moves_back_into_the_folder_is_not_new(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    message = graph.deliver(ADDRESS, _report(0))
    _poll(workspace)
    graph.move_by_rule(ADDRESS, message, "archive")
    graph.move_by_rule(ADDRESS, message, "inbox")  # listed again as created in the inbox: same id
    report = _poll(workspace)
    assert report["fetched"] == 0
    assert _counts(workspace) == (1, 1)


@pytest.mark.parametrize("retry_after", ["30", None], ids=["retry-after", "no-retry-after"])
def test_throttling_shows_as_throttled_and_the_next_poll_catches_up(workspace, graph, idp, ca, retry_after):
    _graph_workspace(workspace, graph, idp, ca, keys="throttle_wait_seconds = 1")
    for n in range(2):
        graph.deliver(ADDRESS, _report(n))
    graph.throttle(429, retry_after=retry_after, times=1)
    polled = workspace.cli("poll")
    assert polled.returncode == 1 and "throttled by Graph" in polled.stderr
    status = _status(workspace)
    assert status["state"] == "throttled"
    assert "混雑のため待機中" in workspace.cli("queue").stdout
    assert "混雑のため待機中" in workspace.cli("status").stdout  # staff read the label, not the code
    assert _counts(workspace) == (0, 0)

    assert workspace.cli("poll").returncode == 0
    assert _status(workspace)["state"] == "ok"
    assert "正常" in workspace.cli("status").stdout
    assert _counts(workspace) == (2, 2)


def test_status_shows_the_apps_sign_in_and_when_its_token_expires(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    assert (_status(workspace)["auth"], _status(workspace)["token_expires_at"]) == ("microsoft/app", None)
    before = datetime.now(UTC)
    _poll(workspace)
    expires = datetime.fromisoformat(_status(workspace)["token_expires_at"])
    assert (
        before + timedelta(seconds=idp.lifetime - 120)
        <= expires
        <= datetime.now(UTC) + timedelta(seconds=idp.lifetime)
    )
    [signed] = [
        s for s in json.loads(workspace.cli("auth", "status", "--json").stdout) if s["name"] == "anken"
    ]
    assert (signed["auth"], signed["token_expires_at"]) == (
        "microsoft/app",
        _status(workspace)["token_expires_at"],
    )
    assert "microsoft/app" in workspace.cli("auth", "status").stdout


def test_a_message_over_the_size_limit_is_quarantined_without_being_downloaded(workspace, graph, idp, ca):
    extra = '[replies]\nmode = "off"\n[limits]\nmax_message_mb = 0.05\n'
    _graph_workspace(workspace, graph, idp, ca, extra=extra)
    big = graph.deliver(ADDRESS, make_mail(subject="大きな報告", body="あ" * 40_000))
    graph.deliver(ADDRESS, _report(1))
    report = _poll(workspace)
    assert (report["created"], report["quarantined"]) == (1, 1)
    with Session(workspace.engine()) as session:
        [entry] = session.exec(select(QuarantineEntry)).all()
    assert entry.source_ref == f"graph:Inbox:{big}" and "max_message_mb" in entry.error
    assert not any(s.path.endswith(f"{big}/$value") for s in graph.seen)
    assert _unmarked(graph) == []
    assert _poll(workspace)["fetched"] == 0


def test_replies_go_out_through_graph_and_their_sent_copy_is_not_new_mail(workspace, graph, idp, ca):
    smtp = f'''[smtp]
transport = "graph"
graph_url = "{graph.base}"
username = "{ADDRESS}"
auth = "microsoft"
ca_file = "{ca.cert_file}"
[smtp.oauth]
flow = "app"
client_id = "graph-app"
authority = "{idp.authority}"
client_secret_env = "INTAKE_GRAPH_SECRET"
[replies]
mode = "send"
'''
    _graph_workspace(workspace, graph, idp, ca, keys='sent_folder = "SentItems"', extra=smtp)
    graph.deliver(ADDRESS, _report(0))
    result = workspace.cli_process("poll", "--json")  # the round sends what it queued
    assert len(json.loads(result.stdout)["replies"]["sent"]) == 1, result.stdout
    [(mailbox, raw)] = graph.sent
    assert mailbox == ADDRESS and b"Message-ID:" in raw
    assert len(graph.in_folder(ADDRESS, "sentitems")) == 1
    cases, messages = _counts(workspace)

    report = _poll(workspace)
    assert report["created"] == 0 and report["fetched"] <= 1 and report["sent_joined"] == 0
    assert _counts(workspace) == (cases, messages)
    smtp_row = next(
        s for s in json.loads(workspace.cli("status", "--json").stdout)["servers"] if s["name"] == "smtp"
    )
    assert smtp_row["state"] == "ok"


def test_doctor_names_the_graph_mailbox_and_the_fix(workspace, graph, idp, ca):
    _graph_workspace(workspace, graph, idp, ca)
    result = workspace.cli("doctor", "--json")
    [line] = [c for c in json.loads(result.stdout) if c["area"] == "mailbox anken"]
    assert line["state"] == "ok" and ADDRESS in line["detail"] and "'Inbox'" in line["detail"]

    workspace.mailboxes[-1] = workspace.mailboxes[-1].replace(
        f'graph_url = "{graph.base}"', f'graph_url = "{graph.base}"\nfolder = "nosuchfolder"'
    )
    result = workspace.cli("doctor", "--json")
    assert result.returncode == 1
    [line] = [c for c in json.loads(result.stdout) if c["area"] == "mailbox anken"]
    assert line["state"] == "fail" and "nosuchfolder" in line["detail"] and "set folder" in line["fix"]

    workspace.env["INTAKE_GRAPH_SECRET"] = "not-the-secret"
    workspace.mailboxes[-1] = workspace.mailboxes[-1].replace('folder = "nosuchfolder"\n', "")
    result = workspace.cli("doctor", "--json")
    [line] = [c for c in json.loads(result.stdout) if c["area"] == "mailbox anken"]
    assert line["state"] == "fail" and "oauth" in line["fix"] and "not-the-secret" not in result.stdout


def test_exchange_onlines_topmost_header_decides_who_sent_it_when_trusted(workspace, graph, idp, ca):
    """Exchange Online writes its Authentication-Results without an authserv-id, on top of any the
    message brought: with [trust] exchange_online it is read (and only the topmost)."""
    eop = (
        "Authentication-Results: spf=pass (sender IP is 203.0.113.5) smtp.mailfrom=corp.example.co.jp;"
        " dkim=pass (signature was verified) header.d=corp.example.co.jp;"
        "dmarc={} action=none header.from=corp.example.co.jp;compauth=pass reason=100\r\n"
    )
    trusted = '[replies]\nmode = "off"\n[trust]\nexchange_online = true\n'
    _graph_workspace(workspace, graph, idp, ca, extra=trusted)
    graph.deliver(ADDRESS, eop.format("pass").encode() + _report(0))
    graph.deliver(ADDRESS, (eop.format("fail") + eop.format("pass")).encode() + _report(1))
    _poll(workspace)
    with Session(workspace.engine()) as session:
        verdicts = dict(
            session.exec(
                select(Message.subject, MessageSecurity.auth).join(
                    MessageSecurity, MessageSecurity.message_pk == Message.id
                )
            ).all()
        )
    assert verdicts == {"不審メールの報告 0": "pass", "不審メールの報告 1": "fail"}
