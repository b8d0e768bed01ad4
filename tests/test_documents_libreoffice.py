"""Finding LibreOffice and converting .doc to .docx."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import time
from pathlib import Path

import docx
import pytest

from intake.documents import convert_doc_to_docx, decrypt_office, find_soffice, triage
from intake.errors import DocumentError
from support.office_fixtures import (
    LO_PASSWORD,
    SOFFICE,
    TABLE_ROWS,
    libreoffice_fixtures,
    make_docx,
    make_ole,
    needs_libreoffice,
    word_fib,
)

PLAIN_DOC = make_ole({"WordDocument": word_fib()})  # shaped like a .doc: enough to reach soffice


def fake_soffice(tmp_path: Path, body: str) -> str:
    """An executable shell script standing in for soffice; it records its arguments and folder."""
    script = tmp_path / "fake-soffice"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\n'
        f'stat -c %a "$PWD" > "{tmp_path}/mode"\npwd > "{tmp_path}/cwd"\n{body}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def table_text(docx_bytes: bytes) -> list[tuple[str, ...]]:
    document = docx.Document(io.BytesIO(docx_bytes))
    assert len(document.tables) == 1
    return [tuple(cell.text for cell in row.cells) for row in document.tables[0].rows]


# --- find_soffice --------------------------------------------------------------------------


def test_configured_path_is_used_only_if_executable(tmp_path: Path) -> None:
    program = fake_soffice(tmp_path, "exit 0")
    assert find_soffice(program) == program
    assert find_soffice(str(tmp_path / "missing" / "soffice")) is None
    (tmp_path / "not-executable").write_text("")
    assert find_soffice(str(tmp_path / "not-executable")) is None


def test_configured_name_is_looked_up_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = fake_soffice(tmp_path, "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_soffice("fake-soffice") == program
    assert find_soffice("no-such-office-program") is None


@needs_libreoffice
def test_default_search_finds_installed_soffice() -> None:
    found = find_soffice(None)
    assert found is not None and os.access(found, os.X_OK)


# --- conversion with a stand-in program (no LibreOffice needed) -----------------------------


def test_private_folder_profile_and_cleanup(tmp_path: Path) -> None:
    program = fake_soffice(tmp_path, "exit 0")  # produces nothing
    with pytest.raises(DocumentError, match="produced no .docx"):
        convert_doc_to_docx(PLAIN_DOC, soffice=program)
    args = (tmp_path / "args").read_text().splitlines()
    workdir = Path((tmp_path / "cwd").read_text().strip())
    assert (tmp_path / "mode").read_text().strip() == "700"
    assert not workdir.exists(), "the private folder must be removed"
    profile = [a for a in args if a.startswith("-env:UserInstallation=file:///")]
    assert profile == [f"-env:UserInstallation={(workdir / 'profile').as_uri()}"]
    assert "--headless" in args and args[-1] == str(workdir / "document.doc")


def test_failure_exit_status_is_document_error(tmp_path: Path) -> None:
    program = fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2\nexit 1")
    with pytest.raises(DocumentError, match="could not be loaded"):
        convert_doc_to_docx(PLAIN_DOC, soffice=program)


def test_timeout_kills_and_cleans_up(tmp_path: Path) -> None:
    program = fake_soffice(tmp_path, f'sleep 30 & echo $! > "{tmp_path}/child"\nwait')
    with pytest.raises(DocumentError, match="within 1 seconds"):
        convert_doc_to_docx(PLAIN_DOC, soffice=program, timeout=1)
    child = int((tmp_path / "child").read_text())
    assert _gone(child)
    assert not Path((tmp_path / "cwd").read_text().strip()).exists()


def _gone(pid: int, patience: float = 10.0) -> bool:
    """SIGKILL is delivered asynchronously: on a busy machine the process may take a moment."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or "zombie" in _proc_state(pid):
            return True
        time.sleep(0.05)
    return False


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def test_missing_program_is_document_error() -> None:
    with pytest.raises(DocumentError, match="could not be started"):
        convert_doc_to_docx(PLAIN_DOC, soffice=os.path.join(tempfile.gettempdir(), "no-such-dir", "soffice"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_docx(), "only a Word 97-2003"),
        (make_ole({"WordDocument": word_fib(encrypted=True)}), "still encrypted"),
    ],
)
def test_refuses_wrong_input_before_starting_anything(tmp_path: Path, data: bytes, message: str) -> None:
    program = fake_soffice(tmp_path, "exit 0")
    with pytest.raises(DocumentError, match=message):
        convert_doc_to_docx(data, soffice=program)
    assert not (tmp_path / "args").exists()


# --- real LibreOffice ----------------------------------------------------------------------


@needs_libreoffice
def test_plain_doc_converts_and_keeps_the_table() -> None:
    converted = convert_doc_to_docx(libreoffice_fixtures().plain_doc, soffice=SOFFICE or "")
    assert triage(converted).format == "docx"
    assert table_text(converted) == list(TABLE_ROWS)


@needs_libreoffice
def test_decrypted_rc4_doc_converts_and_keeps_the_table() -> None:
    plain = decrypt_office(libreoffice_fixtures().rc4_doc, LO_PASSWORD)
    assert table_text(convert_doc_to_docx(plain, soffice=SOFFICE or "")) == list(TABLE_ROWS)


@needs_libreoffice
def test_damaged_doc_fails_cleanly() -> None:
    with pytest.raises(DocumentError):
        convert_doc_to_docx(PLAIN_DOC, soffice=SOFFICE or "", timeout=60)
