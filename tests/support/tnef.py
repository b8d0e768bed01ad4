"""A small TNEF (winmail.dat) writer, as Outlook / Exchange wrap a message's files: the files'
names in cp932, the way a Japanese Outlook writes them."""

from __future__ import annotations

import struct

SIGNATURE = b"\x78\x9f\x3e\x22"
_MESSAGE, _ATTACHMENT = 1, 2
_VERSION = 0x00089006
_CODEPAGE = 0x00069007
_REND_DATA = 0x00069002
_TITLE = 0x00018010
_DATA = 0x0006800F


def _attribute(level: int, attribute: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute, len(data)) + data + struct.pack("<H", checksum)


def winmail(files: list[tuple[str, bytes]]) -> bytes:
    """A TNEF stream that carries ``files`` (name, bytes) as attachments."""
    out = [SIGNATURE, struct.pack("<H", 0x0001)]
    out.append(_attribute(_MESSAGE, _VERSION, struct.pack("<I", 0x00010000)))
    out.append(_attribute(_MESSAGE, _CODEPAGE, struct.pack("<II", 932, 0)))
    for name, data in files:
        out.append(_attribute(_ATTACHMENT, _REND_DATA, b"\x01\x00" + b"\xff" * 12))
        out.append(_attribute(_ATTACHMENT, _TITLE, name.encode("cp932") + b"\x00"))
        out.append(_attribute(_ATTACHMENT, _DATA, data))
    return b"".join(out)
