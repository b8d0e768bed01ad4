"""intake.mail.segments: a body split into the sender's new text, quotes and forwarded mail, as
the mail programs people here use write them (plain text and HTML turned into text)."""

from __future__ import annotations

import pytest

from intake.mail.html import html_to_text
from intake.mail.segments import segments_of, split

MARKERS = ("ご回答欄",)


def kinds(text: str, subject: str = "") -> list[str]:
    return [
        f"{s.kind}:{s.origin}" if s.origin else s.kind
        for s in segments_of(text, subject=subject, markers=MARKERS)
    ]


QUOTING = [  # (program, text, the segments' kinds in order)
    (
        "Outlook desktop JA",
        "了解しました。\n\n-----元のメッセージ-----\n差出人: 佐藤 <sato@example.co.jp>\n送信日時: 2026年12月7日 10:00\n"
        "宛先: 山田\n件名: RE: 件\n\n確認①：要",
        ["new", "quote:others"],
    ),
    (
        "Outlook desktop EN",
        "OK.\n\n-----Original Message-----\nFrom: Sato <sato@example.co.jp>\nSent: Monday, December 7, 2026 10:00 AM\n"
        "To: Yamada\nSubject: RE: x\n\n確認①：要",
        ["new", "quote:others"],
    ),
    (
        "Outlook on the web",
        "OK.\n\n________________________________\nFrom: Sato <sato@example.co.jp>\nSent: Monday, December 7, 2026 10:00 AM\n"
        "To: Yamada\nSubject: RE: x\n\n確認①：要",
        ["new", "quote:others"],
    ),
    (
        "Outlook header block alone",
        "OK.\n\n差出人: 佐藤 <sato@example.co.jp>\n送信日時: 2026年12月7日 10:00\n宛先: 山田\n件名: RE: x\n\n確認①：要",
        ["new", "quote:others"],
    ),
    (
        "Gmail JA interleaved",
        "山田です。\n\n2026年12月7日(月) 10:00 事務局 <csc@example.jp>:\n> 確認①：\n不要\n> 確認②：\n協議会構成員限り",
        ["new", "quote:others", "new", "quote:others", "new"],
    ),
    (
        "Thunderbird JA",
        "不要です。\n\n山田 太郎 さんは書きました:\n> 確認①",
        ["new", "quote:others"],
    ),
    ("Thunderbird EN", "Fine.\n\nOn 2026/12/07 10:00, Jiro wrote:\n> 確認①", ["new", "quote:others"]),
    (
        "Apple Mail JA",
        "不要です。\n\n2026/12/07 10:00、事務局 <csc@example.jp>のメール:\n\n> 確認①",
        ["new", "quote:others"],
    ),
    (
        "Becky! two-line attribution",
        "不要です。\n\nOn Mon, 07 Dec 2026 10:00:00 +0900\n事務局 <csc@example.jp> wrote:\n> 確認①",
        ["new", "quote:others"],
    ),
    (
        "carrier mailer",
        "不要です\n----- Original Message -----\nFrom: 事務局\nSent: 2026/12/07\n確認①",
        ["new", "quote:others"],
    ),
    ("bare > quote", "不要です\n\n> 確認①\n>> older", ["new", "quote:unknown"]),
    ("our block quoted", "記入しました\n\n> ━━ ご回答欄 ━━\n> 確認①：不要", ["new", "quote:ours"]),
    (
        "ours across interleaving",
        "On 2026/12/07, 事務局 <csc@example.jp> wrote:\n> ━━ ご回答欄 ━━\n> 確認①：\n不要\n> 確認②：\nTLP:GREEN",
        ["quote:ours", "new", "quote:ours", "new"],
    ),
    ("signature", "不要です\n-- \n山田 太郎\n株式会社例", ["new", "signature"]),
    ("new text only", "確認①：不要\n確認②：TLP:GREEN", ["new"]),
]


@pytest.mark.parametrize("program,text,expected", QUOTING, ids=[q[0] for q in QUOTING])
def test_quoting_conventions(program: str, text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


FORWARDS = [  # (program, the forward's opening lines, the message's own subject)
    (
        "Gmail",
        "---------- Forwarded message ---------\nFrom: 経理 <bill@example.com>\nDate: 2026年12月7日(月) 9:12\nSubject: 請求書\nTo: <a@example.co.jp>",
        "Fwd: 請求書",
    ),
    (
        "Gmail JA",
        "---------- 転送されたメッセージ ----------\n差出人: 経理 <bill@example.com>\n日付: 2026年12月7日(月) 9:12\n件名: 請求書",
        "Fwd: 請求書",
    ),
    (
        "Thunderbird",
        "-------- Forwarded Message --------\nSubject: 請求書\nDate: Mon, 7 Dec 2026 09:12:00 +0900\nFrom: 経理 <bill@example.com>",
        "Fwd: 請求書",
    ),
    (
        "Thunderbird JA",
        "-------- 転送メッセージ --------\n件名: 請求書\n日付: Mon, 7 Dec 2026 09:12:00 +0900\n差出人: 経理 <bill@example.com>",
        "転送: 請求書",
    ),
    (
        "Apple Mail",
        "Begin forwarded message:\n\nFrom: 経理 <bill@example.com>\nSubject: 請求書\nDate: 2026年12月7日(月) 9:12",
        "Fwd: 請求書",
    ),
    (
        "Apple Mail JA",
        "転送されたメッセージ:\n\n差出人: 経理 <bill@example.com>\n件名: 請求書\n日付: 2026年12月7日(月) 9:12",
        "Fwd: 請求書",
    ),
    (
        "Outlook FW",
        "________________________________\n差出人: 経理 <bill@example.com>\n送信日時: 2026年12月7日(月) 9:12\n宛先: 山田\n件名: 請求書",
        "FW: 請求書",
    ),
    (
        "Outlook FW original",
        "-----Original Message-----\nFrom: 経理 <bill@example.com>\nSent: 2026年12月7日(月) 9:12\nSubject: 請求書",
        "RE: FW: 請求書",
    ),
]


@pytest.mark.parametrize("program,opening,subject", FORWARDS, ids=[f[0] for f in FORWARDS])
def test_forward_conventions_keep_from_date_subject(program: str, opening: str, subject: str) -> None:
    text = f"転送します。\n\n{opening}\n\n①添付をダウンロードしてください\n> 引用"
    segments = segments_of(text, subject=subject)
    assert [s.kind for s in segments] == ["new", "forward"]
    forward = segments[1]
    assert forward.sender == "経理 <bill@example.com>" and forward.subject == "請求書"
    assert "9:12" in forward.date and "①添付" in forward.text and "> 引用" in forward.text


def test_a_reply_header_block_under_a_non_forward_subject_is_a_quote() -> None:
    text = "了解です\n________________________________\n差出人: 経理 <bill@example.com>\n送信日時: x\n件名: y\n\nbody"
    assert [s.kind for s in segments_of(text, subject="RE: y")] == ["new", "quote"]


def test_every_line_has_its_kind_and_the_segments_cover_the_text() -> None:
    text = "a\n\nOn x, y <y@example.jp> wrote:\n> q\nb\n-- \nsig\n---------- Forwarded message ---------\nFrom: z\n\nf"
    parts = split(text)
    assert len(parts.lines) == len(text.split("\n"))
    assert [k.kind for k in parts.lines] == [
        "new", "new", "quote", "quote", "new", "signature", "signature", "forward", "forward", "forward", "forward",
    ]  # fmt: skip
    assert "\n".join(line for s in parts.segments for line in s.lines) == text


def test_html_blockquotes_become_quoted_lines() -> None:
    html = (
        "<div>山田です</div><div>2026年12月7日(月) 10:00 事務局 &lt;csc@example.jp&gt;:</div>"
        "<blockquote><div>確認①：</div></blockquote><div>不要</div><blockquote><div>確認②：</div></blockquote>"
    )
    assert kinds(html_to_text(html)) == ["new", "quote:others", "new", "quote:others"]


def test_forward_banner_line_inside_a_quote_stays_quoted() -> None:
    text = "了解\n\n> ---------- Forwarded message ---------\n> From: a <a@example.com>\n> ①"
    assert kinds(text) == ["new", "quote:unknown"]


def test_a_report_listing_a_lures_headers_stays_the_reporters_text() -> None:
    text = "受信したメールは以下のとおりです。\n差出人：support@secure-login.example.com\n日時：12月7日 9:12\n件名：【重要】確認\n\n秘密指定は不要です。"
    assert kinds(text) == ["new"]


def test_an_attached_message_is_kept_apart_with_its_headers_and_answers_nothing() -> None:
    from email.message import EmailMessage

    from intake.checks import read_confirmations
    from intake.mail.parse import parse_message

    lure = EmailMessage()
    lure["From"], lure["Subject"] = "経理部 <billing@invoice-check.example.com>", "【至急】請求書"
    lure["Date"] = "Mon, 07 Dec 2026 09:12:00 +0900"
    lure.set_content("①添付ファイルをダウンロードしてください\n③本日中にご連絡ください\n")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = (
        "山田 <taro@example.co.jp>",
        "csc-anken@example.jp",
        "不審メール",
    )
    outer.set_content("不審なメールが届いたので添付します。\n")
    outer.add_attachment(lure)
    parsed = parse_message(outer.as_bytes())
    body = parsed.body_text
    assert [s.kind for s in segments_of(body, subject="不審メール")] == ["new"]  # its text is kept apart
    (attached,) = parsed.attached_messages
    assert attached.from_text == "経理部 <billing@invoice-check.example.com>"
    assert attached.subject == "【至急】請求書" and "ダウンロード" in attached.body
    answers = read_confirmations([body], ["不審メール"])
    assert (answers.secret_designation, answers.external_coordination, answers.unclear) == (None, None, ())
