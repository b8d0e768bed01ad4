"""A real Dovecot IMAP server on 127.0.0.1 for the tests, with accounts made on demand.

Dovecot runs in the foreground from a private folder (its own base_dir, state and log); the
passdb / userdb is a passwd-file that Dovecot re-reads when it changes, so each test can have a
fresh account. See ``shared/spec/pitfalls.md`` for why the folder modes are what they are.

Options (the default start stays plain and fast, ~0.05 s):

* ``Dovecot(tls=server_cert)`` (from ``support.tls``): ``ssl = yes``; IMAPS on ``tls_port`` and
  STARTTLS on the plain ``port`` (plain LOGIN stays allowed there, as before). No ``ssl_dh`` is needed.
* ``Dovecot(oauth2=idp.key)`` (a ``support.idp.JwtKey``: issuer + HS256 secret): XOAUTH2 and
  OAUTHBEARER, the JWT validated locally (``introspection_mode = local``); ``email`` must equal the
  login name, ``iss`` the issuer. Any address may log in with a token (static userdb fallback), the
  passwd-file accounts too. Traps: an ``azp`` claim makes Dovecot look for the key under
  ``keys/<azp>/HS256/`` instead of ``keys/default/…`` (→ every token refused), so the IdP leaves
  ``azp`` out; a refused token still takes ~0.5 s (failure flush timer).
* Always: the anvil auth penalty is off (otherwise every failed login from 127.0.0.1 delays the next
  by 2 s, up to 15 s, and xdist workers time out) and ``verbose_proctitle = yes`` (the imap
  processes are named ``dovecot/imap [USER 127.0.0.1 …]``, which ``freeze`` relies on).

``kick(user)`` ends the user's sessions from the server side (``doveadm kick``: the imap process gets
SIGTERM and sends ``* BYE Server shutting down.``). ``freeze(user)`` SIGSTOPs the imap processes of
that user (only this instance's: they are children of its master), so a connected client sees a
silently dead server — the TCP connection stays open, nothing answers — while new connections still
work; ``thaw()`` resumes them (``stop()`` thaws first). With TLS, an ``imap-login`` process proxies
the connection and stays awake; the effect on the client is the same.
"""

from __future__ import annotations

import base64
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from imapclient import IMAPClient

if TYPE_CHECKING:
    from support.idp import JwtKey
    from support.tls import ServerCert

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
{ssl}
verbose_proctitle = yes
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login{mechanisms}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
  default_fields = uid=nobody gid=nogroup home={dir}/mail/%u
}}
{oauth2}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
"""

OAUTH2_CONF = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/dovecot-oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={dir}/mail/%u allow_all_users=yes
}}
"""

OAUTH2_EXT = """\
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={dir}/keys/
username_attribute = email
issuers = {issuer}
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
    def __init__(self, *, tls: ServerCert | None = None, oauth2: JwtKey | None = None) -> None:
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        self.port = free_port()
        self.tls = tls
        self.tls_port: int | None = free_port() if tls else None
        self.oauth2 = oauth2
        self.process: subprocess.Popen | None = None
        self._frozen: list[int] = []

    def start(self) -> Dovecot:
        self.dir.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(self.dir / "mail", nobody.pw_uid, nobody.pw_gid)
        self._write_accounts()
        ssl, mechanisms, oauth2 = "ssl = no", "", ""
        if self.tls:
            ssl = f"ssl = yes\nssl_cert = <{self.tls.cert_file}\nssl_key = <{self.tls.key_file}"
        if self.oauth2:
            mechanisms, oauth2 = " xoauth2 oauthbearer", OAUTH2_CONF.format(dir=self.dir)
            self._write_oauth2_key()
        self.conf.write_text(
            CONF.format(
                dir=self.dir,
                port=self.port,
                tls_port=self.tls_port or 0,
                ssl=ssl,
                mechanisms=mechanisms,
                oauth2=oauth2,
            )
        )
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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

    @property
    def conf(self) -> Path:
        return self.dir / "dovecot.conf"

    def _write_oauth2_key(self) -> None:
        """The HMAC secret, base64 without newline, at keys/default/HS256/default (no ``kid`` in the
        token header → "default"; no ``azp`` claim → "default"); readable by the auth process."""
        assert self.oauth2 is not None
        (self.dir / "dovecot-oauth2.conf.ext").write_text(
            OAUTH2_EXT.format(dir=self.dir, issuer=self.oauth2.issuer)
        )
        folder = self.dir / "keys" / "default" / "HS256"
        folder.mkdir(parents=True)
        for path in (folder.parent.parent, folder.parent, folder):
            path.chmod(0o755)
        (folder / "default").write_text(base64.b64encode(self.oauth2.secret).decode())
        (folder / "default").chmod(0o644)

    def kick(self, username: str) -> None:
        """Disconnect every session of ``username`` from the server side; clients read ``BYE``."""
        subprocess.run(["doveadm", "-c", str(self.conf), "kick", username], check=True, capture_output=True)

    def imap_pids(self, username: str) -> list[int]:
        """The imap processes of this instance serving ``username`` (from their proctitle)."""
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                args = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and args.startswith(f"dovecot/imap [{username} "):
                pids.append(int(stat.parent.name))
        return pids

    def freeze(self, username: str) -> list[int]:
        """SIGSTOP the imap processes now serving ``username``; returns their pids (none → error)."""
        pids = self.imap_pids(username)
        if not pids:
            raise RuntimeError(f"no imap process serves {username}")
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        self._frozen += pids
        return pids

    def thaw(self) -> None:
        """SIGCONT every process ``freeze`` stopped (those still alive)."""
        for pid in self._frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen.clear()

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.thaw()
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
