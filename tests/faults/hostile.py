"""Generators of hostile input, built by the tests themselves and kept small on disk and in memory.

Content that only exists once unpacked is never held whole: zip members are streamed into ``ZipFile.open(name, "w")`` chunk by
chunk (deflate packs zeros or repeated XML about 1000:1, so a 1 GiB member is a file of about
1 MB), and a zip whose directory lies is written record by record around a streamed deflate.
Raw messages (10,000 parts, 200 levels, a 1 MB header line, 60 MB) are written by hand as bytes.
Everything is invented: ``example.co.jp`` / ``example.jp`` addresses, made-up people.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from email.utils import format_datetime, make_msgid
from itertools import pairwise

from support.mailfactory import JST
from support.office_fixtures import make_docx

MIB = 1024 * 1024
GIB = 1024 * MIB
SENDER = "山田 太郎 <yamada@example.co.jp>"
TO = "kyogikai-shomu@example.jp"
FORM_NAME = "261130_協議会加入申込書（テスト株式会社）.docx"
ZIP_TYPE = "application/zip"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_PREFIX = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W}"><w:body>'
).encode()
XML_SUFFIX = b"</w:body></w:document>"


# ---- zip containers ---------------------------------------------------------------------------


def repeat(piece: bytes, total: int, chunk: int = MIB) -> Iterator[bytes]:
    """``piece`` repeated to exactly ``total`` bytes, in chunks of about ``chunk`` bytes."""
    block = piece * max(1, chunk // len(piece))
    whole, rest = divmod(total, len(block))
    for _ in range(whole):
        yield block
    yield block[:rest]


def write_member(zf: zipfile.ZipFile, name: str, chunks: Iterable[bytes], compress_type: int) -> None:
    """Stream ``chunks`` into one member (zip64 headers, so it may pass 4 GiB)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 9, 0, 0))
    info.compress_type = compress_type
    with zf.open(info, "w", force_zip64=True) as member:
        for chunk in chunks:
            member.write(chunk)


def zip_bomb(size: int = GIB, member: str = FORM_NAME) -> bytes:
    """A zip of one member holding ``size`` zero bytes (1 GiB packs to about 1 MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        write_member(zf, member, repeat(b"\0", size), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def lying_zip_bomb(size: int = GIB, declared: int = MIB, member: str = FORM_NAME) -> bytes:
    """A zip whose directory declares ``declared`` bytes for a member that inflates to ``size``.

    Written record by record (zipfile would write the true size), so the check of the declared
    sizes passes; only a reader that never inflates past the declared size stops it.
    """
    packer, crc, packed = zlib.compressobj(6, zlib.DEFLATED, -15), 0, bytearray()
    for chunk in repeat(b"\0", size):
        crc = zlib.crc32(chunk, crc)
        packed += packer.compress(chunk)
    packed += packer.flush()
    name = member.encode("utf-8")
    flags, method, when = 0x800, 8, (0x4800, 0x5D7E)  # UTF-8 name, deflate, 09:00 on 2026-11-30
    sizes = (crc, len(packed), declared, len(name), 0)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, *when, *sizes) + name
    central = (
        struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, *when, *sizes, 0, 0, 0, 0, 0)
        + name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(packed), 0)
    return local + bytes(packed) + central + end


def docx_with_document(chunks: Iterable[bytes], compress_type: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The .docx of ``make_docx()`` with its word/document.xml replaced by the streamed ``chunks``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == "word/document.xml":
                write_member(target, info.filename, chunks, compress_type)
            else:
                target.writestr(info.filename, source.read(info))
    return out.getvalue()


# ---- exploding XML ----------------------------------------------------------------------------


def billion_laughs() -> Iterator[bytes]:
    """The classic entity bomb: ten levels of ten references, 10**9 "lol"s once expanded."""
    names = ["lol"] + [f"lol{level}" for level in range(1, 10)]
    entities = ['<!ENTITY lol "lol">']
    entities += [f'<!ENTITY {name} "{f"&{below};" * 10}">' for below, name in pairwise(names)]
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    yield ("<!DOCTYPE w:document [\n" + "\n".join(entities) + "\n]>\n").encode()
    yield f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body>'.encode()
    yield b"</w:document>"


def nested_elements(depth: int = 1_000_000) -> Iterator[bytes]:
    """A body of ``depth`` nested ``<a>`` elements (7 bytes a level: 7 MB for a million)."""
    yield XML_PREFIX
    yield from repeat(b"<a>", 3 * depth)
    yield from repeat(b"</a>", 4 * depth)
    yield XML_SUFFIX


def huge_document(size: int = 500 * MIB) -> Iterator[bytes]:
    """Well-formed document XML of ``size`` bytes, nearly all empty paragraphs."""
    yield XML_PREFIX
    yield from repeat(b"<w:p/>", size - len(XML_PREFIX) - len(XML_SUFFIX))
    yield XML_SUFFIX


# ---- raw messages -----------------------------------------------------------------------------


def headers(subject: str, content_type: str, *, extra: str = "") -> bytes:
    """The top of a raw message (ASCII subject), ending with the blank line."""
    return (
        f"From: yamada@example.co.jp\r\nTo: {TO}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(datetime.now(JST))}\r\n"
        f"Message-ID: {make_msgid(domain='example.co.jp')}\r\nMIME-Version: 1.0\r\n{extra}"
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


def text_part(text: str) -> bytes:
    return f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{text}\r\n".encode()


def huge_message(size: int = 60 * MIB) -> bytes:
    """A plain text message of ``size`` bytes (lines of 76 characters)."""
    head = headers("huge message", "text/plain; charset=us-ascii")
    body = b"".join(repeat(b"x" * 76 + b"\r\n", size - len(head)))
    return head + body


def many_parts(count: int = 10_000) -> bytes:
    """One multipart/mixed holding ``count`` small text parts."""
    sep = b"=_sep"
    parts = b"".join(b"--" + sep + b"\r\n" + text_part(f"part {i}") for i in range(count))
    return (
        headers("many parts", f'multipart/mixed; boundary="{sep.decode()}"') + parts + b"--" + sep + b"--\r\n"
    )


def deep_multipart(depth: int = 200) -> bytes:
    """``depth`` multiparts nested one in the other, a text part at the bottom."""
    opening = b"".join(
        f'--lvl{i}\r\nContent-Type: multipart/mixed; boundary="lvl{i + 1}"\r\n\r\n'.encode()
        for i in range(depth - 1)
    )
    closing = b"".join(f"--lvl{i}--\r\n".encode() for i in reversed(range(depth)))
    top = headers("deep multipart", 'multipart/mixed; boundary="lvl0"')
    return top + opening + f"--lvl{depth - 1}\r\n".encode() + text_part("the bottom") + closing


def deep_forward(depth: int = 200) -> bytes:
    """A message forwarding a message forwarding a message … ``depth`` levels (no boundaries)."""
    inner = b"Subject: the bottom\r\n\r\nthe bottom\r\n"
    for i in range(depth - 1):
        inner = f"Subject: level {depth - 1 - i}\r\nContent-Type: message/rfc822\r\n\r\n".encode() + inner
    return headers("deep forward", "message/rfc822") + inner


def long_header_line(size: int = MIB) -> bytes:
    """A References header of ``size`` bytes on a single line."""
    ids = " ".join(f"<{i}.thread@example.co.jp>" for i in range(size // 24))
    references = f"References: {ids}"[:size] + "\r\n"
    return headers("long header line", "text/plain; charset=us-ascii", extra=references) + b"hello\r\n"
