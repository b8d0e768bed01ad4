"""HTML bodies made readable: tags, scripts and styles dropped, entities resolved, line breaks kept.

Japanese phones send "decomail" (デコメール, carrier HTML mail) and Outlook sends HTML-only mail often
enough that the text of an HTML part must be usable by the checks that read the body.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "title", "template", "noscript", "xml"})
_BREAKS = frozenset(
    {
        "br", "p", "div", "tr", "li", "ul", "ol", "table", "thead", "tbody", "tfoot", "blockquote",
        "pre", "hr", "dd", "dt", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
        "header", "footer", "address", "center", "form", "fieldset", "caption",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[\t\n\v\f\r ]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SOFT = "\x00"  # a block boundary: any number of them in a row make one line break
_SOFT_RUN = re.compile(r"[ \t]*\x00[\x00 \t]*")
_TAG = re.compile(r"<[^>]*>")
_OPEN_QUOTE, _CLOSE_QUOTE = "\x01", "\x02"  # a blockquote's edges, made 「> 」 line prefixes at the end


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BREAKS:
            self.parts.append(_SOFT + _OPEN_QUOTE + _SOFT if tag == "blockquote" else _SOFT)
            if tag == "pre":
                self._preformatted += 1
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n" if tag == "br" else _SOFT)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS and tag != "br":
            self.parts.append(_SOFT + _CLOSE_QUOTE + _SOFT if tag == "blockquote" else _SOFT)
            if tag == "pre":
                self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        data = data.replace(_SOFT, "").replace(_OPEN_QUOTE, "").replace(_CLOSE_QUOTE, "")
        self.parts.append(data if self._preformatted else _SPACES.sub(" ", data))


def _tidy(text: str) -> str:
    text = _SOFT_RUN.sub("\n", text.replace("\xa0", " ").replace("\r", ""))
    return _BLANK_LINES.sub("\n\n", "\n".join(_quoted(text.split("\n")))).strip()


def _quoted(lines: list[str]) -> list[str]:
    """Lines inside blockquotes get one 「> 」 per level, as a plain-text mail program quotes them
    (a reply's new text between quoted parts stays apart from them)."""
    out: list[str] = []
    depth = 0
    for line in lines:
        if line in (_OPEN_QUOTE, _CLOSE_QUOTE):
            depth = max(0, depth + (1 if line == _OPEN_QUOTE else -1))
            continue
        line = line.strip(" \t")
        out.append(f"{'> ' * depth}{line}" if depth and line else line)
    return out


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        return _tidy(_TAG.sub(" ", html))
    return _tidy("".join(extractor.parts))
