"""A real Dovecot IMAP server on 127.0.0.1 for the tests, with accounts made on demand.

Dovecot runs in the foreground from a private folder (its own base_dir, state and log); the
passdb / userdb is a passwd-file that Dovecot re-reads when it changes, so each test can have a
fresh account. See ``shared/spec/pitfalls.md`` for why the folder modes are what they are.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from imapclient import IMAPClient

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
  default_fields = uid=nobody gid=nogroup home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


_last_arrival: list[datetime] = []


def arrival_time() -> datetime:
    """Now, or a second after the last arrival given out, whichever is later."""
    now = datetime.now().astimezone().replace(microsecond=0)
    if _last_arrival and now <= _last_arrival[0]:
        now = _last_arrival[0] + timedelta(seconds=1)
    _last_arrival[:] = [now]
    return now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ImapAccount:
    host: str
    port: int
    username: str
    password: str

    def client(self, folder: str | None = "INBOX") -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        if folder:
            client.select_folder(folder)
        return client

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        """Deliver ``messages`` in order; each arrives (INTERNALDATE) after every one delivered
        before, however fast the test runs (the server keeps whole seconds)."""
        with self.client(None) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for start in range(0, len(messages), 100):
                batch = messages[start : start + 100]
                when = arrival_time() if len(batch) == 1 else None
                c.multiappend(folder, [{"msg": m, "date": when} if when else m for m in batch])

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client(folder) as c:
            return {uid: item[b"FLAGS"] for uid, item in c.fetch(c.search("ALL"), ["FLAGS"]).items()}


class Dovecot:
    def __init__(self) -> None:
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> Dovecot:
        self.dir.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(self.dir / "mail", nobody.pw_uid, nobody.pw_gid)
        self._write_accounts()
        conf = self.dir / "dovecot.conf"
        conf.write_text(CONF.format(dir=self.dir, port=self.port))
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}; log: {self.log()}")

    def add_account(self) -> ImapAccount:
        """A fresh account. All are written before Dovecot starts: it notices a changed users
        file by its mtime, which misses a second change within the same second."""
        return self._accounts.pop()

    def _write_accounts(self, count: int = 300) -> None:
        self._accounts = [
            ImapAccount("127.0.0.1", self.port, f"user{i:03d}", secrets.token_urlsafe(12))
            for i in range(count)
        ]
        users = self.dir / "users"
        users.write_text("".join(f"{a.username}:{{PLAIN}}{a.password}::::::\n" for a in self._accounts))
        users.chmod(0o644)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
