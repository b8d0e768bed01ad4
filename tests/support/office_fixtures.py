"""Office, zip and PDF fixtures built by the test suite itself (no file is copied from a corpus).

LibreOffice-made fixtures (standard-encrypted .docx, RC4 .doc, plain .doc) come from
LibreOffice's UNO bridge run by the system Python (``/usr/bin/python3`` with ``import uno``):
``soffice --convert-to`` with a password silently writes an unencrypted file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import secrets
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import docx
import msoffcrypto
import olefile
import openpyxl
import pytest
import pyzipper
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from msoffcrypto.method.ecma376_agile import ECMA376Agile
from pyzipper.zipfile_aes import AESZipInfo

JAPANESE_NAME = "201201_協議会加入申込書（テスト株式会社）.docx"
TABLE_ROWS = (("組織・団体名", "テスト株式会社"), ("法人番号", "1234567890123"), ("担当者", "山田 太郎"))
SYSTEM_PYTHON = "/usr/bin/python3"
SOFFICE = shutil.which("soffice")


def make_docx(title: str = "協議会加入申込書") -> bytes:
    """A small Word document: a heading paragraph, a 3x2 Japanese table and a closing paragraph.

    The closing paragraph matters: Word always ends a document with a paragraph, and
    LibreOffice 7.4 drops a table that is the very last thing in a document when it writes .doc.
    """
    document = docx.Document()
    document.add_paragraph(title)
    table = document.add_table(rows=len(TABLE_ROWS), cols=2)
    for row, (label, value) in zip(table.rows, TABLE_ROWS, strict=True):
        row.cells[0].text = label
        row.cells[1].text = value
    document.add_paragraph("以上")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def encrypt_agile(plain: bytes, password: str) -> bytes:
    """Encrypt an OOXML file with msoffcrypto (ECMA-376 agile, AES-256 / SHA-512)."""
    out = io.BytesIO()
    msoffcrypto.OfficeFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def _rewrite_zip(source: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def make_docm(plain_docx: bytes) -> bytes:
    """A macro-enabled Word file: the .docx plus word/vbaProject.bin and the docm content type."""
    with zipfile.ZipFile(io.BytesIO(plain_docx)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
    return _rewrite_zip(
        plain_docx, {"[Content_Types].xml": types}, {"word/vbaProject.bin": b"\xcc\x61" + bytes(510)}
    )


def with_embedded(plain_docx: bytes, payload: bytes) -> bytes:
    """The .docx carrying ``payload`` as an embedded object (word/embeddings/oleObject1.bin), as a
    lure document carries its dropper; the form itself reads as before."""
    return _rewrite_zip(plain_docx, {}, {"word/embeddings/oleObject1.bin": payload})


def make_strict_docx(plain_docx: bytes) -> bytes:
    """A .docx whose package relationships use the ISO Strict namespace."""
    with zipfile.ZipFile(io.BytesIO(plain_docx)) as zf:
        rels = zf.read("_rels/.rels")
    strict = rels.replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
    )
    assert strict != rels
    return _rewrite_zip(plain_docx, {"_rels/.rels": strict})


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "組織名"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_pdf() -> bytes:
    """A minimal one-page PDF (enough for magic-byte detection)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


# --- zips -----------------------------------------------------------------------------------


class _Cp932ZipInfo(AESZipInfo):
    """Writes its name in cp932 without the UTF-8 flag, as Japanese Windows tools do."""

    __slots__ = ()

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp932"), self.flag_bits & ~0x800


def make_aes_zip(members: dict[str, bytes], password: str) -> bytes:
    """A WinZip-AES (AES-256) zip whose member names are cp932 without the UTF-8 flag."""
    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode("utf-8"))
        for name, data in members.items():
            info = _Cp932ZipInfo(name, date_time=(2020, 12, 1, 9, 0, 0))
            info.compress_type = pyzipper.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def make_plain_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@dataclass
class _RawEntry:
    name: bytes
    flags: int
    method: int
    crc: int
    payload: bytes
    size: int


def _raw_zip(entries: list[_RawEntry]) -> bytes:
    """Write a zip byte by byte (for ZipCrypto and for deliberately lying headers)."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        out += (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                e.flags,
                e.method,
                0,
                0x5181,
                e.crc,
                len(e.payload),
                e.size,
                len(e.name),
                0,
            )
            + e.name
            + e.payload
        )
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                e.flags,
                e.method,
                0,
                0x5181,
                e.crc,
                len(e.payload),
                e.size,
                len(e.name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + e.name
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _zipcrypto(payload: bytes, password: bytes, crc: int) -> bytes:
    """Traditional PKWARE encryption (APPNOTE 6.1) with its 12-byte header."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_byte(value: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc_byte(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_byte(keys[2], keys[1] >> 24)

    for byte in password:
        update(byte)
    out = bytearray()
    for byte in secrets.token_bytes(11) + bytes([crc >> 24]) + payload:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(byte)
    return bytes(out)


def make_zipcrypto_zip(name: str, data: bytes, password: str) -> bytes:
    """A ZipCrypto zip with one deflated member, its name in cp932 without the UTF-8 flag."""
    crc = zlib.crc32(data)
    payload = _zipcrypto(_deflate(data), password.encode("utf-8"), crc)
    return _raw_zip([_RawEntry(name.encode("cp932"), 0x1, 8, crc, payload, len(data))])


def make_lying_zip(name: str, data: bytes, declared_size: int) -> bytes:
    """A zip whose headers declare ``declared_size`` bytes for ``data`` (a bomb or a liar)."""
    return _raw_zip([_RawEntry(name.encode("ascii"), 0, 8, zlib.crc32(data), _deflate(data), declared_size)])


# --- LibreOffice (UNO) ----------------------------------------------------------------------

_UNO_SCRIPT = r"""
import os, signal, subprocess, sys, tempfile, time, shutil
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

def named(name, value):
    v = uno.createUnoStruct("com.sun.star.beans.NamedValue"); v.Name = name; v.Value = value; return v

soffice, source, outdir = sys.argv[1:4]
password = os.environ["FIXTURE_PASSWORD"]
work = tempfile.mkdtemp(prefix="intake-uno-")
pipe = "intake_uno_%d" % os.getpid()
proc = subprocess.Popen([soffice, "-env:UserInstallation=file://" + work + "/profile", "--headless",
                         "--invisible", "--norestore", "--nologo", "--nodefault",
                         "--accept=pipe,name=%s;urp;" % pipe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 90
    while True:
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.25)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        raise SystemExit("LibreOffice could not load " + source)
    ooxml = uno.Any("[]com.sun.star.beans.NamedValue",
                    (named("CryptoType", "StrongEncryptionDataSpace"), named("OOXPassword", password)))
    targets = (
        ("standard.docx", (prop("FilterName", "MS Word 2007 XML"), prop("EncryptionData", ooxml))),
        ("rc4.doc", (prop("FilterName", "MS Word 97"), prop("Password", password))),
        ("plain.doc", (prop("FilterName", "MS Word 97"),)),
    )
    for name, args in targets:
        doc.storeToURL(uno.systemPathToFileUrl(os.path.join(outdir, name)), args)
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
finally:
    if proc.poll() is None:  # the launcher still leads its process group: kill LibreOffice with it
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    shutil.rmtree(work, ignore_errors=True)
"""


def libreoffice_missing_reason() -> str | None:
    """Why LibreOffice fixtures cannot be built here, or None when they can."""
    if SOFFICE is None:
        return "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui python3-uno"
    probe = (
        subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
        if os.path.exists(SYSTEM_PYTHON)
        else None
    )
    if probe is None or probe.returncode != 0:
        return "the system python3 cannot import uno: apt-get install python3-uno"
    return None


@dataclass(frozen=True)
class LibreOfficeFixtures:
    """Files LibreOffice wrote from :func:`make_docx` with :data:`LO_PASSWORD`."""

    standard_docx: bytes
    rc4_doc: bytes
    plain_doc: bytes


LO_PASSWORD = "Kyogikai#2026"


@functools.cache
def libreoffice_fixtures() -> LibreOfficeFixtures:
    """Build (once per test run) a standard-encrypted .docx, an RC4 .doc and a plain .doc."""
    assert SOFFICE is not None
    with tempfile.TemporaryDirectory(prefix="intake-fixtures-") as tmp:
        work = Path(tmp)
        (work / "source.docx").write_bytes(make_docx())
        (work / "make.py").write_text(_UNO_SCRIPT, encoding="utf-8")
        env = dict(os.environ, FIXTURE_PASSWORD=LO_PASSWORD)
        result = subprocess.run(
            [SYSTEM_PYTHON, str(work / "make.py"), SOFFICE, str(work / "source.docx"), str(work)],
            env=env,
            capture_output=True,
            timeout=240,
        )
        if result.returncode != 0:
            raise RuntimeError(
                "UNO fixture script failed: " + result.stderr.decode("utf-8", "replace")[-2000:]
            )
        return LibreOfficeFixtures(
            (work / "standard.docx").read_bytes(),
            (work / "rc4.doc").read_bytes(),
            (work / "plain.doc").read_bytes(),
        )


# --- minimal OLE compound files -------------------------------------------------------------

_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def word_fib(*, encrypted: bool = False, obfuscated: bool = False, nfib: int = 0x00C1) -> bytes:
    """The start of a WordDocument stream: a FibBase with the given flags."""
    flags = (0x0100 if encrypted else 0) | (0x8000 if obfuscated else 0) | (0x0200 if encrypted else 0)
    return struct.pack("<HHHHHH", 0xA5EC, nfib, 0, 0x0411, 0, flags) + bytes(20)


def _dir_entry(
    name: str, kind: int, start: int, size: int, *, child: int = _NONE, right: int = _NONE
) -> bytes:
    """One 128-byte directory entry ([MS-CFB] 2.6)."""
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return encoded.ljust(64, b"\0") + struct.pack(
        "<HBBIII16sI8s8sIQ",
        len(encoded),
        kind,
        1 if name else 0,
        _NONE,
        right,
        child,
        bytes(16),
        0,
        bytes(8),
        bytes(8),
        start,
        size,
    )


def make_ole(streams: dict[str, bytes], storages: tuple[str, ...] = ()) -> bytes:
    """A version-3 compound file with up to three top-level streams / empty storages.

    Each stream is padded to at least 4 KiB so that it lives in ordinary sectors (no mini
    stream). Enough for olefile and msoffcrypto; used for .doc / .xls shapes LibreOffice cannot
    be asked to write (XOR obfuscation, macro storages, unknown encryption versions).
    """
    names = list(streams) + list(storages)
    assert len(names) <= 3, "one directory sector holds four entries, the root included"
    entries = [_dir_entry("Root Entry", 5, _END, 0, child=1 if names else _NONE)]
    fat = [_FAT, _END]
    bodies: list[bytes] = []
    sector = 2  # sector 0 holds the FAT, sector 1 the directory
    for index, name in enumerate(names, start=1):
        right = index + 1 if index < len(names) else _NONE
        if name not in streams:
            entries.append(_dir_entry(name, 1, 0, 0, right=right))
            continue
        body = streams[name].ljust(max(4096, -(-len(streams[name]) // 512) * 512), b"\0")
        count = len(body) // 512
        entries.append(_dir_entry(name, 2, sector, len(body), right=right))
        fat += [sector + i + 1 for i in range(count - 1)] + [_END]
        bodies.append(body)
        sector += count
    assert len(fat) <= 128, "one FAT sector maps 128 sectors"
    entries += [_dir_entry("", 0, 0, 0)] * (4 - len(entries))
    fat_sector = b"".join(struct.pack("<I", value) for value in fat).ljust(512, b"\xff")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (108 * 4)
    )
    return header + fat_sector + b"".join(entries) + b"".join(bodies)


# --- an agile file with SHA-1 and AES-256 (as Word for Mac 2011 writes) ---------------------


def _spec_padded_key(password: str, salt: bytes, spin: int, key_bits: int) -> bytes:
    """[MS-OFFCRYPTO] 2.3.4.11 with SHA-1: the 20-byte hash is padded with 0x36 to the key size."""
    digest = hashlib.sha1(salt + password.encode("utf-16-le")).digest()
    for i in range(spin):
        digest = hashlib.sha1(struct.pack("<I", i) + digest).digest()
    final = hashlib.sha1(digest + bytes([0x14, 0x6E, 0x0B, 0xE7, 0xAB, 0xAC, 0xD0, 0xD6])).digest()
    return final + b"\x36" * (key_bits // 8 - len(final))


def make_sha1_aes256_agile(plain: bytes, password: str) -> bytes:
    """Re-key an msoffcrypto agile file so its password key uses SHA-1 with a 256-bit AES key.

    msoffcrypto 6.1 cannot open such files (``ValueError: Invalid key size (160) for AES``).
    """
    encrypted = encrypt_agile(plain, password)
    office = msoffcrypto.OfficeFile(io.BytesIO(encrypted))
    info = office.info
    secret = ECMA376Agile.makekey_from_password(
        password,
        info["passwordSalt"],
        info["passwordHashAlgorithm"],
        info["encryptedKeyValue"],
        info["spinValue"],
        info["passwordKeyBits"],
    )
    key = _spec_padded_key(password, info["passwordSalt"], info["spinValue"], 256)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(info["passwordSalt"])).encryptor()
    new_value = base64.b64encode(encryptor.update(secret) + encryptor.finalize())
    ole = olefile.OleFileIO(io.BytesIO(encrypted))
    stream = ole.openstream("EncryptionInfo").read()
    head, xml = stream[:8], stream[8:]
    start = xml.index(b"<p:encryptedKey")
    element = xml[start:]
    element = element.replace(b'hashAlgorithm="SHA512"', b'hashAlgorithm="SHA1"', 1)
    element = element.replace(b'hashSize="64"', b'hashSize="20"', 1)
    element = element.replace(base64.b64encode(info["encryptedKeyValue"]), new_value, 1)
    new_xml = (xml[:start] + element).ljust(len(xml), b" ")
    out = io.BytesIO(encrypted)
    writer = olefile.OleFileIO(out, write_mode=True)
    writer.write_stream("EncryptionInfo", head + new_xml)
    writer.close()
    return out.getvalue()


LIBREOFFICE_MISSING = libreoffice_missing_reason()
#: Marks tests that need LibreOffice and its UNO bridge; they are skipped (with the reason) only
#: when ``soffice`` or ``python3-uno`` is absent.
needs_libreoffice = pytest.mark.skipif(LIBREOFFICE_MISSING is not None, reason=LIBREOFFICE_MISSING or "")
