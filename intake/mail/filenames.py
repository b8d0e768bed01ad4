"""Attachment names, in every encoding Japanese (and other) mailers write them.

Seen in the wild, and all handled here through the compat32 parameter parser (which never raises,
unlike ``policy.default``'s ``get_filename`` on ``filename*=ISO-2022-JP''…``, CPython gh-132794):

* RFC 2231 ``filename*=UTF-8''%E3%83%86…``, split ``filename*0*=…; filename*1*=…``, and non-UTF-8
  charsets such as ISO-2022-JP (with ①) and Shift_JIS;
* RFC 2047 encoded words inside quotes, ``filename="=?ISO-2022-JP?B?…?="`` (Outlook, Thunderbird);
* only ``name=`` on Content-Type;
* raw 8-bit UTF-8 or Shift_JIS bytes in the parameter.

Names come back as Unicode with any path stripped: only the last component of ``a/b\\c.docx``.
"""

from __future__ import annotations

import re
from email.message import Message

from intake.mail.decode import decode_bytes, decode_header_value, raw_bytes

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEPARATORS = re.compile(r"[/\\]")

ParamValue = str | tuple[str | None, str | None, str]


def _params(part: Message, header: str) -> list[tuple[str, ParamValue]]:
    if header not in part:
        return []
    return list(part.get_params(failobj=[], header=header) or [])


def _pick(params: list[tuple[str, ParamValue]], key: str) -> ParamValue | None:
    """The value of ``key``, preferring the RFC 2231 form when both forms are given (RFC 6266)."""
    plain: ParamValue | None = None
    for name, value in params[1:]:
        if name.strip().lower() != key:
            continue
        if isinstance(value, tuple):
            return value
        if plain is None and value:
            plain = value
    return plain


def decode_param(value: ParamValue) -> str:
    """Decode a MIME parameter value as returned by compat32 ``get_params``."""
    if isinstance(value, tuple):
        charset, _language, text = value
        return decode_bytes(raw_bytes(text), charset or None).strip()
    if "=?" in value:
        return decode_header_value(value)
    return decode_bytes(raw_bytes(value)).strip()


def safe_name(name: str) -> str | None:
    """The last path component of ``name`` without control characters; None if nothing is left."""
    name = _SEPARATORS.split(_CONTROL.sub("", name))[-1].strip()
    if name in ("", ".", ".."):
        return None
    return name


def attachment_filename(part: Message) -> str | None:
    """The decoded, path-free file name of a MIME part, or None when it has none."""
    for header, key in (("content-disposition", "filename"), ("content-type", "name")):
        value = _pick(_params(part, header), key)
        if value:
            name = safe_name(decode_param(value))
            if name:
                return name
    return None
