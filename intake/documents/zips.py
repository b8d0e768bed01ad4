"""Password zips: "password zip" files holding the Word form, as Japanese senders often send them.

Plain, ZipCrypto and WinZip-AES zips are opened in memory with pyzipper, every member inflated
under :class:`~intake.documents.containers.ContainerLimits`. A missing or wrong password is
:class:`~intake.errors.WrongPassword`; member names written by Japanese Windows tools (no UTF-8 flag)
are decoded as cp932. Passwords never appear in exception messages, logs or reprs.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from intake.documents.containers import ContainerLimits, check_zip_limits, read_member
from intake.errors import DocumentError, UnsupportedEncryption, WrongPassword

if TYPE_CHECKING:
    import pyzipper


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
    import pyzipper  # loaded only when a zip is opened: it is slow to import (PyCryptodome)

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
    import pyzipper

    encrypted = bool(info.flag_bits & 0x1)
    what = f"the file {member_name(info, 0)!r} in the zip"
    for pwd in candidates if encrypted else [b""]:
        try:
            return read_member(_opener(zf, info, pwd or None), info, cap=budget, limits=limits, what=what)
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


def _opener(zf: pyzipper.AESZipFile, info: zipfile.ZipInfo, pwd: bytes | None) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(info, pwd=pwd)


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


SAMPLE_PASSWORD = "infected"


def sample_zip(name: str, data: bytes) -> bytes:
    """``data`` alone in a WinZip-AES zip with the password ``infected``, as security teams exchange
    malware samples: no mail client, virus scanner or double click opens it by accident."""
    import pyzipper

    safe = "".join(ch for ch in re.split(r"[/\\]", name)[-1] if ch.isprintable()).strip()
    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(SAMPLE_PASSWORD.encode())
        zf.writestr(safe if safe not in ("", ".", "..") else "sample", data)
    return out.getvalue()
