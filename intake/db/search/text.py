"""One normal form for what is indexed and for what is asked: Unicode NFKC (全角 ＡＢＣ and 半角 ｶﾅ
as ABC and カナ), case-folded, control characters and runs of white space as one space — so a query
typed in either width or case finds the text written in the other."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


def normal(text: str | None) -> str:
    """``text`` as the index holds it and as a query is looked up."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def stored(normal_text: str, *, pairs: bool = False) -> dict[str, str]:
    """The ``text`` and ``grams`` columns of a row for an already normal text. The text ends with
    a space, so that its last two characters begin a trigram too (SQLite: a two-character query
    looks for the trigrams that begin with it). ``pairs``: ``grams`` lists the text's distinct
    pairs of characters too (PostgreSQL, which has no trigram vocabulary to read)."""
    return {"text": f"{normal_text} ", "grams": grams(normal_text, pairs=pairs)}


def grams(normal_text: str, *, pairs: bool = False) -> str:
    """The distinct characters of an already normal text (and with ``pairs`` its distinct pairs
    of characters without a space), each between spaces (`` a b 林 ab ``): a trigram index finds
    `` 林 `` or `` ab `` in it, which is how a one- or two-character query is narrowed."""
    found = set(normal_text) - {" "}
    if pairs:
        found |= {p for i in range(len(normal_text) - 1) if " " not in (p := normal_text[i : i + 2])}
    return f" {' '.join(sorted(found))} " if found else ""


def gram(chars: str) -> str:
    """What a one- (or on PostgreSQL, two-) character query looks for in :func:`grams`."""
    return f" {chars} "
