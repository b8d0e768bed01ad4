"""Triage by content, and zip-bomb limits from declared sizes."""

from __future__ import annotations

import zipfile

import pytest

from intake.documents import ContainerLimits, Triage, check_zip_limits, triage
from intake.errors import DocumentError, LimitExceeded
from support.office_fixtures import (
    JAPANESE_NAME,
    LO_PASSWORD,
    encrypt_agile,
    libreoffice_fixtures,
    make_aes_zip,
    make_docm,
    make_docx,
    make_lying_zip,
    make_ole,
    make_pdf,
    make_plain_zip,
    make_strict_docx,
    make_xlsx,
    make_zipcrypto_zip,
    needs_libreoffice,
    word_fib,
)

PASSWORD = "Tel-2026-0401"


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return make_docx()


def test_plain_docx(docx_bytes: bytes) -> None:
    assert triage(docx_bytes, "form.docx") == Triage("docx", False, False, "Word document (.docx)")


def test_name_is_ignored(docx_bytes: bytes) -> None:
    assert triage(docx_bytes, "申込書.pdf").format == "docx"
    assert triage(make_pdf(), "申込書.docx").format == "pdf"


def test_docm_is_docx_with_macro(docx_bytes: bytes) -> None:
    result = triage(make_docm(docx_bytes), "form.docx")
    assert (result.format, result.encrypted, result.macro) == ("docx", False, True)
    assert "macro" in result.detail


def test_strict_ooxml_is_reported(docx_bytes: bytes) -> None:
    result = triage(make_strict_docx(docx_bytes))
    assert (result.format, result.encrypted) == ("docx", False)
    assert "Strict OOXML" in result.detail


def test_agile_encrypted_docx(docx_bytes: bytes) -> None:
    result = triage(encrypt_agile(docx_bytes, PASSWORD), JAPANESE_NAME)
    assert (result.format, result.encrypted, result.macro) == ("docx", True, False)
    assert "agile" in result.detail and "not Word" not in result.detail


def test_encrypted_ooxml_named_xlsx_stays_docx_but_says_so() -> None:
    result = triage(encrypt_agile(make_xlsx(), PASSWORD), "book.xlsx")
    assert (result.format, result.encrypted) == ("docx", True)
    assert ".xlsx" in result.detail


def test_aes_zip(docx_bytes: bytes) -> None:
    result = triage(make_aes_zip({JAPANESE_NAME: docx_bytes}, PASSWORD))
    assert result == Triage("zip", True, False, "password-protected zip holding 1 file")


def test_zipcrypto_zip(docx_bytes: bytes) -> None:
    result = triage(make_zipcrypto_zip(JAPANESE_NAME, docx_bytes, PASSWORD))
    assert (result.format, result.encrypted) == ("zip", True)


def test_plain_zip_holding_a_docx(docx_bytes: bytes) -> None:
    result = triage(make_plain_zip({"a.docx": docx_bytes, "b.txt": b"memo"}))
    assert result == Triage("zip", False, False, "zip holding 2 files")


def test_pdf_and_encrypted_pdf() -> None:
    assert triage(make_pdf()) == Triage("pdf", False, False, "PDF document")
    encrypted = make_pdf().replace(b"trailer<<", b"trailer<</Encrypt 9 0 R")
    assert triage(encrypted).encrypted is True


def test_xlsx() -> None:
    result = triage(make_xlsx())
    assert (result.format, result.encrypted, result.macro) == ("xlsx", False, False)


@pytest.mark.parametrize(
    ("data", "detail_word"),
    [
        (b"", "empty"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (b"hello", "unrecognised"),
    ],
)
def test_other_content(data: bytes, detail_word: str) -> None:
    result = triage(data)
    assert (result.format, result.encrypted, result.macro) == ("other", False, False)
    assert detail_word in result.detail


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"\x89PNG\r\n\x1a\n....", "PNG image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC image"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "HEIC image"),
        (b"II*\x00\x08\x00\x00\x00", "TIFF image"),
    ],
)
def test_photos_and_scans_are_images_whatever_their_name(data: bytes, detail: str) -> None:
    assert triage(data, "申込書.docx") == Triage("image", False, False, detail)


def test_truncated_zip_is_other(docx_bytes: bytes) -> None:
    assert triage(docx_bytes[:200]) == Triage("other", False, False, "damaged zip file")


def test_legacy_doc_flags_from_fib() -> None:
    assert triage(make_ole({"WordDocument": word_fib()})) == Triage(
        "doc", False, False, "Word 97-2003 document (.doc)"
    )
    encrypted = triage(make_ole({"WordDocument": word_fib(encrypted=True)}))
    assert (encrypted.format, encrypted.encrypted) == ("doc", True)
    xor = triage(make_ole({"WordDocument": word_fib(encrypted=True, obfuscated=True)}))
    assert xor.encrypted and "XOR" in xor.detail


def test_macros_storage_in_doc() -> None:
    result = triage(make_ole({"WordDocument": word_fib()}, ("Macros",)))
    assert (result.format, result.macro) == ("doc", True)


def test_legacy_excel_is_other() -> None:
    result = triage(make_ole({"Workbook": b"\x09\x08\x10\x00"}, ("_VBA_PROJECT_CUR",)))
    assert (result.format, result.macro) == ("other", True)
    assert "Excel" in result.detail


@needs_libreoffice
def test_libreoffice_files() -> None:
    made = libreoffice_fixtures()
    standard = triage(made.standard_docx)
    assert (standard.format, standard.encrypted) == ("docx", True) and "standard" in standard.detail
    assert triage(made.rc4_doc) == Triage(
        "doc", True, False, "password-protected Word 97-2003 document (.doc)"
    )
    assert triage(made.plain_doc) == Triage("doc", False, False, "Word 97-2003 document (.doc)")
    assert LO_PASSWORD.encode() not in made.standard_docx


# --- zip limits ----------------------------------------------------------------------------


@pytest.fixture
def no_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to read a member's data fail the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened: limits must come from declared sizes")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_declared_size_over_limit_is_refused(no_decompression: None) -> None:
    bomb = make_lying_zip("big.xml", b"<w/>" * 10, declared_size=4_000_000_000)
    with pytest.raises(LimitExceeded, match="max_unpacked_mb"):
        check_zip_limits(
            bomb, ContainerLimits(max_unpacked_bytes=100_000_000, max_ratio=1e12, max_members=10)
        )


def test_ratio_over_limit_is_refused(no_decompression: None) -> None:
    bomb = make_lying_zip("zeros.bin", bytes(1000), declared_size=50_000_000)
    with pytest.raises(LimitExceeded, match="max_ratio"):
        check_zip_limits(bomb, ContainerLimits(max_unpacked_bytes=10**12, max_ratio=200, max_members=10))


def test_real_compressible_zip_is_refused_by_ratio() -> None:
    bomb = make_plain_zip({"zeros.bin": bytes(20_000_000)})
    assert len(bomb) < 100_000
    with pytest.raises(LimitExceeded, match="expand"):
        check_zip_limits(bomb, ContainerLimits(max_unpacked_bytes=10**9, max_ratio=100, max_members=10))


def test_member_count_limit(docx_bytes: bytes) -> None:
    many = make_plain_zip({f"{i}.txt": b"x" for i in range(5)})
    with pytest.raises(LimitExceeded, match="max_zip_members"):
        check_zip_limits(many, ContainerLimits(max_unpacked_bytes=10**6, max_ratio=100, max_members=4))
    check_zip_limits(many, ContainerLimits(max_unpacked_bytes=10**6, max_ratio=100, max_members=5))


def test_ordinary_docx_passes_default_limits(docx_bytes: bytes) -> None:
    check_zip_limits(docx_bytes)
    check_zip_limits(make_aes_zip({JAPANESE_NAME: docx_bytes}, PASSWORD))


def test_small_repetitive_member_is_not_a_bomb(no_decompression: None) -> None:
    check_zip_limits(
        make_lying_zip("styles.xml", bytes(100), declared_size=500_000), ContainerLimits(max_ratio=10)
    )


def test_damaged_zip_limits_raise_document_error() -> None:
    with pytest.raises(DocumentError):
        check_zip_limits(b"PK\x03\x04 not really a zip")
