"""The newcomer's command and the long-running service (issue 2)."""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
import time

import pytest

from support.mailfactory import numbered_mails

pytestmark = pytest.mark.e2e  # starts intake as a separate process


def test_demo_prints_a_queue_with_the_seeded_cases(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "intake", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "KYOGIKAI-" in out and "CSC-" in out
    assert "パスワード待ち" in out  # waiting_for_password, as staff read it
    assert "相談・情報提供" in out  # incident_report, as staff read it

    config = tmp_path / "demo" / "config.toml"
    listing = subprocess.run(
        [sys.executable, "-m", "intake", "--config", str(config), "queue", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    cases = json.loads(listing.stdout)
    kinds = sorted(c["kind"] for c in cases)
    assert kinds == ["incident_report", "membership_application", "staff_registration"]
    robots = subprocess.run(
        [sys.executable, "-m", "intake", "--config", str(config), "queue", "--robots", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    [bounce] = json.loads(robots.stdout)  # kept, but out of the review queue
    assert bounce["sender"].lower().startswith("mailer-daemon")
    shown = json.loads(
        subprocess.run(
            [sys.executable, "-m", "intake", "--config", str(config), "show", bounce["id"], "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert shown["messages"][0]["no_reply_reason"] is not None


def test_run_polls_on_schedule_and_stops_cleanly_on_sigterm(workspace):
    path = workspace.add_maildir()
    box = mailbox.Maildir(path, create=False)
    for raw in numbered_mails(2):
        box.add(raw)
    assert workspace.cli("init").returncode == 0
    env = {**os.environ, "INTAKE_CONFIG": str(workspace.config_file)}
    service = subprocess.Popen(
        [sys.executable, "-m", "intake", "run"],
        env=env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for_cases(workspace, 2)
        box.add(numbered_mails(1)[0])  # arrives while the service runs: next tick picks it up
        assert _wait_for_cases(workspace, 3)
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert "Traceback" not in err


def _wait_for_cases(workspace, n: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = workspace.cli("queue", "--json")
        if result.returncode == 0 and len(json.loads(result.stdout)) >= n:
            return True
        time.sleep(0.3)
    return False
