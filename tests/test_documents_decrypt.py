"""Decrypting Word files and opening password zips, judged by real behaviour."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import olefile
import pytest
import pyzipper
from msoffcrypto.format.ooxml import OOXMLFile

from intake.documents import ContainerLimits, ZipMember, _agile, decrypt_office, open_zip, triage
from intake.errors import DocumentError, LimitExceeded, UnsupportedEncryption, WrongPassword
from intake.tools.office_corpus import CorpusReport, check_folder, format_report
from support.office_fixtures import (
    JAPANESE_NAME,
    LO_PASSWORD,
    TABLE_ROWS,
    encrypt_agile,
    libreoffice_fixtures,
    make_aes_zip,
    make_docx,
    make_lying_zip,
    make_ole,
    make_pdf,
    make_plain_zip,
    make_sha1_aes256_agile,
    make_xlsx,
    make_zipcrypto_zip,
    needs_libreoffice,
    word_fib,
)

PASSWORD = "Tel-2026-0401"


def table_text(docx_bytes: bytes) -> list[tuple[str, ...]]:
    document = docx.Document(io.BytesIO(docx_bytes))
    return [tuple(cell.text for cell in row.cells) for row in document.tables[0].rows]


def assert_no_password(exc: BaseException, password: str = PASSWORD) -> None:
    assert password not in str(exc) and password not in repr(exc)


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return make_docx()


@pytest.fixture(scope="module")
def agile(docx_bytes: bytes) -> bytes:
    return encrypt_agile(docx_bytes, PASSWORD)


# --- agile (msoffcrypto-made) --------------------------------------------------------------


def test_agile_opens_with_right_password(agile: bytes) -> None:
    plain = decrypt_office(agile, PASSWORD)
    assert triage(plain).format == "docx" and not triage(plain).encrypted
    assert table_text(plain) == list(TABLE_ROWS)


@pytest.mark.parametrize("wrong", ["tel-2026-0401", "Tel-2026-040", "x", "パスワード"])
def test_agile_refuses_wrong_password(agile: bytes, wrong: str) -> None:
    with pytest.raises(WrongPassword, match="does not open") as caught:
        decrypt_office(agile, wrong)
    assert_no_password(caught.value, wrong)


def test_empty_password_is_wrong_not_a_crash(agile: bytes) -> None:
    with pytest.raises(WrongPassword):
        decrypt_office(agile, "")


def test_non_ascii_password(docx_bytes: bytes) -> None:
    encrypted = encrypt_agile(docx_bytes, "協議会①２０２６")
    assert table_text(decrypt_office(encrypted, "協議会①２０２６")) == list(TABLE_ROWS)
    with pytest.raises(WrongPassword):
        decrypt_office(encrypted, "協議会1２０２６")


def test_encrypted_xlsx_is_returned_for_triage() -> None:
    plain = decrypt_office(encrypt_agile(make_xlsx(), PASSWORD), PASSWORD)
    assert triage(plain).format == "xlsx"


def test_sha1_aes256_agile_opens_where_msoffcrypto_alone_fails(docx_bytes: bytes) -> None:
    encrypted = make_sha1_aes256_agile(docx_bytes, PASSWORD)
    library = OOXMLFile(io.BytesIO(encrypted))
    with pytest.raises(ValueError, match="key size"):
        library.load_key(password=PASSWORD)  # the msoffcrypto 6.1 bug this file reproduces
    assert table_text(decrypt_office(encrypted, PASSWORD)) == list(TABLE_ROWS)
    with pytest.raises(WrongPassword):
        decrypt_office(encrypted, PASSWORD + "x")


@needs_libreoffice
def test_password_never_logged(agile: bytes, caplog: pytest.LogCaptureFixture) -> None:
    """msoffcrypto logs the password at DEBUG for standard encryption; intake caps that logger."""
    caplog.set_level(logging.DEBUG)
    for encrypted, password in ((agile, PASSWORD), (libreoffice_fixtures().standard_docx, LO_PASSWORD)):
        decrypt_office(encrypted, password)
        with pytest.raises(WrongPassword):
            decrypt_office(encrypted, "Secret-Wrong-99")
        assert password not in caplog.text and "Secret-Wrong-99" not in caplog.text


# --- unsupported and not-encrypted inputs --------------------------------------------------


def _with_encryption_info(encrypted: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """Rewrite the EncryptionInfo stream in place (same length)."""
    stream = olefile.OleFileIO(io.BytesIO(encrypted)).openstream("EncryptionInfo").read()
    changed = edit(stream)
    assert len(changed) == len(stream) and changed != stream
    out = io.BytesIO(encrypted)
    writer = olefile.OleFileIO(out, write_mode=True)
    writer.write_stream("EncryptionInfo", changed)
    writer.close()
    return out.getvalue()


def test_extensible_encryption_is_unsupported(agile: bytes) -> None:
    extensible = _with_encryption_info(agile, lambda s: b"\x04\x00\x03\x00" + s[4:])
    with pytest.raises(UnsupportedEncryption, match="extensible") as caught:
        decrypt_office(extensible, PASSWORD)
    assert not isinstance(caught.value, WrongPassword)


def test_other_cipher_is_unsupported_not_wrong_password(agile: bytes) -> None:
    rc2 = _with_encryption_info(
        agile, lambda s: s.replace(b'cipherAlgorithm="AES"', b'cipherAlgorithm="RC2"')
    )
    with pytest.raises(UnsupportedEncryption, match="RC2"):
        decrypt_office(rc2, PASSWORD)


def test_excessive_spin_count_is_refused(agile: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_agile, "MAX_SPIN_COUNT", 99_999)  # msoffcrypto writes 100,000
    with pytest.raises(UnsupportedEncryption, match="rounds"):
        decrypt_office(agile, PASSWORD)


def test_library_value_error_is_unsupported(agile: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: OOXMLFile, outfile: io.BytesIO) -> None:
        raise ValueError("The length of the provided data is not a multiple of the block length.")

    monkeypatch.setattr(OOXMLFile, "decrypt", broken)
    with pytest.raises(UnsupportedEncryption, match="malformed"):
        decrypt_office(agile, PASSWORD)


def test_xor_obfuscated_doc_is_unsupported() -> None:
    xor = make_ole({"WordDocument": word_fib(encrypted=True, obfuscated=True), "1Table": bytes(64)})
    with pytest.raises(UnsupportedEncryption, match="XOR"):
        decrypt_office(xor, PASSWORD)


def test_unknown_doc_encryption_version_is_unsupported() -> None:
    odd = make_ole({"WordDocument": word_fib(encrypted=True), "1Table": b"\x05\x00\x05\x00" + bytes(60)})
    with pytest.raises(UnsupportedEncryption):
        decrypt_office(odd, PASSWORD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_docx(), "not encrypted"),
        (make_pdf(), "not an encrypted Office document"),
        (make_ole({"WordDocument": word_fib()}), "not encrypted"),
        (make_ole({"Workbook": b"\x09\x08"}), "Excel"),
    ],
)
def test_not_an_encrypted_word_file(data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as caught:
        decrypt_office(data, PASSWORD)
    assert not isinstance(caught.value, (WrongPassword, UnsupportedEncryption))


# --- LibreOffice-made standard .docx and RC4 .doc ------------------------------------------


@needs_libreoffice
def test_standard_encrypted_docx() -> None:
    encrypted = libreoffice_fixtures().standard_docx
    assert "standard" in triage(encrypted).detail
    assert table_text(decrypt_office(encrypted, LO_PASSWORD)) == list(TABLE_ROWS)
    with pytest.raises(WrongPassword) as caught:
        decrypt_office(encrypted, LO_PASSWORD.lower())
    assert_no_password(caught.value, LO_PASSWORD)


@needs_libreoffice
def test_rc4_doc() -> None:
    encrypted = libreoffice_fixtures().rc4_doc
    assert triage(encrypted).encrypted
    plain = decrypt_office(encrypted, LO_PASSWORD)
    assert (triage(plain).format, triage(plain).encrypted) == ("doc", False)
    assert "テスト株式会社".encode("utf-16-le") in plain
    with pytest.raises(WrongPassword):
        decrypt_office(encrypted, "Kyogikai#2025")


# --- zips ----------------------------------------------------------------------------------


def test_aes_zip_with_cp932_name(docx_bytes: bytes) -> None:
    archive = make_aes_zip({JAPANESE_NAME: docx_bytes}, PASSWORD)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.infolist()[0].flag_bits & 0x800 == 0  # really written without the UTF-8 flag
        assert zf.namelist()[0] != JAPANESE_NAME
    members = open_zip(archive, PASSWORD)
    assert [m.name for m in members] == [JAPANESE_NAME]
    assert members[0].data == docx_bytes


@pytest.mark.parametrize("password", ["wrong", None, ""])
def test_aes_zip_wrong_or_missing_password(docx_bytes: bytes, password: str | None) -> None:
    archive = make_aes_zip({JAPANESE_NAME: docx_bytes}, PASSWORD)
    with pytest.raises(WrongPassword) as caught:
        open_zip(archive, password)
    assert_no_password(caught.value)


def test_zipcrypto_zip(docx_bytes: bytes) -> None:
    archive = make_zipcrypto_zip(JAPANESE_NAME, docx_bytes, PASSWORD)
    assert open_zip(archive, PASSWORD) == [ZipMember(JAPANESE_NAME, docx_bytes)]
    for wrong in ("wrong", "Tel-2026-0400", "tel-2026-0401", "a", "b", "c"):
        with pytest.raises(WrongPassword):
            open_zip(archive, wrong)


def test_plain_zip_names_are_sanitised_and_dirs_skipped(docx_bytes: bytes) -> None:
    archive = make_plain_zip({"forms/": b"", "../../etc/申込書.docx": docx_bytes, "a\\b\\memo.txt": b"memo"})
    members = open_zip(archive, None)
    assert [(m.name, m.data) for m in members] == [("申込書.docx", docx_bytes), ("memo.txt", b"memo")]


def test_zip_bomb_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was read")

    monkeypatch.setattr(pyzipper.AESZipFile, "open", refuse)
    bomb = make_lying_zip("bomb.xml", b"<w/>" * 100, declared_size=3_000_000_000)
    with pytest.raises(LimitExceeded, match="max_unpacked_mb"):
        open_zip(bomb, None, ContainerLimits(max_unpacked_bytes=50_000_000))


def test_member_larger_than_declared_is_not_returned() -> None:
    liar = make_lying_zip("liar.txt", b"A" * 5000, declared_size=100)
    with pytest.raises(DocumentError):
        open_zip(liar, None)


def test_zip_member_repr_hides_content() -> None:
    member = ZipMember("a.docx", b"secret content")
    assert "secret" not in repr(member) and "14" in repr(member)


# --- folder sweep --------------------------------------------------------------------------


def test_check_folder_counts_and_never_prints_passwords(
    tmp_path: Path, docx_bytes: bytes, agile: bytes
) -> None:
    (tmp_path / "form.docx").write_bytes(agile)
    (tmp_path / "book.xlsx").write_bytes(encrypt_agile(make_xlsx(), "Book-Pass-1"))
    (tmp_path / "lost.docx").write_bytes(encrypt_agile(docx_bytes, "Nobody-Knows-1"))
    (tmp_path / "xor.doc").write_bytes(make_ole({"WordDocument": word_fib(encrypted=True, obfuscated=True)}))
    (tmp_path / "stray.doc").write_bytes(b"x")
    tsv = tmp_path / "passwords.tsv"
    tsv.write_text(
        "filename\tpassword\n" + "form.docx\t" + PASSWORD + "\nbook.xlsx\tBook-Pass-1\n"
        "lost.docx\tUNKNOWN\nxor.doc\tabc\ngone.docx\tzzz\n",
        encoding="utf-8",
    )
    report: CorpusReport = check_folder(tmp_path, tsv)
    verdicts = {r.name: (r.word, r.verdict.split(":")[0]) for r in report.results}
    assert verdicts == {
        "form.docx": (True, "ok"),
        "book.xlsx": (False, "ok"),
        "lost.docx": (True, "ok"),
        "xor.doc": (True, "unsupported"),
    }
    assert report.missing == ["gone.docx"] and report.unlisted == ["stray.doc"]
    totals = report.totals()
    assert totals["word: opened with right password"] == 1 and totals["word: refused wrong password"] == 2
    text = format_report(report)
    assert PASSWORD not in text and "Book-Pass-1" not in text and "NOT OK" in text  # gone.docx is missing
