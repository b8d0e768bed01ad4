"""Photos and scans as phones and scanners send them, small but with their real file structure:
a PNG with its chunks and checksums, a JFIF JPEG's markers, an iPhone HEIC's ftyp box."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """SOI, a JFIF APP0 segment, a comment, EOI: what a camera's file begins and ends with."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = "申込書の写真".encode()
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + b"\xff\xd9"
    )


def heic() -> bytes:
    """An ISO BMFF file as an iPhone writes it: an ftyp box (major brand heic), then an empty meta box."""
    brands = b"heic" + struct.pack(">I", 0) + b"mif1heic"
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    meta = struct.pack(">I", 12) + b"meta" + b"\x00\x00\x00\x00"
    return ftyp + meta
