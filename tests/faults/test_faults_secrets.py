"""Document passwords, and the secretariat's PGP and S/MIME keys and passphrase, rest nowhere: not in the database, its WAL, the archive, the key file's folder,
the log, any command's output, the staff terminal or the replies the SMTP server received.

One workspace goes through every way a password reaches intake, with the log at DEBUG and
``intake run`` polling all along: a password phoned in ahead opens a mail on arrival, a wrong one
is typed at the ``intake unlock`` prompt on a real pseudo-terminal, then the right one. The
passwords hold Japanese characters, so they are searched as UTF-8 and as UTF-16-LE (the form Office
derives its keys from) in every byte intake wrote — the database copied while ``intake run`` still
had it open (SQLite's file and WAL, or PostgreSQL's files, WAL and rows: ``support.at_rest``). A running intake also refuses to dump core (``RLIMIT_CORE`` 0), so a crash cannot
write a password to disk either.
"""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlmodel import Session, select

from intake.db.tables import Attachment
from intake.forms import write_application
from support.at_rest import snapshot
from support.crypto_keys import (
    PASSPHRASE,
    PASSPHRASE_ENV,
    make_pgp_world,
    make_smime_world,
    pgp_mime,
    pgp_mime_to,
    smime_enveloped,
)
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME, encrypt_agile
from support.samples import APPLICATION
from support.smtp_server import smtp_server
from support.terminal import PASSWORD_PROMPT, Terminal

pytestmark = pytest.mark.e2e  # starts intake as a separate process

PHONED = "霞が関#Phoned-2026"
TYPED = "桜田門#Typed-2026"
WRONG = "日比谷#Wrong-2026"
SECRETS = (PHONED, TYPED, WRONG)


def encodings(secret: str) -> set[bytes]:
    return {secret.encode("utf-8"), secret.encode("utf-16-le")}


def deliver(path: Path, sender: str, password: str) -> None:
    data = encrypt_agile(write_application(APPLICATION), password)
    mailbox.Maildir(path, create=False).add(
        make_mail(sender=sender, attachments=[(JAPANESE_NAME, data, DOCX_TYPE)])
    )


def states(engine) -> list[str]:
    with Session(engine) as session:
        return [a.state for a in session.exec(select(Attachment).order_by(Attachment.id))]


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def core_limit(pid: int) -> str:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if x.startswith("Max core"))
    return " ".join(line.split()[4:6])  # "Max core file size  SOFT  HARD  bytes"


def test_no_password_rests_anywhere_after_phoned_typed_and_wrong_passwords(workspace):
    with smtp_server() as sink:
        path = workspace.add_maildir(
            profile="membership", name="kyogikai", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
        )
        workspace.extra = f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\n'
        workspace.write()
        config = workspace.config_file
        config.write_text('log_level = "DEBUG"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
        workspace.write = lambda: config  # keep the DEBUG line
        started = time.time()
        outputs = [workspace.cli("init")]
        outputs.append(
            workspace.cli(
                "expect-password", "--sender", "yamada@example.co.jp", "--password-stdin", input=PHONED + "\n"
            )
        )
        deliver(path, "山田 太郎 <yamada@example.co.jp>", PHONED)
        deliver(path, "佐藤 花子 <sato@example.co.jp>", TYPED)
        engine = workspace.engine()

        log = workspace.root / "run.log"
        env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(config)}
        with log.open("wb") as out:
            service = subprocess.Popen(
                [sys.executable, "-m", "intake", "run"], env=env, cwd=workspace.root, stdout=out, stderr=out
            )
        try:
            wait_for(lambda: states(engine) == ["decrypted", "password_pending"])
            assert core_limit(service.pid) == "0 0"
            term = Terminal(workspace, "unlock")
            term.expect("which one? (1-1, empty to quit): ")
            term.type("1")
            term.expect(PASSWORD_PROMPT)
            term.type(WRONG)
            term.expect("wrong password")
            term.expect(PASSWORD_PROMPT)
            term.type(TYPED)
            term.expect("opened / 開封しました")
            term.expect("no attachments are waiting for a password")
            assert term.wait() == 0
            wait_for(lambda: len(sink.handler.received) == 2)  # both acknowledged or asked for more
            # the database as intake has it open: SQLite's file and WAL, or PostgreSQL's files and rows
            live = snapshot(workspace.database, workspace.root / "live-copy", since=started)
            assert live
            if workspace.database.startswith("sqlite"):
                assert (workspace.root / "live-copy" / "intake.db-wal").exists()
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(60)
        assert service.returncode == 0
        outputs += [
            workspace.cli("queue", "--json"),
            workspace.cli("audit"),
            workspace.cli("outbox", "--json"),
        ]

    assert states(engine) == ["decrypted", "decrypted"]
    text = "".join(r.stdout + r.stderr for r in outputs) + log.read_text(errors="replace") + term.text
    assert "DEBUG intake." in log.read_text()  # the log level did apply
    files = [p for p in workspace.root.rglob("*") if p.is_file()]
    assert "intake.key" in {p.name for p in files} and set(live) <= set(files)
    assert any("messages" in p.parts for p in files)
    mail = [d.content for d in sink.handler.received]
    for secret in SECRETS:
        assert secret not in text
        for encoded in encodings(secret):
            assert encoded not in term.raw
            assert not any(encoded in content for content in mail)
            leaked = [str(p) for p in files if encoded in p.read_bytes()]
            assert leaked == [], f"a password is written in {leaked}"


def test_no_pgp_passphrase_or_secret_key_rests_anywhere(workspace, tmp_path_factory):
    """The secretariat's PGP passphrase and secret key, and its S/MIME private key, after encrypted
    reports were opened (one for a wrong key) and replies went out encrypted, with the log at DEBUG:
    not in the database, its WAL, the archive, the log, any output or any mail sent."""
    world = make_pgp_world()
    smime = make_smime_world(tmp_path_factory.mktemp("smime-keys"))
    try:
        with smtp_server() as sink:
            path = workspace.add_maildir()
            workspace.env[PASSPHRASE_ENV] = PASSPHRASE
            workspace.extra = (
                f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\n'
                f'[crypto]\ngnupg_home = "{world.home}"\npassphrase_env = "{PASSPHRASE_ENV}"\n'
                f'smime_cert = "{smime.cert_file}"\nsmime_key = "{smime.key_file}"\nencrypt_replies = "when_possible"\n'
            )
            config = workspace.write()
            config.write_text('log_level = "DEBUG"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
            workspace.write = lambda: config  # keep the DEBUG line
            box = mailbox.Maildir(path, create=False)
            box.add(
                pgp_mime(
                    world, "確認①：不要　確認②：協議会構成員限り　確認③：不要\n", sign_with=world.reporter_fpr
                )
            )
            box.add(pgp_mime_to(world, world.reporter, world.reporter_fpr, "別の鍵宛て\n"))
            box.add(smime_enveloped(smime.secretariat_cert, "S/MIMEの報告\n"))
            started = time.time()
            outputs = [workspace.cli_process("init")]
            log = workspace.root / "run.log"
            env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(config)}
            with log.open("wb") as out:
                service = subprocess.Popen(
                    [sys.executable, "-m", "intake", "run"],
                    env=env,
                    cwd=workspace.root,
                    stdout=out,
                    stderr=out,
                )
            try:
                wait_for(lambda: len(sink.handler.received) >= 3)
                # the database as intake has it open: SQLite's file and WAL, or PostgreSQL's files and rows
                live = snapshot(workspace.database, workspace.root / "live-copy", since=started)
            finally:
                service.send_signal(signal.SIGTERM)
                service.wait(60)
            queue = json.loads(workspace.cli("queue", "--json").stdout)
            outputs += [workspace.cli_process("show", c["id"], "--json") for c in queue]
            outputs += [workspace.cli_process("outbox", "--json"), workspace.cli_process("audit")]
            mail = [d.content for d in sink.handler.received]
        secret_key = world.secretariat.export_keys(world.secretariat_fpr, secret=True, passphrase=PASSPHRASE)
    finally:
        world.stop()

    assert all(r.returncode == 0 for r in outputs), [r.stderr for r in outputs]
    assert len(queue) == 3 and len(mail) >= 2
    text = "".join(r.stdout + r.stderr for r in outputs) + log.read_text(errors="replace")
    assert "DEBUG gnupg: " in text  # the log level did apply, down to the gpg wrapper
    key_lines = [line.encode() for line in secret_key.splitlines() if len(line) == 64]
    smime_key = smime.key_file.read_bytes()
    d = smime_key_number(smime_key)
    # the secret key's armor, and a 2048-bit key's exponent (d < n: its top byte is zero one time in 256)
    assert len(key_lines) >= 3 and 250 <= len(d) <= 256
    secrets = [PASSPHRASE.encode(), *key_lines, *smime_key.splitlines()[1:-1], d]
    files = [p for p in workspace.root.rglob("*") if p.is_file()]
    assert live and set(live) <= set(files) and any("messages" in p.parts for p in files)
    for secret in secrets:
        assert secret.decode("latin-1") not in text
        assert not any(secret in content for content in mail)
        leaked = [str(p) for p in files if secret in p.read_bytes()]
        assert leaked == [], f"a key or passphrase is written in {leaked}"


def smime_key_number(pem: bytes) -> bytes:
    """The private exponent of an RSA key, as the bytes a dump would hold."""
    number = load_pem_private_key(pem, password=None).private_numbers().d  # type: ignore[union-attr]
    return number.to_bytes((number.bit_length() + 7) // 8, "big")
