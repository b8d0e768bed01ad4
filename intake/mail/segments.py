"""A mail text split into what its sender wrote now, what it quotes and what it forwards.

One pass over the lines, linear in the text. Each line belongs to a segment of one kind:

* ``new`` — the sender's own new text, also the lines typed *between or under* quoted lines (a
  reply answering each quoted question on the line below it);
* ``quote`` — quoted mail: lines starting with ``>`` (any depth, also ＞), and everything below a
  reply header written without ``>`` (Outlook's 「-----Original Message-----」 /
  「-----元のメッセージ-----」, a From:/Sent:/To:/Subject: or 差出人:/送信日時:/宛先:/件名: block,
  Outlook on the web's 「________________________________」 rule, "On … wrote:" when no ``>`` lines
  follow); an attribution line (「2026年12月7日(月) 10:00 山田 <a@example.jp>:」, 「…さんは書きました:」,
  Apple Mail's 「…のメール:」, Becky!'s two-line "On …" / "… wrote:") belongs to the quote it
  introduces. A quote's ``origin`` is ``ours`` when it holds one of the caller's markers (text only
  our mail carries), ``others`` when an attribution or header names its writer, else ``unknown``;
* ``forward`` — an inline forwarded message (「---------- Forwarded message ---------」, Thunderbird's
  「-------- Forwarded Message --------」 / 「-------- 転送メッセージ --------」, Apple Mail's
  "Begin forwarded message:" / 「転送されたメッセージ:」, an Outlook header block in a message whose own
  subject is FW:/Fwd:/転送:), with the From, Date and Subject of its header lines;
* ``signature`` — below a 「-- 」 line, until a quote or forward starts.

Pure: no I/O, only the text (and the message's subject, which tells an Outlook forward from a reply).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from intake import budget

NEW, QUOTE, FORWARD, SIGNATURE = "new", "quote", "forward", "signature"
OURS, OTHERS, UNKNOWN = "ours", "others", "unknown"


@dataclass(frozen=True)
class LineKind:
    kind: str
    quotes: int  # the number of ``>`` marks
    headers: int  # reply or forward headers above the line (not counting ``>`` marks)
    segment: int  # the index of the line's segment


@dataclass
class Segment:
    kind: str
    start: int  # first line (index into the text's lines)
    end: int  # one past the last line
    origin: str = ""  # quotes only: ours | others | unknown
    sender: str = ""
    date: str = ""
    subject: str = ""
    group: int = 0  # quotes of one attribution (interleaved with new text) share a group
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "text": self.text}
        for name in ("origin", "sender", "date", "subject"):
            if value := getattr(self, name):
                out[name] = value
        return out


@dataclass(frozen=True)
class Split:
    segments: list[Segment]
    lines: list[LineKind]  # one per line of the text


_QUOTE = re.compile(r"^\s*((?:>\s?)+)")
_ORIGINAL = re.compile(
    r"^[-=_*\s]*(?:original message|元のメッセージ|オリジナルメッセージ|返信元メッセージ)[-=_*\s:]*$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"^[-=_*\s]*(?:forwarded message|begin forwarded message|forwarded by .{0,80}|転送(?:された)?メッセージ"
    r"|転送メール|転送文)[-=_*\s:]*$",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"(?:wrote\s*:?|(?:書きました|のメッセージ|のメール|からのメール|からのメッセージ)\s*:)$", re.IGNORECASE
)
_GMAIL_JA = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日.*<[^<>@\s]+@[^<>\s]+>\s*:?$")
_ON = re.compile(r"^(?:on\s|\d{4}[/年.-]\d{1,2})", re.IGNORECASE)  # Becky!'s 「On Mon, 7 Dec …」 first line
_RULE = re.compile(r"^[_]{10,}$|^[-─━]{20,}$")  # Outlook on the web's separator
_HEADER_START = re.compile(r"^(?:from|差出人|送信者)\s*:", re.IGNORECASE)
_HEADER = re.compile(
    r"^(?P<name>from|差出人|送信者|送信元|sent|date|日付|日時|送信日時|to|宛先|cc|subject|件名|"
    r"reply-to|importance|重要度|添付ファイル|attachments)\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_HEADER_TO = re.compile(r"^(?:to|宛先)\s*:", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^(?:sent|date|送信日時|日付|日時)\s*:", re.IGNORECASE)  # Outlook's Sent: line
_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|返信)\s*:\s*)*(?:fw|fwd|転送|tr)\s*:", re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_FIELDS = {
    "from": "sender", "差出人": "sender", "送信者": "sender", "送信元": "sender",
    "sent": "date", "date": "date", "日付": "date", "日時": "date", "送信日時": "date",
    "subject": "subject", "件名": "subject",
}  # fmt: skip
_LOOKAHEAD = 6  # lines looked at after a possible header's first line


def _norm(line: str) -> str:
    return unicodedata.normalize("NFKC", line).strip()


class _Splitter:
    def __init__(self, lines: list[str], *, subject: str, markers: tuple[str, ...]) -> None:
        self.raw = lines
        self.norm = [_norm(x) for x in lines]
        self.forward_subject = bool(_FORWARD_SUBJECT.match(_norm(subject or "")))
        self.markers = tuple(_norm(m) for m in markers if m.strip())
        self.segments: list[Segment] = []
        self.kinds: list[LineKind] = []
        self.state = NEW  # the kind of a line with no ``>``
        self.headers = 0
        self.attribution = ""  # who wrote the ``>`` quotes that follow, when a line said so
        self.in_header = False  # reading a forward's or quote's header lines
        self.group = 0  # 0: quotes nobody is named for

    def run(self) -> Split:
        for i, line in enumerate(self.norm):
            if i % 512 == 0:
                budget.check("splitting the text")
            self._line(i, line)
        quotes = [s for s in self.segments if s.kind == QUOTE]
        ours = {s.group for s in quotes if any(m in _norm(s.text) for m in self.markers)}
        for segment in quotes:
            if segment.group in ours:
                segment.origin = OURS
        return Split(self.segments, self.kinds)

    # ---- one line ----------------------------------------------------------------------------

    def _line(self, i: int, line: str) -> None:
        match = _QUOTE.match(line)
        quotes = match.group(1).count(">") if match else 0
        content = line[match.end() :].strip() if match else line
        if quotes:
            self.in_header = False
            if self.state in (NEW, SIGNATURE):
                kind, origin = QUOTE, OTHERS if self.attribution else UNKNOWN
            else:
                kind, origin = self.state, self.segments[-1].origin
            self._add(i, kind, quotes, origin=origin, sender=self.attribution)
            return
        if self.in_header and self._header_field(i, content):
            return
        self.in_header = False
        if self._starts_older(i, content):
            return
        if not content and self.kinds:
            last = self.kinds[-1]
            if last.kind == QUOTE and self.state == NEW:  # a blank line inside a ``>`` quote stays in it
                self._add(i, self.segments[-1].kind, 0, origin=self.segments[-1].origin)
                return
        self._add(i, self.state, 0)

    def _starts_older(self, i: int, content: str) -> bool:
        """A line that starts a forward, a quote or a signature; adds it when so."""
        if _FORWARDED.match(content):
            self._open(i, FORWARD)
            return True
        if self.state == FORWARD:
            return False  # everything below a forward banner is the forwarded mail
        if self.raw[i].rstrip("\r\n") == "-- " and self.state == NEW:
            self.state = SIGNATURE
            self._add(i, SIGNATURE, 0)
            return True
        if _ORIGINAL.match(content):
            self._open(i, FORWARD if self.forward_subject else QUOTE)
            return True
        if _RULE.match(content) and self._header_follows(i + 1, skip_blank=True):
            self._open(i, FORWARD if self.forward_subject else QUOTE)
            return True
        if _HEADER_START.match(content) and self._header_follows(i + 1):
            self._open(i, FORWARD if self.forward_subject else QUOTE, header_line=True)
            return True
        if self.state == QUOTE:
            return False
        if (_WROTE.search(content) and len(content) < 200) or _GMAIL_JA.match(content):
            self._attribution(i, content)
            return True
        return False

    def _attribution(self, i: int, content: str) -> None:
        """「… wrote:」: the ``>`` lines below are its quote; with none, everything below is."""
        address = _ADDRESS.search(content)
        self.attribution = address.group() if address else content[:120]
        self.group += 1
        prev = self._previous_text(i)
        moved = prev is not None and bool(_ON.match(self.norm[prev])) and self.kinds[prev].kind == NEW
        if moved and prev is not None:
            self._reclassify(prev)  # Becky!'s 「On Mon, 07 Dec 2026 10:00:00 +0900」 above
        if self._quoted_follows(i + 1):
            self._add(i, QUOTE, 0, origin=OTHERS, sender=self.attribution, fresh=not moved)
            return
        self._open(i, QUOTE, origin=OTHERS, sender=self.attribution)

    # ---- segments ----------------------------------------------------------------------------

    def _open(
        self, i: int, kind: str, *, header_line: bool = False, origin: str = "", sender: str = ""
    ) -> None:
        """A quote or forward that runs to the end of the text (or the next forward)."""
        self.state = kind
        self.headers += 1
        self.attribution = ""
        self.group += 1
        self._add(i, kind, 0, origin=origin or (OTHERS if kind == QUOTE else ""), sender=sender, fresh=True)
        self.in_header = True
        if header_line:
            self._header_field(i, self.norm[i], add=False)

    def _header_field(self, i: int, content: str, *, add: bool = True) -> bool:
        """A header line of the segment just opened (From/Date/Subject kept); blank lines before
        the first field are part of the header too."""
        segment = self.segments[-1]
        match = _HEADER.match(content)
        if match is None:
            if content or segment.sender or segment.date or segment.subject:
                return False
            if add:
                self._add(i, segment.kind, 0, origin=segment.origin)
            return True
        name = _FIELDS.get(match.group("name").lower())
        if name and not getattr(segment, name):
            setattr(segment, name, match.group("value").strip()[:200])
        if name == "sender" and segment.origin == "" and segment.kind == QUOTE:
            segment.origin = OTHERS
        if add:
            self._add(i, segment.kind, 0, origin=segment.origin)
        return True

    def _add(
        self, i: int, kind: str, quotes: int, *, origin: str = "", sender: str = "", fresh: bool = False
    ) -> None:
        last = self.segments[-1] if self.segments else None
        if fresh or last is None or last.kind != kind or (kind == QUOTE and last.origin != origin and quotes):
            group = self.group if kind == QUOTE and origin != UNKNOWN else 0
            last = Segment(
                kind=kind, start=i, end=i, origin=origin if kind == QUOTE else "", sender=sender, group=group
            )
            self.segments.append(last)
        last.end = i + 1
        last.lines.append(self.raw[i])
        headers = self.headers if kind in (QUOTE, FORWARD) and not quotes else 0
        if kind == FORWARD and quotes:
            headers = self.headers
        self.kinds.append(LineKind(kind, quotes, headers, len(self.segments) - 1))

    def _reclassify(self, prev: int) -> None:
        """Move line ``prev`` (the last line added) into a quote segment of its own."""
        segment = self.segments[self.kinds[prev].segment]
        if segment.end != prev + 1:
            return
        segment.end -= 1
        segment.lines.pop()
        blanks = [self.kinds.pop() for _ in range(len(self.kinds) - prev - 1)]
        self.kinds.pop()
        if segment.start == segment.end:
            self.segments.pop()
        self._add(prev, QUOTE, 0, origin=OTHERS, sender=self.attribution, fresh=True)
        for k in range(len(blanks)):
            self._add(prev + 1 + k, QUOTE, 0, origin=OTHERS, sender=self.attribution)

    # ---- looking around ----------------------------------------------------------------------

    def _previous_text(self, i: int) -> int | None:
        j = i - 1
        while j >= 0 and not self.norm[j] and i - j <= 2:
            j -= 1
        return j if j >= 0 and self.norm[j] else None

    def _quoted_follows(self, i: int) -> bool:
        for line in self.norm[i : i + _LOOKAHEAD]:
            if line:
                return bool(_QUOTE.match(line))
        return False

    def _header_follows(self, i: int, *, skip_blank: bool = False) -> bool:
        following = self.norm[i : i + _LOOKAHEAD]
        if skip_blank:
            while following and not following[0]:
                following = following[1:]
            return bool(following) and bool(_HEADER_START.match(following[0]) or _HEADER.match(following[0]))
        # Outlook writes Sent/Date and To below From; a report listing a lure's 差出人/件名/日時 is no header
        head = following[:5]
        return any(_HEADER_DATE.match(x) for x in head) and any(_HEADER_TO.match(x) for x in head)


def split(text: str, *, subject: str = "", markers: tuple[str, ...] = ()) -> Split:
    """The segments of a mail text. ``markers``: text that only our own mail carries (a quote
    holding one is a quote of ours); ``subject``: the message's own subject (FW: makes an
    Outlook header block a forward)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _Splitter(lines, subject=subject, markers=markers).run()


def segments_of(text: str, *, subject: str = "", markers: tuple[str, ...] = ()) -> list[Segment]:
    """The segments, blank ones dropped."""
    return [s for s in split(text, subject=subject, markers=markers).segments if s.text.strip()]
