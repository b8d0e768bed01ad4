"""Open password-protected Word files and password zips.

The password is judged by the *result*, never by msoffcrypto's ``verify_password`` (it rejects
right passwords on SHA-1 agile files): the key is loaded without verification, the file is
decrypted in memory, and the output must be a zip holding ``[Content_Types].xml`` (OOXML) or an
OLE .doc whose FIB no longer says encrypted. Passwords never appear in exception messages,
logs or reprs; msoffcrypto's own debug logging (which prints passwords for standard encryption)
is capped at WARNING when this module is imported.

How msoffcrypto's errors are mapped:

* ``InvalidKeyError``, or an output that is not a valid document → :class:`WrongPassword`.
* Other ``DecryptionError`` (msoffcrypto raises it only for unsupported methods, never for a
  wrong key), ``FileFormatError``, ``NotImplementedError`` → :class:`UnsupportedEncryption`.
* Plain ``ValueError``: on the real files seen it comes from the file's structure before any
  password is involved — the same error for the right and a wrong password (a truncated
  ``EncryptedPackage``, an unusual key size) — so it is :class:`UnsupportedEncryption`. The one
  known case that is msoffcrypto's bug (SHA-1 with AES-256, Word for Mac 2011) is avoided by
  deriving that key ourselves (see :mod:`._agile`), so those files open.

Everything happens in memory, with one exception inside msoffcrypto: decrypting a .doc copies
it through ``tempfile.TemporaryFile()`` (an unnamed, already-unlinked 0600 file in the system
temp folder) to rewrite its OLE streams.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import msoffcrypto
import olefile
import pyzipper
from msoffcrypto import exceptions as mso
from msoffcrypto.format.ooxml import OOXMLFile

from intake.documents import _agile
from intake.documents.containers import ContainerLimits, check_zip_limits, read_member
from intake.documents.triage import WORD_FIB_IDENT, ooxml_encryption_scheme, read_fib_flags
from intake.errors import DocumentError, UnsupportedEncryption, WrongPassword

logging.getLogger("msoffcrypto").setLevel(logging.WARNING)

WRONG_PASSWORD = "the password does not open this file"
_MAX_DESCRIPTOR = 1024 * 1024


def decrypt_office(data: bytes, password: str) -> bytes:
    """Decrypt an encrypted .docx (agile or standard) or .doc (RC4 / RC4 CryptoAPI).

    Returns the decrypted file: OOXML bytes (a .docx, or whatever OOXML kind was encrypted —
    triage the result) or an OLE .doc. Raises :class:`WrongPassword`,
    :class:`UnsupportedEncryption` (with the reason in plain words) or :class:`DocumentError`
    (not encrypted, not a Word document, damaged).
    """
    if not password:
        raise WrongPassword("no password was given")
    ole = _open_ole(data)
    try:
        if ole.exists("EncryptionInfo"):
            return _decrypt_ooxml(data, ole, password)
        if ole.exists("WordDocument"):
            return _decrypt_doc(data, ole, password)
        if ole.exists("Workbook") or ole.exists("Book"):
            raise DocumentError("this is an Excel 97-2003 workbook, not a Word document")
        if ole.exists("PowerPoint Document"):
            raise DocumentError("this is a PowerPoint 97-2003 presentation, not a Word document")
        raise DocumentError("this OLE file is not a Word document")
    finally:
        ole.close()


def _open_ole(data: bytes) -> olefile.OleFileIO:
    if not olefile.isOleFile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            raise DocumentError("the file is not encrypted (it is a plain zip / Office Open XML file)")
        raise DocumentError("the file is not an encrypted Office document")
    try:
        return olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        raise DocumentError("the Office file is damaged and cannot be read") from exc


@contextlib.contextmanager
def _library_errors() -> Iterator[None]:
    """Translate msoffcrypto's exceptions (their messages never hold the password)."""
    try:
        yield
    except mso.InvalidKeyError:
        raise WrongPassword(WRONG_PASSWORD) from None
    except mso.DecryptionError as exc:
        raise UnsupportedEncryption(f"this encryption cannot be opened ({exc})") from None
    except mso.FileFormatError as exc:
        raise UnsupportedEncryption(f"the encrypted file's format is not recognised ({exc})") from None
    except NotImplementedError:
        raise UnsupportedEncryption(
            "this encryption method is not implemented by the decryption library"
        ) from None
    except ValueError as exc:
        raise UnsupportedEncryption(
            f"its encrypted data is malformed or uses parameters the decryption library cannot handle ({exc})"
        ) from None
    except (OSError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise DocumentError(f"the encrypted file is damaged ({type(exc).__name__})") from None


# --- encrypted OOXML ------------------------------------------------------------------------


def _decrypt_ooxml(data: bytes, ole: olefile.OleFileIO, password: str) -> bytes:
    with _library_errors():
        stream = ole.openstream("EncryptionInfo")
        header = stream.read(8)
        scheme = ooxml_encryption_scheme(header)
        if scheme not in ("agile", "standard"):
            raise UnsupportedEncryption(f"it uses ECMA-376 {scheme} encryption, which cannot be opened")
        descriptor = stream.read(_MAX_DESCRIPTOR)
        if scheme == "agile" and (reason := _agile.unsupported_reason(descriptor)):
            raise UnsupportedEncryption(reason)
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        if scheme == "standard" and office.info["header"]["algId"] & 0xFF00 != 0x6600:
            raise UnsupportedEncryption("it uses standard encryption with RC4, which cannot be opened")
        _load_ooxml_key(office, scheme, password)
        out = io.BytesIO()
        office.decrypt(out)
    result = out.getvalue()
    _check_ooxml(result)
    return result


def _load_ooxml_key(office: OOXMLFile, scheme: str, password: str) -> None:
    """Load the key without msoffcrypto's (unreliable) verification."""
    info = office.info
    if scheme == "agile" and _agile.needs_padded_key(info["passwordHashAlgorithm"], info["passwordKeyBits"]):
        office.load_key(secret_key=_agile.secret_key_from_password(password, info))
    else:
        office.load_key(password=password, verify_password=False)


def _check_ooxml(result: bytes) -> None:
    """A right password yields a zip with ``[Content_Types].xml``; anything else means wrong."""
    try:
        with zipfile.ZipFile(io.BytesIO(result)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        raise WrongPassword(WRONG_PASSWORD) from None
    if "[Content_Types].xml" not in names:
        raise WrongPassword(WRONG_PASSWORD)


# --- encrypted .doc -------------------------------------------------------------------------


def _decrypt_doc(data: bytes, ole: olefile.OleFileIO, password: str) -> bytes:
    with _library_errors():
        fib = read_fib_flags(ole.openstream("WordDocument").read(64))
        if fib.ident != WORD_FIB_IDENT or fib.nfib <= 0x68:
            raise UnsupportedEncryption(
                "it is a Word 95 or older document, whose protection cannot be opened"
            )
        if not fib.encrypted:
            raise DocumentError("the Word document is not encrypted")
        if fib.obfuscated:
            raise UnsupportedEncryption("it uses Word's old XOR obfuscation, which cannot be opened")
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password)  # RC4 verifiers are reliable: a wrong password fails here
        out = io.BytesIO()
        office.decrypt(out)
    result = out.getvalue()
    _check_doc(result)
    return result


def _check_doc(result: bytes) -> None:
    try:
        with olefile.OleFileIO(io.BytesIO(result)) as ole:
            fib = read_fib_flags(ole.openstream("WordDocument").read(64))
    except Exception:
        raise WrongPassword(WRONG_PASSWORD) from None
    if fib.ident != WORD_FIB_IDENT or fib.encrypted:
        raise WrongPassword(WRONG_PASSWORD)


# --- password zips --------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipMember:
    """One file taken out of a zip: a safe base name (no folders) and its bytes."""

    name: str
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"ZipMember(name={self.name!r}, size={len(self.data)})"


def open_zip(
    data: bytes, password: str | None, limits: ContainerLimits = ContainerLimits()
) -> list[ZipMember]:
    """Extract the files of a plain, ZipCrypto or WinZip-AES zip into memory.

    The declared sizes are checked first (:func:`check_zip_limits`); reading then never takes
    more than a member's declared size nor more than ``limits.max_unpacked_bytes`` in all, and
    stops as soon as a member inflates faster than ``limits.max_ratio``. Directories
    are skipped; names lose any folder part. Names written without the UTF-8 flag (Japanese
    Windows tools) are decoded as UTF-8 if they are valid UTF-8, else as cp932. A missing or
    wrong password raises :class:`WrongPassword`; a non-ASCII password is tried as UTF-8 and
    then as cp932 bytes.
    """
    check_zip_limits(data, limits)
    try:
        zf = pyzipper.AESZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, pyzipper.BadZipFile, ValueError, OSError, NotImplementedError) as exc:
        raise DocumentError("the zip file is damaged and cannot be read") from exc
    with zf:
        infos = [info for info in zf.infolist() if not _is_dir(info)]
        if any(info.flag_bits & 0x1 for info in infos) and not password:
            raise WrongPassword("this zip is password-protected and no password was given")
        candidates = _password_candidates(password)
        members: list[ZipMember] = []
        budget = limits.max_unpacked_bytes
        for index, info in enumerate(infos, start=1):
            content = _read_member(zf, info, candidates, budget, limits)
            budget -= len(content)
            members.append(ZipMember(member_name(info, index), content))
    return members


def _is_dir(info: zipfile.ZipInfo) -> bool:
    return info.filename.endswith(("/", "\\")) or info.is_dir()


def _password_candidates(password: str | None) -> list[bytes]:
    if not password:
        return [b""]
    candidates = [password.encode("utf-8")]
    with contextlib.suppress(UnicodeEncodeError):
        if (cp932 := password.encode("cp932")) not in candidates:
            candidates.append(cp932)
    return candidates


def _read_member(
    zf: pyzipper.AESZipFile,
    info: zipfile.ZipInfo,
    candidates: list[bytes],
    budget: int,
    limits: ContainerLimits,
) -> bytes:
    encrypted = bool(info.flag_bits & 0x1)
    what = f"the file {member_name(info, 0)!r} in the zip"
    for pwd in candidates if encrypted else [b""]:
        try:
            return read_member(
                lambda pwd=pwd: zf.open(info, pwd=pwd or None), info, cap=budget, limits=limits, what=what
            )
        except RuntimeError:  # pyzipper: bad password / password required
            continue
        except (zipfile.BadZipFile, pyzipper.BadZipFile, zlib.error, EOFError, OSError) as exc:
            if encrypted:  # a wrong password that passed the 1-2 byte check fails CRC / HMAC here
                continue
            raise DocumentError("a file in the zip is damaged and cannot be read") from exc
        except NotImplementedError as exc:
            raise UnsupportedEncryption(
                "the zip uses a compression or encryption method that cannot be read"
            ) from exc
    raise WrongPassword("the password does not open this zip")


def member_name(info: zipfile.ZipInfo, index: int) -> str:
    """The member's file name without folders, decoded as its writer meant it."""
    name = _decoded_name(info)
    base = re.split(r"[/\\]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base if base not in ("", ".", "..") else f"file-{index}"


def _decoded_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")
    unicode_path = _unicode_path_extra(info.extra, raw)
    if unicode_path is not None:
        return unicode_path
    if raw.isascii():
        return info.orig_filename
    for encoding in ("utf-8", "cp932"):
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode(encoding)
    return info.orig_filename


def _unicode_path_extra(extra: bytes, raw_name: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (0x7075), if present and matching the raw name."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if tag == 0x7075 and len(body) >= 5 and body[0] == 1:
            if struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw_name):
                with contextlib.suppress(UnicodeDecodeError):
                    return body[5:].decode("utf-8")
        pos += 4 + size
    return None
