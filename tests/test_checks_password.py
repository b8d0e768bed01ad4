"""find_password() and password_in_email: a password written in the mail (Q3 ③)."""

from __future__ import annotations

import pytest

from intake.checks import find_password
from intake.checks.password import password_candidates
from support.checks_builders import good_case, message, only, run_check

CARRY_A_PASSWORD = [
    "パスワード：Xy7#kL9p",
    "パスワード: Xy7#kL9p",
    "【パスワード】\nXy7#kL9p",
    "【パスワード】Xy7#kL9p",
    "■パスワード\u3000：\u3000Kyogikai2026",
    "PW: abcd1234",
    "ＰＷ：ａｂｃ１２３４",
    "P/W：AbcD1234",
    "pwd: 9f8e7d6c",
    "パスワードは「abc123」です。",
    "パスワードは『Tokyo!2026』になります。",
    "パスワードはabc123です。",
    "パスワード（解凍用）：Tk93!mQ",
    "解凍パスワード\u3000abc123",
    "暗証番号：1234",
    "パスワード:\nAbc12345",
    "パスワードは以下のとおりです。\nAbc123",
    "パスワードは下記の通りです。\n\nQwerty12",
    "パスワード = q1w2e3r4",
    "パス：Nisc2026!",
    "【PW】 Abc-1234",
    "password is abc123",
    "Password: abc123",
    "Pass: Summer2024!",
    "Your passcode is 123456",
    "The password for the zip file is Abc123",
    "Password for the attached file: Xk83!a",
    "PW abc123",
    "お世話になっております。\n添付ファイルのパスワードは Kyogikai2026 です。\nよろしくお願いいたします。",
    "山田です。\n\n先ほどの申込書のパスワードをお送りします。\nパスワード：tc-0917\n\n以上",
]

NOT_A_PASSWORD = [
    "パスワードは別途お電話でお知らせします",
    "パスワードは後ほどご連絡いたします。",
    "パスワードは、お電話にてお伝えします。",
    "パスワードは先ほどお電話でお伝えしたものです。",
    "パスワードについては、メールではなく、お電話等でお知らせください",
    "パスワード：別途ご連絡します",
    "パスワード：同上",
    "PW：お電話にて",
    "パスワード付きzip",
    "パスワード付きZIPファイルを送付します。",
    "パスワード保護されたWordファイルをお送りします。",
    "パスワードを設定しています。",
    "パスワードはWord標準機能で設定しています。",
    "パスワードは弊社の代表電話番号です。",
    "パスワード：****",
    "暗証番号は4桁です。",
    "ファイルパス：C:\\Users\\yamada\\Desktop",
    "パスポート：AB1234567",
    "The password will be provided by phone.",
    "The password will follow separately.",
    "The password is in the next mail.",
    "password protected",
    "password-protected file attached",
    "Password: will be sent by phone",
    "password: sent separately by phone",
    "password for the file is below:",
    "PW: TBD",
    "We will pass the file to the team.",
    "All tests passed.",
    "お世話になっております。加入申込書を暗号化の上、送付いたします。",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("パスワード：Xy7#kL9p", ["Xy7#kL9p"]),
        ("パスワード: Xy7#kL9p\n", ["Xy7#kL9p"]),
        ("PW: abcd1234", ["abcd1234"]),
        ("ＰＷ：Ａｂｃ１２３４です", ["Abc1234"]),  # full-width, as an IME types it
        ("パスワード:\nAbc12345", ["Abc12345"]),  # on the next line
        ("【パスワード】\nXy7#kL9p\n", ["Xy7#kL9p"]),  # in a 【】 block
        ("【パスワード通知】\nQwe-9876\n", ["Qwe-9876"]),
        ("パスワードのお知らせ：Kasumi#0417", ["Kasumi#0417"]),
        ("[Password]\nHello-2026", ["Hello-2026"]),
        ("パスワードは「abc123」です。", ["abc123"]),
        ("パスワード：Abc-1234\n(予備) PW: Zz99-0001", ["Abc-1234", "Zz99-0001"]),
        ("パスワード：Abc-1234\nパスワード：Abc-1234", ["Abc-1234"]),  # each once
        ("パスワードは別途お電話でお知らせします", []),
        ("パスワードのお知らせは別途お電話で", []),
    ],
)
def test_password_candidates_are_the_values_given(text: str, expected: list[str]) -> None:
    assert password_candidates(text) == expected
    assert find_password(text) is bool(expected)


@pytest.mark.parametrize("text", CARRY_A_PASSWORD)
def test_finds_a_password(text: str) -> None:
    assert find_password(text) is True


@pytest.mark.parametrize("text", NOT_A_PASSWORD)
def test_does_not_mistake_an_announcement_for_a_password(text: str) -> None:
    assert find_password(text) is False


def test_password_in_email_over_every_message_never_quotes_it() -> None:
    facts = good_case(
        messages=(message("申込書を送付します。"), message("先ほどの件、パスワード：Xy7#kL9p です。"))
    )
    finding = only(run_check("password_in_email", facts), "password_in_email")
    assert finding.severity == "warning"
    assert finding.params == {"messages": "1", "where": "text"}
    assert "Xy7#kL9p" not in finding.message_ja + finding.message_en
    assert "お電話" in finding.message_ja


def test_password_in_the_subject() -> None:
    facts = good_case(messages=(message("よろしくお願いします。", subject="申込書送付（PW: Abc12345）"),))
    assert run_check("password_in_email", facts)[0].params["where"] == "subject"


def test_no_password_no_finding() -> None:
    facts = good_case(messages=(message("パスワードは別途お電話でお知らせします。"),))
    assert run_check("password_in_email", facts) == []
