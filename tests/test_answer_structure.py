"""Where answers to 確認①②③ stand, read through read_confirmations(): ranges and totals, references
to the same message's text, the numbering people type, answers under a quoted item — and what is
not an answer for all its numbers (a date range, someone else's quote, a forward)."""

from __future__ import annotations

import pytest

from intake.checks import read_confirmations

R, N, FREE = "requested", "not_requested", "制限なし"
MEMBERS = "協議会構成員限り"


def read(text: str, subject: str = "") -> tuple:
    answers = read_confirmations([text], [subject])
    return (answers.secret_designation, answers.sharing_scope, answers.external_coordination), answers.unclear


ANSWERED = [
    ("①～③：不要", (N, FREE, N)),
    ("①-③ 不要です", (N, FREE, N)),
    ("確認1〜3：不要", (N, FREE, N)),
    ("確認①～③はすべて不要です", (N, FREE, N)),
    ("①②③とも不要です", (N, FREE, N)),
    ("全て不要です。", (N, FREE, N)),
    ("いずれも不要です。", (N, FREE, N)),
    ("①～②：不要\n③：送信元への通知をお願いします", (N, FREE, R)),
    ("1. 不要\n2. 協議会構成員限り\n3. 不要", (N, MEMBERS, N)),
    ("1) 不要\n2) 協議会構成員限り\n3) 不要", (N, MEMBERS, N)),
    ("⑴ 不要\n⑵ 協議会構成員限り\n⑶ 不要", (N, MEMBERS, N)),
    ("１．不要\n２．協議会構成員限り\n３．不要", (N, MEMBERS, N)),
    ("1. Not required\n2. Council members only\n3. No", (N, MEMBERS, N)),
    (
        "秘密指定は不要です。共有範囲は協議会構成員限りでお願いします。対応調整は不要です。\n\n"
        "確認①：上記の通り\n確認②：上記のとおり\n確認③：本文記載のとおり",
        (N, MEMBERS, N),
    ),
    ("秘密指定は不要です。\n確認①：前述の通り", (N, None, None)),
    ("On 2026/12/07, 事務局 wrote:\n> 確認①（秘密指定の有無）：\n不要です\n> 確認③：\n\n不要", (N, None, N)),
]


@pytest.mark.parametrize("text,expected", ANSWERED, ids=[a[0].replace("\n", "⏎")[:30] for a in ANSWERED])
def test_structural_answers(text: str, expected: tuple) -> None:
    assert read(text) == (expected, ())


NOT_ANSWERS = [
    "1-3月の被害状況を調査中です。",
    "すべてのPCを調査しました。",
    "全て削除しました。",
    "了解です。\n\n________________________________\nFrom: 佐藤 <sato@example.co.jp>\nSent: Monday, December 7, 2026 10:00 AM\n"
    "To: 山田\nSubject: RE: x\n\n確認①：要\n確認③：送信元に連絡してください",
    "上長の意見を引用します。\n\n2026年12月7日(月) 9:30 佐藤 <sato@example.co.jp>:\n> 確認①：要\n> 確認③：不要",
    "転送します。\n\n---------- Forwarded message ---------\nFrom: a <a@example.com>\n\n確認①（秘密指定の有無）：要\n③本日中にご連絡ください",
]


@pytest.mark.parametrize("text", NOT_ANSWERS, ids=[t.replace("\n", "⏎")[:30] for t in NOT_ANSWERS])
def test_not_answers(text: str) -> None:
    assert read(text) == ((None, None, None), ())


def test_a_reference_with_nothing_to_point_at_stays_unclear() -> None:
    assert read("確認①：上記の通り")[1] == (("secret_designation", "確認①：上記の通り"),)


def test_an_outlook_header_block_under_fw_is_a_forward_never_an_answer() -> None:
    text = "ご確認ください。\n\n差出人: 他社 <x@example.com>\n送信日時: 2026年12月7日 9:00\n宛先: 山田\n件名: 回答\n\n確認①：不要"
    assert read(text, subject="FW: 回答") == ((None, None, None), ())
