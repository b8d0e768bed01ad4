"""The one decoding layer for mail text: bytes plus a charset label in, Unicode out, never an exception.

Japanese mail arrives in three encodings, often mislabelled:

* **ISO-2022-JP** ("JIS"): 7-bit; ``ESC $ B`` switches to two-byte JIS X 0208 characters and
  ``ESC ( B`` back to ASCII. Outlook and other Windows mailers write the CP932 extensions (①②, ㈱,
  ㍻, 髙 …) into it, which no ``iso2022_jp*`` codec in Python decodes. Each JIS pair is therefore
  converted to its Shift_JIS pair and the result decoded as ``cp932``; this also gives the Windows
  mapping of JIS 0x2141 (～ U+FF5E rather than 〜 U+301C) that senders meant.
* **Shift_JIS**: 8-bit; every label of it is decoded as ``cp932`` (Microsoft's superset, which is
  what Windows and phones actually send).
* **EUC-JP**: 8-bit, Unix mailers.

Anything declared but not decodable, undeclared 8-bit text and unknown labels are sniffed: UTF-8,
then EUC-JP, then CP932 (EUC-JP before CP932 because EUC-JP text nearly always also "decodes" as
CP932 half-width katakana garbage, while CP932 text almost never passes as EUC-JP). A Japanese guess
must look Japanese (see ``_looks_japanese``); failing all, the least damaged decoding is kept, and
text that looks like none of them is read as Windows-1252 / Latin-1.
"""

from __future__ import annotations

import codecs
import re
from email.errors import HeaderParseError
from email.header import decode_header, ecre  # type: ignore[attr-defined]  # the stdlib's own pattern
from functools import lru_cache
from typing import NamedTuple

_JIS = "iso-2022-jp (via cp932)"
_SNIFF_ORDER = ("utf-8", "euc_jp", "cp932")
# Python codecs that are no MIME charset even though a label may name them (canonical names)
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"})

_ESCAPE = re.compile(rb"\x1b[\x20-\x2f]*[\x30-\x7e]")
_JIS_PAIRS = re.compile(rb"(?:[\x21-\x7e]{2})*")
_WHITESPACE = re.compile(r"[\t\n\v\f\r ]+")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_SANDWICHED = re.compile(r"[A-Za-z][^\x00-\x7f][A-Za-z]")
_KANA_RUN = re.compile("[\u3041-\u30ff]{2}")

_DOUBLE_BYTE = frozenset({b"\x1b$B", b"\x1b$@", b"\x1b$(B"})
_SINGLE_BYTE = frozenset({b"\x1b(B", b"\x1b(J", b"\x1b(H"})
_KATAKANA = b"\x1b(I"
_ANNOUNCER = b"\x1b&@"  # "JIS X 0208-1990 follows": no change of state by itself


def _sjis_pair(j1: int, j2: int) -> bytes:
    """The Shift_JIS bytes of the JIS pair (j1, j2), both in 0x21..0x7E.

    Rows 89-92 (0x79-0x7C) hold CP932's NEC-selected IBM extensions (髙, 﨑 …) at their usual place.
    The other rows from 85 up (0x75-0x78, 0x7D-0x7E) are user-defined characters — au phones put
    their emoji there — and go to CP932's user-defined area (decoded to the Private Use Area), as
    Microsoft's ISO-2022-JP and eucJP-ms do.
    """
    if j1 >= 0x75 and not 0x79 <= j1 <= 0x7C:
        s1 = 0xF0 + ((j1 - 0x75) >> 1)
    else:
        s1 = ((j1 - 0x21) >> 1) + 0x81
        if s1 > 0x9F:
            s1 += 0x40
    if j1 & 1:
        s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0)
    else:
        s2 = j2 + 0x7E
    return bytes((s1, s2))


_SJIS_OF_JIS: list[bytes] = [b""] * 0x8000
for _j1 in range(0x21, 0x7F):
    for _j2 in range(0x21, 0x7F):
        _SJIS_OF_JIS[_j1 << 8 | _j2] = _sjis_pair(_j1, _j2)
_TO_HALFWIDTH_KANA = bytes(b | 0x80 if 0x21 <= b <= 0x5F else b for b in range(0x100))


class Decoded(NamedTuple):
    """Text plus how it was obtained: ``clean`` is False when the label was wrong, unknown or absent
    for 8-bit data, or when bytes had to be replaced by U+FFFD."""

    text: str
    codec: str
    clean: bool


@lru_cache(maxsize=512)
def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None when absent or unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").split("*", 1)[0].strip().lower()  # "iso-2022-jp*ja": RFC 2231 language
    if not name or name in ("unknown-8bit", "x-unknown", "unknown", "default"):
        return None
    if "2022" in name and "jp" in name:
        return _JIS
    if any(key in name for key in ("sjis", "shift", "ms_kanji", "ms-kanji", "31j", "cp932", "ms932")):
        return "cp932"
    if "euc" in name and "jp" in name:
        return "euc_jp"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    if canonical.startswith("iso2022_jp"):
        return _JIS
    if canonical.startswith("shift_jis"):
        return "cp932"
    if canonical.startswith("euc_j"):
        return "euc_jp"
    if canonical in _NOT_CHARSETS:
        return None
    return canonical


def _jis_double_to_sjis(segment: bytes) -> bytes:
    """Convert the bytes of a two-byte JIS run to Shift_JIS; stray bytes (line breaks) pass through."""
    if len(segment) % 2 == 0 and _JIS_PAIRS.fullmatch(segment):
        table = _SJIS_OF_JIS
        return b"".join([table[segment[i] << 8 | segment[i + 1]] for i in range(0, len(segment), 2)])
    out = bytearray()
    i, n = 0, len(segment)
    while i < n:
        a = segment[i]
        if 0x21 <= a <= 0x7E and i + 1 < n and 0x21 <= segment[i + 1] <= 0x7E:
            out += _SJIS_OF_JIS[a << 8 | segment[i + 1]]
            i += 2
        else:
            out.append(a)
            i += 1
    return bytes(out)


def _jis_to_sjis(data: bytes) -> bytes | None:
    """Rewrite ISO-2022-JP bytes as Shift_JIS bytes, or None when they hold 8-bit bytes or escapes
    to character sets Shift_JIS cannot hold (JIS X 0212, JIS X 0213, ISO-2022-JP-2 sets)."""
    if not data.isascii():
        return None
    out: list[bytes] = []
    mode = "ascii"
    pos = 0
    for match in _ESCAPE.finditer(data):
        out.append(_convert_run(data[pos : match.start()], mode))
        escape = match.group()
        if escape in _DOUBLE_BYTE:
            mode = "double"
        elif escape in _SINGLE_BYTE:
            mode = "ascii"
        elif escape == _KATAKANA:
            mode = "kana"
        elif escape != _ANNOUNCER:
            return None
        pos = match.end()
    out.append(_convert_run(data[pos:], mode))
    return b"".join(out)


def _convert_run(run: bytes, mode: str) -> bytes:
    if not run or mode == "ascii":
        return run
    if mode == "kana":
        return run.translate(_TO_HALFWIDTH_KANA)
    return _jis_double_to_sjis(run)


def _decode_jis(data: bytes) -> Decoded | None:
    sjis = _jis_to_sjis(data)
    if sjis is None:
        for codec in ("iso2022_jp_2004", "iso2022_jp_2", "iso2022_jp_ext"):
            try:
                return Decoded(data.decode(codec), codec, True)
            except UnicodeDecodeError:
                continue
        return None
    try:
        return Decoded(sjis.decode("cp932"), _JIS, True)
    except UnicodeDecodeError:
        return Decoded(sjis.decode("cp932", "replace"), _JIS, False)


def _looks_japanese(text: str) -> bool:
    """Whether text from a guessed Japanese codec is believable: no Private Use Area characters
    (what Latin-1 "ö" + ASCII becomes in CP932), and no lone non-ASCII character between two
    ASCII letters (Latin-1 "ação" as a kanji) unless kana runs show it really is Japanese."""
    if _PRIVATE_USE.search(text):
        return False
    return not _SANDWICHED.search(text) or bool(_KANA_RUN.search(text))


def _few_errors(text: str) -> bool:
    damaged = text.count("\ufffd")
    return damaged * 4 <= sum(1 for ch in text if ord(ch) > 0x7F) - damaged


def _western(data: bytes) -> Decoded:
    try:
        return Decoded(data.decode("cp1252"), "cp1252", False)
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1", False)


def _sniff(data: bytes, declared: str | None) -> Decoded:
    """Decode 8-bit data whose label was absent, unknown or wrong."""
    for codec in _SNIFF_ORDER:
        if codec == declared:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8" or _looks_japanese(text):
            return Decoded(text, codec, False)
    candidates = []
    if declared:
        try:
            candidates.append(Decoded(data.decode(declared, "replace"), declared, False))
        except LookupError:
            declared = None
    for codec in _SNIFF_ORDER:
        text = data.decode(codec, "replace")
        if codec != declared and (codec == "utf-8" or _looks_japanese(text)):
            candidates.append(Decoded(text, codec, False))
    if candidates:
        best = min(candidates, key=lambda decoded: decoded.text.count("\ufffd"))
        if declared or _few_errors(best.text):
            return best
    return _western(data)


def decode_text(data: bytes, charset: str | None = None) -> Decoded:
    """Decode ``data`` labelled ``charset`` (any MIME label, or None); see the module docstring."""
    if not data:
        return Decoded("", codec_for(charset) or "ascii", True)
    codec = codec_for(charset)
    if codec == _JIS or (codec in (None, "ascii") and b"\x1b" in data):
        decoded = _decode_jis(data)
        if decoded is not None:
            return decoded._replace(clean=decoded.clean and codec == _JIS)
        codec = None if codec == _JIS else codec
    if codec is None and data.isascii():
        return Decoded(data.decode("ascii"), "ascii", True)
    if codec is not None:
        try:
            return Decoded(data.decode("utf-8-sig" if codec == "utf-8" else codec), codec, True)
        except (UnicodeDecodeError, LookupError):
            pass
    return _sniff(data, None if codec == "ascii" else codec)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` labelled ``charset`` to text; never raises."""
    return decode_text(data, charset).text


def raw_bytes(value: str) -> bytes:
    """The original bytes of a header value read through compat32 (8-bit bytes are surrogate
    escapes; RFC 2231 values hold one Latin-1 character per byte)."""
    try:
        return value.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def fold_whitespace(text: str) -> str:
    """Collapse runs of ASCII whitespace (folded header lines) to one space; U+3000 stays."""
    return _WHITESPACE.sub(" ", text).strip()


def _decode_words_one_by_one(latin: str) -> str:
    """Fallback when one encoded word is broken: decode the good ones, keep the broken ones as text."""
    parts = []
    pos = 0
    for match in ecre.finditer(latin):
        parts.append(decode_bytes(latin[pos : match.start()].encode("latin-1")))
        try:
            ((chunk, charset),) = decode_header(match.group())
            parts.append(decode_bytes(chunk, charset))
        except (HeaderParseError, ValueError):
            parts.append(match.group())
        pos = match.end()
    parts.append(decode_bytes(latin[pos:].encode("latin-1")))
    return "".join(parts)


def decode_header_value(value: str | None) -> str:
    """Decode a raw header value (as compat32 returns it) to folded text: RFC 2047 encoded words,
    also split mid-character or across lines (adjacent words of one charset are joined as bytes
    before decoding), raw 8-bit text and raw ISO-2022-JP; never raises."""
    if not value:
        return ""
    if "=?" not in value:
        return fold_whitespace(decode_bytes(raw_bytes(value)))
    latin = raw_bytes(value).decode("latin-1")  # decode_header turns Latin-1 text back into the bytes
    try:
        chunks = decode_header(latin)
    except (HeaderParseError, ValueError):
        return fold_whitespace(_decode_words_one_by_one(latin))
    parts = []
    for chunk, charset in chunks:
        data = chunk if isinstance(chunk, bytes) else raw_bytes(chunk)
        parts.append(decode_bytes(data, charset))
    return fold_whitespace("".join(parts))
