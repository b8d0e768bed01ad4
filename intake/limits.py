"""The configured ``[limits]`` as the values the mail and document readers take."""

from __future__ import annotations

from intake.config import Config
from intake.documents import ContainerLimits
from intake.mail import Limits

MB = 1024 * 1024


def limits_from(config: Config) -> Limits:
    """What one message may cost (size, parts, nesting, each attachment)."""
    lim = config.limits
    return Limits(
        max_message_bytes=int(lim.max_message_mb * MB),
        max_attachment_bytes=int(lim.max_attachment_mb * MB),
        max_parts=lim.max_parts,
        max_depth=lim.max_depth,
        max_header_line_bytes=int(lim.max_header_line_kb * 1024),
    )


def container_limits_from(config: Config) -> ContainerLimits:
    """What one zip or Word file may unpack to."""
    lim = config.limits
    return ContainerLimits(
        max_unpacked_bytes=int(lim.max_unpacked_mb * MB),
        max_ratio=lim.max_ratio,
        max_members=lim.max_zip_members,
        max_xml_bytes=int(lim.max_xml_mb * MB),
    )
