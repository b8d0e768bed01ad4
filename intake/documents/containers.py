"""Limits on what a zip container (a .docx is one) may cost once unpacked, checked twice.

A zip's central directory *declares* each member's sizes; :func:`check_zip_limits` refuses a bomb
from those alone, before anything is decompressed. A hostile file may declare less than it holds,
so every read then goes through :func:`read_member`, which counts the bytes really inflated and
stops at the first one over the member's declared size, the remaining budget or the ratio limit.
Both raise :class:`~intake.errors.LimitExceeded` naming the configuration key that was passed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from intake.config import LimitsConfig
from intake.errors import DocumentError, LimitExceeded

MIB = 1024 * 1024
#: Members (and archives) holding less than this are exempt from the ratio check: a few
#: kilobytes of repetitive XML legitimately compress 100:1 and are harmless.
RATIO_FLOOR_BYTES = 1 * MIB
_CHUNK = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class ContainerLimits:
    """What one zip or Office container may unpack to; each field is a ``[limits]`` key."""

    max_unpacked_bytes: int = 50 * MIB  # limits.max_unpacked_mb: all members read, together
    max_ratio: float = 200.0  # limits.max_ratio: unpacked / packed, per member and overall
    max_members: int = 1000  # limits.max_zip_members
    max_xml_bytes: int = 10 * MIB  # limits.max_xml_mb: the one XML part a form is read from

    @classmethod
    def from_config(cls, limits: LimitsConfig) -> ContainerLimits:
        """The ``[limits]`` of the configuration."""
        return cls(
            max_unpacked_bytes=int(limits.max_unpacked_mb * MIB),
            max_ratio=limits.max_ratio,
            max_members=limits.max_zip_members,
            max_xml_bytes=int(limits.max_xml_mb * MIB),
        )


def check_zip_limits(data: bytes, limits: ContainerLimits = ContainerLimits()) -> None:
    """Refuse a zip bomb from the sizes its central directory declares; nothing is decompressed.

    Raises :class:`LimitExceeded` for more than ``max_members`` entries, more than
    ``max_unpacked_bytes`` declared, or a ratio above ``max_ratio`` for any member (or the whole
    archive) declaring at least :data:`RATIO_FLOOR_BYTES`; :class:`DocumentError` when the
    directory cannot be read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError) as exc:
        raise DocumentError("the zip file is damaged and cannot be read") from exc
    if len(infos) > limits.max_members:
        raise LimitExceeded(
            f"the zip holds {len(infos):,} entries, more than the limit of "
            f"{limits.max_members:,} (limits.max_zip_members)"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise LimitExceeded(
            f"the zip declares {_mb(total)} once unpacked, over the {_mb(limits.max_unpacked_bytes)} "
            "limit (limits.max_unpacked_mb)"
        )
    for info in infos:
        check_ratio(info.file_size, info.compress_size, limits, "one of its files")
    check_ratio(total, sum(info.compress_size for info in infos), limits, "the zip as a whole")


def check_ratio(unpacked: int, packed: int, limits: ContainerLimits, what: str) -> None:
    """Refuse an expansion ratio over ``max_ratio`` once at least :data:`RATIO_FLOOR_BYTES` are out."""
    if unpacked < RATIO_FLOOR_BYTES:
        return
    ratio = unpacked / max(packed, 1)
    if ratio > limits.max_ratio:
        raise LimitExceeded(
            f"{what} expands {ratio:,.0f} times when unpacked, over the limit of "
            f"{limits.max_ratio:g} (limits.max_ratio)"
        )


def check_declared(info: zipfile.ZipInfo, *, cap: int, limits: ContainerLimits, what: str, key: str) -> None:
    """Refuse one member from its declared sizes alone: bigger than ``cap``, or too high a ratio."""
    if info.file_size > cap:
        raise LimitExceeded(
            f"{what} is {_mb(info.file_size)} once unpacked, over the {_mb(cap)} limit ({key})"
        )
    check_ratio(info.file_size, info.compress_size, limits, what)


def read_member(
    open_member: Callable[[], IO[bytes]],
    info: zipfile.ZipInfo,
    *,
    cap: int,
    limits: ContainerLimits,
    what: str,
    key: str = "limits.max_unpacked_mb",
) -> bytes:
    """Inflate one member, never holding more than ``cap`` bytes nor its declared size.

    ``open_member`` opens the member's stream (zipfile, or pyzipper with a password). The ratio
    of bytes inflated so far to the member's packed size is checked as the bytes come, so a bomb
    is refused after a few megabytes whatever its directory says. ``what`` names the member in the
    error, ``key`` the configuration key behind ``cap``.
    """
    limit = min(info.file_size, cap)
    chunks: list[bytes] = []
    taken = 0
    with open_member() as stream:
        while chunk := stream.read(min(_CHUNK, limit - taken + 1)):
            taken += len(chunk)
            if taken > limit:
                raise LimitExceeded(_over(what, taken, info, cap, key))
            check_ratio(taken, info.compress_size, limits, what)
            chunks.append(chunk)
    return b"".join(chunks)


def _over(what: str, taken: int, info: zipfile.ZipInfo, cap: int, key: str) -> str:
    if taken > info.file_size and info.file_size < cap:
        return f"{what} holds more than the {info.file_size:,} bytes its zip directory declares"
    return f"{what} is more than {_mb(cap)} once unpacked, over the limit ({key})"


def _mb(size: int) -> str:
    return f"{size / MIB:,.1f} MB" if size % MIB else f"{size // MIB:,} MB"
