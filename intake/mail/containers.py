"""Outlook's containers, opened into what they carry: TNEF (``application/ms-tnef``, winmail.dat from
Outlook / Exchange) and Outlook items (``.msg``), attached messages in their own right.

Both are hostile input. A TNEF file's attribute and MAPI property counts are checked against the
bytes really there before tnefparse reads it (a forged count makes it loop or allocate without end);
every container is bounded by ``[limits]``: files (``max_parts``), nesting of items in items
(``max_depth``) and each file's size (``max_attachment_mb``). A container that cannot be opened
gets one plain English reason and never raises.

Files inside a container are numbered so that the same bytes give the same numbers again (unlock
re-reads an attachment from the archived message by its number): :func:`inner_index`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake import budget
from intake.mail.structure import Limits, over_size

#: files inside the container at part ``p`` are numbered ``(p + 1) * STRIDE + n`` (n = 1, 2, …).
STRIDE = 10_000
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
MSG_TYPES = frozenset({"application/vnd.ms-outlook", "application/x-msg"})

_ATT_MAPI_PROPS = 0x00069003
_ATT_ATTACHMENT = 0x00069005
_MV_FLAG = 0x1000
_LONG_FILENAME = 0x3707  # PR_ATTACH_LONG_FILENAME
_FIXED = {0x0002: 2, 0x000B: 2, 0x0003: 4, 0x0004: 4, 0x000A: 4}
_FIXED.update(dict.fromkeys((0x0005, 0x0007, 0x0006, 0x0014, 0x0040), 8))
_FIXED[0x0048] = 16
_VARIABLE = frozenset({0x001E, 0x001F, 0x000D, 0x0102, 0x0000})

for _name in ("extract_msg", "tnefparse", "RTFDE", "olefile"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)  # hostile files: our reason says enough


def inner_index(container_index: int, position: int) -> int:
    """The stable number of the ``position``-th file (from 1) inside the container at part
    ``container_index``."""
    return (container_index + 1) * STRIDE + position


@dataclass(frozen=True)
class InnerFile:
    index: int  # see inner_index
    filename: str | None
    payload: bytes  # b"" when rejected
    size: int
    rejected: str | None  # plain English reason when over a limit


@dataclass(frozen=True)
class AttachedMessage:
    """A whole message sent as an attachment: evidence to show, never the sender's own words."""

    index: int  # the part (or the file inside a container) that holds it
    filename: str | None
    from_text: str  # the From as written ("Name <addr>")
    date: datetime | None
    subject: str
    body: str
    attachments: tuple[str, ...]  # the names of its own files
    problem: str | None = None  # why it could not be read, when it could not


@dataclass(frozen=True)
class Opened:
    kind: str  # "tnef" or "msg"
    files: tuple[InnerFile, ...]
    messages: tuple[AttachedMessage, ...]
    problem: str | None  # why the container could not be opened, None when it was


def container_kind(filename: str | None, content_type: str, payload: bytes) -> str | None:
    """``"tnef"``, ``"msg"`` or None: TNEF by its signature or type, an Outlook item by its OLE
    signature together with its name or type."""
    name = (filename or "").lower()
    if payload.startswith(TNEF_MAGIC) or content_type in TNEF_TYPES or name == "winmail.dat":
        return "tnef"
    if payload.startswith(OLE_MAGIC) and (content_type in MSG_TYPES or name.endswith(".msg")):
        return "msg"
    return None


def open_container(kind: str, payload: bytes, *, index: int, filename: str | None, limits: Limits) -> Opened:
    """Open one container; never raises (a broken one has ``problem`` set)."""
    box = _Box(limits=limits, index=index)
    try:
        if kind == "tnef":
            _open_tnef(payload, box)
        else:
            _open_msg(payload, box, filename=filename, index=index, depth=1)
    except _Refused as exc:
        return Opened(kind, tuple(box.files), tuple(box.messages), str(exc))
    except (MemoryError, RecursionError) as exc:
        return Opened(kind, (), (), f"the {_WHAT[kind]} could not be read ({type(exc).__name__})")
    except Exception as exc:  # a hostile file may make the readers raise anything
        return Opened(kind, (), (), f"the {_WHAT[kind]} is damaged ({type(exc).__name__}: {exc})"[:300])
    return Opened(kind, tuple(box.files), tuple(box.messages), None)


_WHAT = {"tnef": "TNEF file (winmail.dat)", "msg": "Outlook item (.msg)"}


class _Refused(Exception):
    pass


class _Box:
    """What a container gave so far, and the limits it must keep to."""

    def __init__(self, *, limits: Limits, index: int) -> None:
        self.limits = limits
        self.index = index
        self.files: list[InnerFile] = []
        self.messages: list[AttachedMessage] = []

    def next_index(self) -> int:
        return inner_index(self.index, len(self.files) + len(self.messages) + 1)

    def add_file(self, filename: str | None, data: bytes) -> None:
        budget.check("opening a container")
        self._count()
        limit = self.limits.max_attachment_bytes
        if len(data) > limit:
            reason = over_size("attachment", len(data), limit, "max_attachment_mb")
            self.files.append(InnerFile(self.next_index(), filename, b"", len(data), reason))
        else:
            self.files.append(InnerFile(self.next_index(), filename, data, len(data), None))

    def _count(self) -> None:
        if len(self.files) + len(self.messages) >= self.limits.max_parts:
            raise _Refused(
                f"the container holds more than {self.limits.max_parts} files, over the limit (limits.max_parts)"
            )


# --- TNEF --------------------------------------------------------------------------------------


def _open_tnef(payload: bytes, box: _Box) -> None:
    _check_tnef(payload, box.limits)
    from tnefparse import TNEF  # imported when a TNEF file comes

    tnef = TNEF(payload)
    for attachment in tnef.attachments:
        data = attachment.data if isinstance(attachment.data, bytes) else b""
        box.add_file(_tnef_name(attachment, tnef.codepage), data)


def _tnef_name(attachment: Any, codepage: str | None) -> str | None:
    """The long name (a MAPI property), else the short title in the file's own code page (tnefparse
    reads that one as UTF-8, which a Japanese Outlook's cp932 names are not)."""
    names = [a.data for a in attachment.mapi_attrs if a.name == _LONG_FILENAME]
    name = names[0] if names else attachment._name
    if isinstance(name, list):
        name = name[0] if name else None
    if isinstance(name, bytes):
        try:
            name = name.decode(codepage or "cp1252")
        except (LookupError, UnicodeDecodeError):
            name = name.decode("cp1252", errors="replace")
    return _clean_name(name)


def _check_tnef(data: bytes, limits: Limits) -> None:
    """Refuse a TNEF stream whose declared lengths or counts exceed the bytes it has."""
    if not data.startswith(TNEF_MAGIC):
        raise _Refused("the TNEF file (winmail.dat) is damaged: its signature is wrong")
    offset, count = 6, 0
    while offset + 12 < len(data):  # as tnefparse reads: a cut attribute is clamped to the file
        attribute = int.from_bytes(data[offset + 1 : offset + 5], "little")
        end = min(len(data), int.from_bytes(data[offset + 5 : offset + 9], "little") + 11 + offset)
        if attribute in (_ATT_MAPI_PROPS, _ATT_ATTACHMENT):
            _check_mapi(data[offset + 9 : end - 2])
        offset = end
        count += 1
        if count > limits.max_parts * 64:
            raise _Refused("the TNEF file (winmail.dat) has too many attributes (limits.max_parts)")
        budget.check("opening a container")


def _check_mapi(block: bytes) -> None:
    """Walk a MAPI property list as tnefparse will, refusing counts the block cannot hold."""
    reader = _Reader(block)
    for _ in range(reader.count(4)):
        if reader.at_end():
            return
        kind, name = reader.u16(), reader.u16()
        if name >= 0x8000:  # a named property: GUID, then an id or a name
            reader.skip(16)
            if reader.u32() == 0:
                reader.skip(4)
            else:
                reader.skip(_padded(reader.u32()))
        multi = bool(kind & _MV_FLAG)
        values = reader.count(4) if multi else 1
        kind &= ~_MV_FLAG
        for _value in range(values or 1):
            if not _skip_value(reader, kind, multi=multi):
                return  # an unknown type: tnefparse stops reading there too
        if (values or 1) % 2 and kind in (0x0002, 0x000B):
            reader.offset += 2  # tnefparse pads 16-bit values the same way


def _skip_value(reader: _Reader, kind: int, *, multi: bool) -> bool:
    if kind in _FIXED:
        reader.skip(_FIXED[kind])
        return True
    if kind not in _VARIABLE:
        return False
    for _ in range(1 if multi else reader.count(4)):
        reader.skip(_padded(reader.u32()))
    return True


def _padded(length: int) -> int:
    return length + (-length % 4)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def at_end(self) -> bool:
        return self.offset >= len(self.data)

    def skip(self, size: int) -> None:
        if size > len(self.data) - self.offset:
            raise _Refused("the TNEF file (winmail.dat) is damaged: a property is longer than its block")
        self.offset += size

    def u16(self) -> int:
        self.skip(2)
        return int.from_bytes(self.data[self.offset - 2 : self.offset], "little")

    def u32(self) -> int:
        self.skip(4)
        return int.from_bytes(self.data[self.offset - 4 : self.offset], "little")

    def count(self, each: int) -> int:
        """A count of items of at least ``each`` bytes, refused when the rest cannot hold them."""
        value = self.u32()
        if value * each > len(self.data) - self.offset:
            raise _Refused("the TNEF file (winmail.dat) is damaged: a count is larger than its data")
        return value


# --- Outlook items (.msg) ----------------------------------------------------------------------


def _open_msg(payload: bytes, box: _Box, *, filename: str | None, index: int, depth: int) -> None:
    import extract_msg  # imported when an Outlook item comes

    item = extract_msg.openMsg(payload, strict=False, delayAttachments=False)
    try:
        _read_item(item, box, filename=filename, index=index, depth=depth)
    finally:
        item.close()


def _read_item(item: Any, box: _Box, *, filename: str | None, index: int, depth: int) -> None:
    from extract_msg.enums import AttachmentType

    if depth > box.limits.max_depth:
        raise _Refused(
            f"Outlook items nest more than {box.limits.max_depth} levels deep, over the limit (limits.max_depth)"
        )
    names: list[str] = []
    position = len(box.messages)
    box.messages.append(_message(item, index, filename, ()))  # its place, filled in below
    for attachment in getattr(item, "attachments", None) or ():
        budget.check("opening a container")
        name = _clean_name(
            getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None)
        )
        if attachment.type == AttachmentType.MSG:
            box._count()
            inner_name = name or _clean_name(
                getattr(attachment, "displayName", None) or getattr(attachment, "name", None)
            )
            names.append(inner_name or "(message)")
            _read_item(attachment.data, box, filename=inner_name, index=box.next_index(), depth=depth + 1)
        elif attachment.type == AttachmentType.DATA and isinstance(attachment.data, bytes):
            names.append(name or "(file)")
            box.add_file(name, attachment.data)
    box.messages[position] = _message(item, index, filename, tuple(names))


def _message(item: Any, index: int, filename: str | None, names: tuple[str, ...]) -> AttachedMessage:
    date = _safe(item, "date")
    return AttachedMessage(
        index=index,
        filename=filename,
        from_text=str(_safe(item, "sender") or ""),
        date=date if isinstance(date, datetime) else None,
        subject=str(_safe(item, "subject") or ""),
        body=str(_safe(item, "body") or "").replace("\r\n", "\n").strip(),
        attachments=names,
    )


def _safe(item: Any, name: str) -> Any:
    """One property of a (possibly damaged) item, None when it cannot be read."""
    try:
        return getattr(item, name, None)
    except Exception:  # a broken property stream must not lose the rest
        return None


def _clean_name(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    name = name.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None
