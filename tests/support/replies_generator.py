"""Replies and reports as mail programs and people write them, each with what it answers.

A reply is made of three independent choices:

* the **mail program** — how it quotes (``>`` with an attribution line, or Outlook's header block
  with no ``>`` at all) and how it forwards (Gmail's 「---------- Forwarded message ---------」,
  Outlook's 差出人/送信日時 block under FW:, Thunderbird's 「-------- Forwarded Message --------」,
  Apple Mail's "Begin forwarded message:", Becky! and the carriers' 「----- Original Message -----」);
* the **answer style** — our block filled in, prose, a one-liner, ranges and totals, references to
  what the text says above, full-width, English, people's numbering (1. 1) (1) ⑴ １．);
* the **position** — answers above the quote (top), below it (bottom) or typed under each quoted
  item (interleaved; only where the program quotes with ``>``).

The quoted part is always our checklist mail; where a program's header names a writer, a
colleague's conflicting 確認 answers are quoted below it too — never the reporter's answer. A
*report* is a first message answering in the body and forwarding the suspicious mail, whose own
numbered steps (「①…ダウンロードしてください ③本日中にご連絡ください」) are no answer.

Only phrasings the vocabulary already reads are used: the generator tests where answers are
taken from, not what words mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from intake.checks.answers.confirmations import CONFIRMATION_BLOCK

R, N = "requested", "not_requested"
FREE = "制限なし"
OURS = "協議会事務局 <csc-anken@example.jp>"
COLLEAGUE = "佐藤 花子 <hanako.sato@example.co.jp>"


@dataclass(frozen=True)
class Values:
    """One set of answers: what the reporter means, and how the reader gives it back."""

    secret: str  # requested | not_requested
    scope: str  # what IncidentAnswers.sharing_scope is
    scope_text: str  # how it is written
    coord: str


VALUES = (
    Values(N, "協議会構成員限り", "協議会構成員限り", N),
    Values(R, "TLP:AMBER", "TLP:AMBER", R),
    Values(N, "TLP:GREEN", "TLP:GREEN", R),
)
SHORT = {  # a short answer after an item, per item and verdict
    (1, N): "不要",
    (1, R): "要",
    (3, N): "不要",
    (3, R): "送信元への通知をお願いします",
}
PROSE = {
    (1, N): "秘密指定は不要です。",
    (1, R): "被害組織名は秘密にしてほしいです。",
    (3, N): "協議会事務局外への対応調整は不要です。",
    (3, R): "送信元への通知をお願いします。",
}
ENGLISH = {(1, N): "Not required", (1, R): "Required", (3, N): "No", (3, R): "Yes, please notify the sender"}
ENGLISH_SCOPE = {"協議会構成員限り": "Council members only"}
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
NUMBERINGS = ("{n}. ", "{n}) ", "({n}) ", "{paren}", "{full}．")
PAREN = {1: "⑴ ", 2: "⑵ ", 3: "⑶ "}
FULL = {1: "１", 2: "２", 3: "３"}


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    subject: str
    expected: tuple[str | None, str | None, str | None]  # secret, scope, coordination


# ---- answer styles: (values, variant) -> (lines, expected) ------------------------------------


def _expect(v: Values) -> tuple[str | None, str | None, str | None]:
    return (v.secret, v.scope, v.coord)


def _items(v: Values) -> dict[int, str]:
    return {1: SHORT[1, v.secret], 2: v.scope_text, 3: SHORT[3, v.coord]}


def block(v: Values, k: int) -> tuple[list[str], tuple]:
    lines = CONFIRMATION_BLOCK.splitlines()
    filled = [line + _items(v)[n] for n, line in zip((1, 2, 3), lines[2:5], strict=True)]
    return ["以下のとおり回答いたします。", "", *filled], _expect(v)


def prose(v: Values, k: int) -> tuple[list[str], tuple]:
    scope = f"共有範囲は{v.scope_text}でお願いします。"
    sentences = [PROSE[1, v.secret], scope, PROSE[3, v.coord]]
    if k % 2:
        return ["ご連絡ありがとうございます。", "".join(sentences)], _expect(v)
    return ["ご連絡ありがとうございます。", *sentences, "", "よろしくお願いいたします。"], _expect(v)


def one_liner(v: Values, k: int) -> tuple[list[str], tuple]:
    items = _items(v)
    if k % 2:
        return [f"確認①：{items[1]}　確認②：{items[2]}　確認③：{items[3]}"], _expect(v)
    return [f"①{items[1]}　②{items[2]}　③{items[3]}"], _expect(v)


def ranges(v: Values, k: int) -> tuple[list[str], tuple]:
    """Ranges and totals: the items answered alike share one answer."""
    coord = SHORT[3, v.coord]
    shapes = (
        (["確認①～③：不要"], (N, FREE, N)),
        (["確認1〜2：不要", f"確認3：{coord}"], (N, FREE, v.coord)),
        (["①-③ 不要です"], (N, FREE, N)),
        (["①②③とも不要です。"], (N, FREE, N)),
        (["いずれも不要です。"], (N, FREE, N)),
        (["①～②：不要", f"③：{coord}"], (N, FREE, v.coord)),
    )
    lines, expected = shapes[k % len(shapes)]
    return ["ご確認事項について回答します。", *lines], expected


def references(v: Values, k: int) -> tuple[list[str], tuple]:
    """Prose first, then the block pointing back at it: no line is a warning."""
    said, _ = prose(v, 1)
    refs = ("上記の通り", "上記のとおり", "本文記載のとおり", "前述の通り")
    block_lines = CONFIRMATION_BLOCK.splitlines()[2:5]
    pointed = [line + refs[(k + n) % len(refs)] for n, line in enumerate(block_lines)]
    return [*said, "", *pointed], _expect(v)


def full_width(v: Values, k: int) -> tuple[list[str], tuple]:
    items = _items(v)
    scope = items[2].translate(FULL_WIDTH)
    if k % 2:
        return [f"１．{items[1]}", f"２．{scope}", f"３．{items[3]}"], _expect(v)
    return [f"確認１：{items[1]}", f"確認２：{scope}", f"確認３：{items[3]}"], _expect(v)


def english(v: Values, k: int) -> tuple[list[str], tuple]:
    scope = ENGLISH_SCOPE.get(v.scope_text, v.scope_text)
    answers = (ENGLISH[1, v.secret], scope, ENGLISH[3, v.coord])
    if k % 2:
        return [f"Confirmation {n}: {a}" for n, a in zip((1, 2, 3), answers, strict=True)], _expect(v)
    return [f"{n}. {a}" for n, a in zip((1, 2, 3), answers, strict=True)], _expect(v)


def numbering(v: Values, k: int) -> tuple[list[str], tuple]:
    shape = NUMBERINGS[k % len(NUMBERINGS)]
    items = _items(v)
    return [shape.format(n=n, paren=PAREN[n], full=FULL[n]) + items[n] for n in (1, 2, 3)], _expect(v)


STYLES: dict[str, Callable[[Values, int], tuple[list[str], tuple]]] = {
    "block": block,
    "prose": prose,
    "one-liner": one_liner,
    "ranges": ranges,
    "references": references,
    "full-width": full_width,
    "english": english,
    "numbering": numbering,
}
UNDER = {  # answers typed under each quoted item: (item, values) -> the line
    "short": lambda n, v: _items(v)[n],
    "polite": lambda n, v: f"{_items(v)[n]}でお願いします" if n == 2 else f"{_items(v)[n]}です",
    "english": lambda n, v: (
        ENGLISH_SCOPE.get(v.scope_text, v.scope_text)
        if n == 2
        else ENGLISH[n, (v.secret, v.scope, v.coord)[n - 1]]
    ),
    "full-width": lambda n, v: _items(v)[n].translate(FULL_WIDTH),
}


# ---- the mail programs -----------------------------------------------------------------------

OUR_MAIL = [
    "山田様",
    "",
    "ご報告ありがとうございます。以下の点についてご回答をお願いいたします。",
    "確認①（秘密指定の有無）について、ご回答欄にご記入ください（例：不要 など）。",
    "確認②（情報の共有範囲）について、ご回答欄にご記入ください（例：協議会構成員限り など）。",
    "確認③（協議会事務局外への対応調整の要否）について、ご回答欄にご記入ください（例：不要 など）。",
    "",
    *CONFIRMATION_BLOCK.splitlines(),
]
THEIRS = ["確認①：要", "確認②：TLP:RED", "確認③：送信元に連絡してください"]  # a colleague's, quoted


@dataclass(frozen=True)
class Program:
    name: str
    attribution: tuple[str, ...]  # lines above a ``>`` quote; empty: quotes with a header block
    header: tuple[str, ...]  # Outlook-style header block (no ``>``)
    forward: tuple[str, ...]  # the lines that open a forwarded message (before its body)
    forward_subject: str = "Fwd: 請求書の件"

    @property
    def marks_quotes(self) -> bool:
        return bool(self.attribution)


_FWD_FIELDS = (
    "From: 経理部 <billing@invoice-check.example.com>",
    "Date: 2026年12月7日(月) 9:12",
    "Subject: 請求書の件",
)
PROGRAMS = (
    Program(
        "outlook-desktop-ja",
        (),
        (
            "-----Original Message-----",
            f"差出人: {OURS}",
            "送信日時: 2026年12月7日 月曜日 10:00",
            "宛先: 山田 太郎 <taro.yamada@example.co.jp>",
            "件名: RE: 不審メールの受信について [CSC-2026-0001]",
        ),
        (
            "________________________________",
            "差出人: 経理部 <billing@invoice-check.example.com>",
            "送信日時: 2026年12月7日 9:12",
            "宛先: 山田 太郎 <taro.yamada@example.co.jp>",
            "件名: 請求書の件",
        ),
        "FW: 請求書の件",
    ),
    Program(
        "outlook-web-en",
        (),
        (
            "________________________________",
            f"From: {OURS}",
            "Sent: Monday, December 7, 2026 10:00 AM",
            "To: Taro Yamada <taro.yamada@example.co.jp>",
            "Subject: RE: 不審メールの受信について [CSC-2026-0001]",
        ),
        (
            "________________________________",
            "From: 経理部 <billing@invoice-check.example.com>",
            "Sent: Monday, December 7, 2026 9:12 AM",
            "To: Taro Yamada <taro.yamada@example.co.jp>",
            "Subject: 請求書の件",
        ),
        "FW: 請求書の件",
    ),
    Program(
        "gmail-ja",
        (f"2026年12月7日(月) 10:00 {OURS}:",),
        (),
        ("---------- Forwarded message ---------", *_FWD_FIELDS, "To: <taro.yamada@example.co.jp>"),
    ),
    Program(
        "thunderbird",
        ("On 2026/12/07 10:00, 協議会事務局 wrote:",),
        (),
        (
            "-------- Forwarded Message --------",
            "Subject: 請求書の件",
            "Date: Mon, 7 Dec 2026 09:12:00 +0900",
            "From: 経理部 <billing@invoice-check.example.com>",
        ),
    ),
    Program(
        "apple-mail",
        ("2026/12/07 10:00、協議会事務局 <csc-anken@example.jp>のメール:",),
        (),
        ("Begin forwarded message:", "", *_FWD_FIELDS),
    ),
    Program(
        "becky-carrier",
        ("On Mon, 07 Dec 2026 10:00:00 +0900", f"{OURS} wrote:"),
        (),
        ("----- Original Message -----", *_FWD_FIELDS),
        "転送: 請求書の件",
    ),
)


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line else ">" for line in lines]


def _quoted_part(program: Program) -> list[str]:
    """Our checklist as the program quotes it; where a header names a writer, a colleague's
    conflicting answers quoted further down (they must not be read)."""
    if program.marks_quotes:
        return [*program.attribution, *_quote(OUR_MAIL)]
    colleague = [
        "",
        "-----Original Message-----",
        f"From: {COLLEAGUE}",
        "Sent: Monday, December 7, 2026 9:30 AM",
        "To: Taro Yamada <taro.yamada@example.co.jp>",
        "Subject: 確認事項への回答案",
        "",
        *THEIRS,
    ]
    return [*program.header, "", *OUR_MAIL, *colleague]


def _interleaved(program: Program, v: Values, under: str) -> list[str]:
    """Our checklist quoted with each item's answer typed on the line below it."""
    out = ["山田です。各項目の下に回答を記入しました。", "", *program.attribution]
    for line in OUR_MAIL:
        out.append(f"> {line}" if line else ">")
        for n, item in enumerate(CONFIRMATION_BLOCK.splitlines()[2:5], start=1):
            if line == item:
                out.append(UNDER[under](n, v))
    return out


def replies() -> list[Case]:
    cases: list[Case] = []
    for program, (vi, v) in itertools.product(PROGRAMS, enumerate(VALUES)):
        for k, (style, make) in enumerate(STYLES.items()):
            lines, expected = make(v, k + vi)
            positions = ("top", "bottom") if program.marks_quotes else ("top",)
            for position in positions:
                quoted = _quoted_part(program)
                text = [*lines, "", *quoted] if position == "top" else [*quoted, "", *lines]
                cases.append(
                    Case(
                        f"{program.name}/{style}/{position}/{vi}",
                        "\n".join(text),
                        "RE: 不審メールの受信について",
                        expected,
                    )
                )
        if program.marks_quotes:
            for under in UNDER:
                text = "\n".join(_interleaved(program, v, under))
                cases.append(
                    Case(
                        f"{program.name}/under-the-quote-{under}/interleaved/{vi}",
                        text,
                        "RE: 不審メールの受信について",
                        _expect(v),
                    )
                )
    return cases


# ---- reports with a forwarded lure --------------------------------------------------------------

LURES = (
    [
        "お支払いの確認が必要です。",
        "①添付ファイルをダウンロードしてください",
        "②パスワード「1234」で開いてください",
        "③本日中にご連絡ください",
    ],
    [
        "【重要】アカウント確認のお願い",
        "1. 下記URLにアクセスしてください",
        "2. IDとパスワードを入力してください",
        "3. 確認が完了するまでお待ちください",
    ],
    [
        "確認①：至急ご対応ください",
        "確認②：社外秘のため共有しないでください",
        "確認③：担当者へ連絡してください",
    ],
    [
        "(1) 秘密保持のため本メールは転送しないでください",
        "(2) 共有範囲：関係者限り",
        "(3) 対応不要の場合も必ず返信してください",
    ],
    [
        "Dear customer,",
        "1. Download the attached invoice",
        "2. Enable editing",
        "3. Reply today. No need to call us.",
    ],
    [
        "①～③の手順で更新してください。",
        "いずれも本日中に完了させてください。",
        "上記の通り対応してください。",
    ],
    [
        "確認①（秘密指定の有無）：要",
        "確認②（情報の共有範囲）：TLP:RED",
        "確認③（協議会事務局外への対応調整の要否）：要",
    ],
    [
        "他社様からの回答を転送いたします。",
        "秘密指定は不要です。",
        "共有範囲は協議会構成員限りでお願いします。",
        "対応調整は不要です。",
    ],
)
FORWARD_NOTES = ("不審なメールを受信しましたので転送します。", "下記のメールが届きました。ご確認ください。")


def _forward(program: Program, lure: list[str]) -> list[str]:
    return [*program.forward, "", *lure]


def _attached(lure: list[str]) -> list[str]:
    """A message attached as message/rfc822, as intake.mail.body gives its text."""
    return ["---------- Forwarded message ----------", *_FWD_FIELDS, "", *lure]


def reports() -> list[Case]:
    """First reports answering in their own text and forwarding the suspicious mail below."""
    cases: list[Case] = []
    for (pi, program), (vi, v) in itertools.product(enumerate(PROGRAMS), enumerate(VALUES)):
        for k, (style, make) in enumerate(STYLES.items()):
            lines, expected = make(v, k + vi)
            lure = LURES[(pi + k + vi) % len(LURES)]
            text = [FORWARD_NOTES[k % 2], "", *lines, "", *_forward(program, lure)]
            cases.append(
                Case(
                    f"{program.name}/report-{style}/{vi}", "\n".join(text), program.forward_subject, expected
                )
            )
    return cases


def lures() -> list[Case]:
    """Forwarded or attached lures with imperative numbered steps, and a note that answers nothing."""
    cases: list[Case] = []
    for (pi, program), (li, lure) in itertools.product(enumerate(PROGRAMS), enumerate(LURES)):
        note = FORWARD_NOTES[(pi + li) % 2]
        cases.append(
            Case(
                f"{program.name}/forwarded-lure-{li}",
                "\n".join([note, "", *_forward(program, lure)]),
                program.forward_subject,
                (None, None, None),
            )
        )
    for li, lure in enumerate(LURES):
        cases.append(
            Case(
                f"attached-lure-{li}",
                "\n".join([FORWARD_NOTES[li % 2], "", *_attached(lure)]),
                "不審メールの報告",
                (None, None, None),
            )
        )
    return cases
