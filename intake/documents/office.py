"""Open password-protected Word files (.docx agile / standard encryption, .doc RC4).

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
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import msoffcrypto
import olefile
from msoffcrypto import exceptions as mso

from intake.documents import _agile
from intake.documents.triage import WORD_FIB_IDENT, ooxml_encryption_scheme, read_fib_flags
from intake.errors import DocumentError, UnsupportedEncryption, WrongPassword

if TYPE_CHECKING:
    from msoffcrypto.format.ooxml import OOXMLFile  # msoffcrypto.OfficeFile loads it when it is used

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
