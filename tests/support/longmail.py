"""Reports written as one long paragraph, in the shapes mail really takes, at any size.

A real report is a few KB. These are what a hostile or careless sender makes of one: megabytes of
short lines with no blank line between them, so a reader that joins wrapped lines works on one
enormous paragraph. Each :class:`Shape` is one way such a body looks (ASCII words, Japanese
without sentence ends, numbered lines, quoted lines, one line with no newline at all, HTML whose
lines end in ``<br>``); :func:`long_report` builds a whole message of a given size in one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

MB = 1_000_000


@dataclass(frozen=True)
class Shape:
    name: str
    line: Callable[[int], str]  # the i-th line of the paragraph, without its line end
    html: bool = False
    newline: str = "\n"


SHAPES = (
    Shape("ascii words", lambda i: f"ok {i % 100}"),
    Shape(
        "japanese without sentence ends",
        lambda i: f"サーバのログ{i}件目を確認したところ不審な通信がありました",
    ),
    Shape("numbered lines", lambda i: f"({i % 9 + 1}) 状況{i}：調査中"),
    Shape("quoted lines", lambda i: f"> 前回のご報告{i}について"),
    Shape("one line", lambda i: f"word{i} ", newline=""),
    Shape("html with br", lambda i: f"通信記録{i} 件目<br>", html=True),
)


def long_body(shape: Shape, size: int) -> str:
    """A body of about ``size`` bytes (UTF-8): one paragraph of ``shape``'s lines."""
    lines: list[str] = []
    total = 0
    i = 0
    while total < size:
        line = shape.line(i) + shape.newline
        lines.append(line)
        total += len(line.encode())
        i += 1
    text = "".join(lines)
    return f"<html><body><p>{text}</p></body></html>" if shape.html else text


def long_report(
    shape: Shape,
    size: int,
    *,
    sender: str = "報告者 <reporter@example.co.jp>",
    to: str = "csc-anken@example.jp",
    subject: str = "インシデントのご報告（ログ全文）",
) -> bytes:
    """A whole incident report whose body is one paragraph of about ``size`` bytes."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = make_msgid(domain="example.co.jp")
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0900"
    body = long_body(shape, size)
    msg.set_content(body, subtype="html" if shape.html else "plain", charset="utf-8", cte="base64")
    return msg.as_bytes()
