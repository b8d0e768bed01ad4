"""Say what an attachment is by looking at its bytes, never at its name.

The checks are cheap and never decrypt or decompress more than two tiny OOXML index parts
(``[Content_Types].xml`` and ``_rels/.rels``, each capped at :data:`_INDEX_PART_CAP` bytes).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import msoffcrypto
import olefile

from intake.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
WORD_FIB_IDENT = 0xA5EC

_INDEX_PART_CAP = 512 * 1024
_STRICT_RELATIONSHIP = b"purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
_WORD_TYPES = (b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
_WORD_MACRO_TYPES = (
    b"ms-word.document.macroEnabled.main+xml",
    b"ms-word.template.macroEnabledTemplate.main+xml",
)
_EXCEL_TYPES = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)
_MACRO_TYPES = _WORD_MACRO_TYPES + (
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
    b"ms-powerpoint.presentation.macroEnabled.main+xml",
)
_EXCEL_BINARY_TYPE = b"ms-excel.sheet.binary.macroEnabled.main"  # every .xlsb, macros or not


@dataclass(frozen=True)
class Triage:
    """What a file is, judged from its content.

    ``format`` is one of ``"docx"``, ``"doc"``, ``"pdf"``, ``"zip"``, ``"xlsx"``, ``"image"`` (a photo
    or scan: JPEG, PNG, HEIC, GIF, TIFF, WebP) or ``"other"``.
    A macro-enabled Word file (.docm / .dotm) is ``"docx"`` with ``macro=True``.

    An *encrypted* OOXML file (an OLE container with ``EncryptionInfo`` / ``EncryptedPackage``)
    hides its inner type until it is decrypted, so it is always reported as ``"docx"`` with
    ``encrypted=True``; ``detail`` mentions what the file name suggests when it is not Word.
    Callers must triage the decrypted bytes again (which also reveals macros: ``macro`` is
    False for an encrypted OOXML file because its content cannot be seen).

    ``encrypted`` is True for encrypted OOXML, a .doc whose FIB has ``fEncrypted`` set, a zip
    with at least one encrypted member, a PDF with an ``/Encrypt`` dictionary and an encrypted
    legacy .xls / .ppt. ``detail`` is one plain English phrase for staff.
    """

    format: str
    encrypted: bool
    macro: bool
    detail: str


def triage(data: bytes, filename: str | None = None) -> Triage:
    """Classify ``data`` by its magic bytes, zip directory or OLE streams.

    ``filename`` is used only to word the ``detail`` of an encrypted OOXML file; it never
    changes ``format``.
    """
    if not data:
        return Triage("other", False, False, "empty file")
    if data.startswith(OLE_MAGIC):
        return _triage_ole(data, filename)
    if data.startswith(ZIP_MAGICS):
        return _triage_zip(data)
    if b"%PDF-" in data[:1024]:
        encrypted = b"/Encrypt" in data
        return Triage(
            "pdf", encrypted, False, "password-protected PDF document" if encrypted else "PDF document"
        )
    image = _image_kind(data)
    if image:
        return Triage("image", False, False, image)
    return Triage("other", False, False, _describe_other(data))


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def _image_kind(data: bytes) -> str | None:
    """A photo or scan, by its signature: JPEG, PNG, HEIC / HEIF (iPhone), GIF, TIFF, WebP."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG image"
    if data.startswith(b"\x89PNG"):
        return "PNG image"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC image" if data[8:12] != b"avif" else "AVIF image"
    if data.startswith(b"GIF8"):
        return "GIF image"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF image"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WebP image"
    return None


def _describe_other(data: bytes) -> str:
    """Name a few common non-Word formats so staff see what was sent instead."""
    known = (
        (b"{\\rtf", "RTF document (not a Word .docx)"),
        (b"Rar!", "RAR archive"),
        (b"7z\xbc\xaf", "7-Zip archive"),
        (b"\x1f\x8b", "gzip archive"),
    )
    for magic, detail in known:
        if data.startswith(magic):
            return detail
    return "unrecognised content (not Word, PDF or zip)"


# --- OLE compound files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FibFlags:
    """The few fields of a Word 97-2003 File Information Block that matter here."""

    ident: int
    nfib: int
    encrypted: bool
    obfuscated: bool


def read_fib_flags(word_document_stream: bytes) -> FibFlags:
    """Parse the FibBase at the start of a ``WordDocument`` stream ([MS-DOC] 2.5.2)."""
    if len(word_document_stream) < 32:
        raise DocumentError("the Word 97-2003 document is damaged (its header is truncated)")
    ident = int.from_bytes(word_document_stream[0:2], "little")
    nfib = int.from_bytes(word_document_stream[2:4], "little")
    flags = int.from_bytes(word_document_stream[10:12], "little")
    return FibFlags(ident, nfib, bool(flags & 0x0100), bool(flags & 0x8000))


def _triage_ole(data: bytes, filename: str | None) -> Triage:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises many types on hostile input
        return Triage("other", False, False, "damaged OLE compound file")
    try:
        if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
            return Triage("docx", True, False, _encrypted_ooxml_detail(ole, filename))
        if ole.exists("WordDocument"):
            return _triage_doc(ole)
        return _triage_other_ole(data, ole)
    finally:
        ole.close()


def _encrypted_ooxml_detail(ole: olefile.OleFileIO, filename: str | None) -> str:
    try:
        scheme = ooxml_encryption_scheme(ole.openstream("EncryptionInfo").read(8))
    except Exception:
        scheme = "unreadable"
    detail = f"password-protected Office document ({scheme} encryption); its kind shows after decryption"
    suffix = (filename or "").lower().rsplit(".", 1)[-1] if filename and "." in filename else ""
    if suffix and suffix not in ("docx", "docm", "doc", "dotx", "dotm"):
        detail += f" (its name ends in .{suffix}, which is not Word)"
    return detail


def ooxml_encryption_scheme(header: bytes) -> str:
    """Name the ECMA-376 encryption from the version at the start of ``EncryptionInfo``."""
    if len(header) < 4:
        return "unreadable"
    major = int.from_bytes(header[0:2], "little")
    minor = int.from_bytes(header[2:4], "little")
    if (major, minor) == (4, 4):
        return "agile"
    if major in (2, 3, 4) and minor == 2:
        return "standard"
    if major in (3, 4) and minor == 3:
        return "extensible"
    return f"unknown version {major}.{minor}"


def _triage_doc(ole: olefile.OleFileIO) -> Triage:
    macro = ole.exists("Macros") or ole.exists("VBA")
    try:
        fib = read_fib_flags(ole.openstream("WordDocument").read(64))
    except Exception:
        return Triage("doc", False, macro, "damaged Word 97-2003 document (.doc)")
    if fib.ident != WORD_FIB_IDENT:
        return Triage("doc", False, macro, "Word document of an unknown old version (.doc)")
    if fib.encrypted and fib.obfuscated:
        return Triage(
            "doc", True, macro, "Word 97-2003 document (.doc) with XOR obfuscation, which cannot be opened"
        )
    if fib.encrypted:
        return Triage("doc", True, macro, "password-protected Word 97-2003 document (.doc)")
    detail = "macro-enabled Word 97-2003 document (.doc)" if macro else "Word 97-2003 document (.doc)"
    return Triage("doc", False, macro, detail)


def _triage_other_ole(data: bytes, ole: olefile.OleFileIO) -> Triage:
    kinds = (
        ("Workbook", "Excel 97-2003 workbook (.xls)"),
        ("Book", "Excel 5.0/95 workbook (.xls)"),
        ("PowerPoint Document", "PowerPoint 97-2003 presentation (.ppt)"),
    )
    macro = ole.exists("_VBA_PROJECT_CUR") or ole.exists("Macros") or ole.exists("VBA")
    for stream, detail in kinds:
        if ole.exists(stream):
            encrypted = _legacy_is_encrypted(data)
            return Triage("other", encrypted, macro, ("password-protected " if encrypted else "") + detail)
    return Triage("other", False, macro, "OLE compound file that is not a Word document")


def _legacy_is_encrypted(data: bytes) -> bool:
    """Ask msoffcrypto whether a legacy .xls / .ppt is encrypted; False when it cannot tell."""
    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:
        return False


# --- zip and OOXML --------------------------------------------------------------------------


def _triage_zip(data: bytes) -> Triage:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return Triage("other", False, False, "damaged zip file")
    with zf:
        infos = zf.infolist()
        names = {info.filename for info in infos}
        encrypted = [info for info in infos if info.flag_bits & 0x1]
        if "[Content_Types].xml" in names and not encrypted:
            return _triage_ooxml(zf, names)
        files = [info for info in infos if not info.is_dir()]
        count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
        if not encrypted:
            return Triage("zip", False, False, f"zip holding {count}")
        some = "" if len(encrypted) == len(files) else f" ({len(encrypted)} of them encrypted)"
        return Triage("zip", True, False, f"password-protected zip holding {count}{some}")


def _read_index_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read a small OOXML index part, or nothing if it is missing or declared too big."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > _INDEX_PART_CAP:
        return b""
    try:
        with zf.open(info) as stream:
            return stream.read(_INDEX_PART_CAP)
    except Exception:
        return b""


def _triage_ooxml(zf: zipfile.ZipFile, names: set[str]) -> Triage:
    types = _read_index_part(zf, "[Content_Types].xml")
    rels = _read_index_part(zf, "_rels/.rels")
    macro = any(name.lower().endswith("vbaproject.bin") for name in names)
    macro = macro or any(marker in types for marker in _MACRO_TYPES)
    strict = _STRICT_RELATIONSHIP in rels
    if any(t in types for t in _WORD_TYPES + _WORD_MACRO_TYPES) or "word/document.xml" in names:
        if strict:
            return Triage("docx", False, macro, "Word document in Strict OOXML, which cannot be read")
        detail = "macro-enabled Word document (.docm)" if macro else "Word document (.docx)"
        return Triage("docx", False, macro, detail)
    if _EXCEL_BINARY_TYPE in types or "xl/workbook.bin" in names:
        return Triage(
            "xlsx", False, macro, "Excel binary workbook (.xlsb)" + (" with macros" if macro else "")
        )
    if any(t in types for t in _EXCEL_TYPES) or "xl/workbook.xml" in names:
        detail = "macro-enabled Excel workbook (.xlsm)" if macro else "Excel workbook (.xlsx)"
        return Triage("xlsx", False, macro, detail)
    if b"presentationml" in types or b"ms-powerpoint" in types or "ppt/presentation.xml" in names:
        detail = (
            "macro-enabled PowerPoint presentation (.pptm)" if macro else "PowerPoint presentation (.pptx)"
        )
        return Triage("other", False, macro, detail)
    return Triage("other", False, macro, "Office Open XML package that is not a Word document")
