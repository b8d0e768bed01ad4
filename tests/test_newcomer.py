"""What a newcomer meets first on the command line: ``intake show`` with the messages' text, a
demo whose printed commands work as printed and whose released reply reaches the local mail sink
it starts, and ``intake desk`` on a port already taken saying so with exit 1 (exit 3 is a wrong
password)."""

from __future__ import annotations

import mailbox
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header

import pytest

from support.mailfactory import make_mail
from support.smtp_server import free_port


def test_show_prints_each_message_text_the_senders_and_our_reply(workspace):
    folder = workspace.add_maildir()
    body = "協議会事務局 御中\n\n不審なメールを受信しました。\n添付ファイルは開いていません。"
    mailbox.Maildir(folder, create=False).add(
        make_mail(sender="鈴木 一郎 <suzuki@example.com>", to="csc-anken@example.jp", body=body)
    )
    workspace.extra = '[replies]\nmode = "hold"\n'
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    (case_id,) = re.findall(r"CSC-\d{4}-\d{4}", workspace.cli("queue").stdout)[:1]
    shown = workspace.cli("show", case_id)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "--- メール 1（受信）" in out and "不審なメールを受信しました。" in out
    assert "添付ファイルは開いていません。" in out
    reply = out.split("--- メール 2（自動返信）")[1]
    assert f"受付番号：{case_id}" in reply  # the reply we wrote, as the sender will read it


@pytest.mark.e2e
def test_intake_desk_on_a_port_in_use_says_so_with_exit_1(workspace):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = workspace.cli_process("desk", "--port", str(port), timeout=60)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert f"intake: the desk cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


def printed(out: str, ending: str) -> list[str]:
    """The command the demo printed that ends with ``ending``, as a shell would split it."""
    (line,) = [line.strip() for line in out.splitlines() if line.strip().endswith(ending)]
    return shlex.split(line)


@pytest.mark.e2e
def test_the_demos_commands_work_as_printed_and_a_released_reply_reaches_its_mail_sink(tmp_path):
    smtp_port, desk_port = free_port(), free_port()
    env = {**os.environ, "COLUMNS": "250"}
    folder = tmp_path / "demo"
    demo = subprocess.run(
        [sys.executable, "-m", "intake", "demo", "--dir", str(folder), "--smtp-port", str(smtp_port)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    assert "<case id>" not in out and "<id>" not in out  # every command can be run as it stands
    show = printed(out, "show " + re.search(r"show (KYOGIKAI-\d{4}-\d{4})", out).group(1))
    assert os.path.isabs(show[0]) and os.access(show[0], os.X_OK)  # the venv's intake, not PATH's
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # works from any folder: the configuration's path is absolute
    shown = subprocess.run(show, capture_output=True, text=True, timeout=120, cwd=elsewhere, env=env)
    assert shown.returncode == 0 and "--- メール 1" in shown.stdout, shown.stderr

    release = printed(out, re.search(r"outbox release \d+", out).group(0))
    serve = printed(out, "demo-serve") + ["--port", str(desk_port)]
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(
            serve, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=elsewhere, env=env
        )
    try:
        wait_for(lambda: "the desk: " in (tmp_path / "serve.log").read_text(), server)
        released = subprocess.run(
            release, capture_output=True, text=True, timeout=120, cwd=elsewhere, env=env
        )
        assert released.returncode == 0, released.stderr
        sink = mailbox.Maildir(folder / "sent-mail", create=False)
        wait_for(lambda: len(sink) == 1, server)
        (mail,) = sink
        subject = str(make_header(decode_header(mail["Subject"])))
        assert mail["To"].endswith("@example.ac.jp") and re.search(r"\[KYOGIKAI-\d{4}-\d{4}\]$", subject)
        wait_for(lambda: "mail sink: to " in (tmp_path / "serve.log").read_text(), server)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    log_text = (tmp_path / "serve.log").read_text()
    assert server.returncode in (0, -signal.SIGINT, 128 + signal.SIGINT), log_text  # stopped as by Ctrl-C
    assert "Traceback" not in log_text and "Finished server process" in log_text


def wait_for(condition, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the demo's server stopped"
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)
