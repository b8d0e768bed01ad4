"""A real ClamAV ``clamd`` for the tests: its own process on a private unix socket, with a signature
database of one made-up signature (no signature is downloaded; the official databases are not
needed — and clamd does not know the EICAR test string without them).

The signature matches :data:`MARKER` anywhere in a file, also inside what clamd unpacks (a zip, the
zip a .docx is): a test plants the marker in a file and expects :data:`FOUND`. ``StreamMaxLength``
is small (:data:`MAX_STREAM_MB`) so that a test can see clamd refuse a file.

It starts in a fraction of a second (one signature to load) and runs in the foreground as the test
user; as root (CI) it stays root (``User`` is not set, so it has no one to switch to). ``freeze()``
stops the process (SIGSTOP) so that it accepts connections but never answers, as a hung clamd does;
``stop()`` resumes and ends it and removes its folder.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from intake.documents.scan import Clamd as Client
from intake.documents.scan import ScanUnavailable

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
MARKER = b"intake-test-lure-7c1f0a5e-not-real-malware"  # lower case: clamd matches HTML lower-cased
SIGNATURE = "Intake.Test.Lure"
FOUND = SIGNATURE + ".UNOFFICIAL"  # clamd's name for a signature of a database it did not sign
MAX_STREAM_MB = 2

CONF = """\
Foreground yes
LocalSocket {dir}/clamd.sock
LocalSocketMode 600
DatabaseDirectory {dir}/db
TemporaryDirectory {dir}/tmp
LogFile {dir}/clamd.log
PidFile {dir}/clamd.pid
SelfCheck 0
StreamMaxLength {max_stream}M
"""


class Clamd:
    def __init__(self) -> None:
        # a short folder under /tmp: a unix socket's path may not be longer than 107 bytes
        self.dir = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.dir / "clamd.sock"

    @property
    def scan_section(self) -> str:
        """The ``[scan]`` section of a configuration that uses this clamd."""
        return f'\n[scan]\nclamd_socket = "{self.socket}"\ntimeout_seconds = 20\n'

    def client(self, timeout: float = 20) -> Client:
        return Client(socket=self.socket, timeout=timeout)

    def start(self) -> Clamd:
        for sub in ("db", "tmp"):
            (self.dir / sub).mkdir()
        (self.dir / "db" / "intake-test.ndb").write_text(f"{SIGNATURE}:0:*:{MARKER.hex()}\n")
        conf = self.dir / "clamd.conf"
        conf.write_text(CONF.format(dir=self.dir, max_stream=MAX_STREAM_MB))
        with (self.dir / "clamd.out").open("wb") as out:
            self.process = subprocess.Popen(
                [CLAMD, "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = (self.dir / "clamd.out").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"clamd did not start: {said}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            self.client(timeout=2).version()
        except ScanUnavailable:
            return False
        return True

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
