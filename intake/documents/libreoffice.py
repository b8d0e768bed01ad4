"""Convert a (decrypted) Word 97-2003 .doc to .docx with headless LibreOffice.

Each conversion runs in its own private temporary folder (mode 0700, always removed) with its
own LibreOffice profile (``-env:UserInstallation``), so conversions can run in parallel, as
root, and never touch a desktop user's LibreOffice. The input is written under a fixed name:
the sender's file name is never passed to a command line.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from intake.documents.triage import triage
from intake.errors import DocumentError

_CANDIDATES = (
    "/usr/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


def find_soffice(configured: str | None = None) -> str | None:
    """Locate the LibreOffice ``soffice`` program.

    ``configured`` (from the configuration file) wins: a path is used if it is an executable
    file, a bare name is looked up on ``PATH``; if it cannot be found the answer is None, never
    a silent fallback to another program. Without it, ``soffice`` / ``libreoffice`` on ``PATH``
    and the usual install locations are tried.
    """
    if configured:
        expanded = os.path.expanduser(configured)
        if os.sep in expanded or "/" in expanded:
            return expanded if _is_executable(expanded) else None
        return shutil.which(expanded)
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    for pattern in _CANDIDATES:
        for path in sorted(glob.glob(pattern)):
            if _is_executable(path):
                return path
    return None


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def convert_doc_to_docx(doc_bytes: bytes, *, soffice: str, timeout: float = 60) -> bytes:
    """Convert an unencrypted .doc to .docx bytes; raise :class:`DocumentError` on any failure.

    The process group is killed if LibreOffice runs longer than ``timeout`` seconds.
    """
    kind = triage(doc_bytes)
    if kind.format != "doc":
        raise DocumentError(f"only a Word 97-2003 .doc can be converted, this is: {kind.detail}")
    if kind.encrypted:
        raise DocumentError("the .doc is still encrypted: decrypt it before converting")
    workdir = Path(tempfile.mkdtemp(prefix="intake-lo-"))  # mkdtemp creates it with mode 0700
    try:
        source = workdir / "document.doc"
        source.write_bytes(doc_bytes)
        outdir = workdir / "out"
        outdir.mkdir()
        _run_soffice(_command(soffice, workdir, source, outdir), workdir, timeout)
        return _read_result(outdir / "document.docx")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _command(soffice: str, workdir: Path, source: Path, outdir: Path) -> list[str]:
    profile = (workdir / "profile").as_uri()
    return [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(outdir),
        str(source),
    ]


def _run_soffice(command: list[str], workdir: Path, timeout: float) -> None:
    env = dict(os.environ, HOME=str(workdir), TMPDIR=str(workdir))
    try:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise DocumentError(f"LibreOffice could not be started ({exc.strerror or exc})") from exc
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise DocumentError(
            f"LibreOffice did not finish converting the .doc within {timeout:g} seconds"
        ) from None
    if process.returncode != 0:
        message = stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1] if message else f"exit status {process.returncode}"
        raise DocumentError(f"LibreOffice could not convert the .doc ({reason})")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill LibreOffice and its helpers: they share the session started for this conversion."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.returncode is None:
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _read_result(path: Path) -> bytes:
    if not path.is_file() or path.stat().st_size == 0:
        raise DocumentError("LibreOffice produced no .docx from the .doc (the file may be damaged)")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            ok = "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        ok = False
    if not ok:
        raise DocumentError("LibreOffice produced an unreadable .docx from the .doc")
    return data
