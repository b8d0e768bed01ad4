"""Answers to Q24 確認①②③ in the reporters' own house styles, read through read_confirmations().

Reporters seldom copy our fill-in block; they retype the items: 確認①, 確認1, 確認１, 確認一, (1), ①,
【確認①】, [確認1], 確認①）, 【①】 or the item's name alone (秘密指定の有無 …), with ： : ― → ＞ or
a line break, in a table row, politely or in English. Each row of STYLES is one short message and
what it answers: 確認① (secret designation), 確認② (sharing scope and TLP label), 確認③
(coordination outside the secretariat). UNCLEAR lists lines that try to answer and cannot be read:
they stay unanswered and are shown to staff (answer_unclear), never guessed.
"""

from __future__ import annotations

import pytest

from intake.checks import read_confirmations
from intake.checks.facts import IncidentAnswers
from support.checks_builders import codes, incident_case, only, run

R, N = "requested", "not_requested"
FREE = "制限なし"  # 確認② answered 「不要」: no restriction on sharing
MEMBERS = "協議会構成員限り"  # Council members only
OUTLOOK = (
    "ご確認よろしくお願いします。\n\n-----Original Message-----\n"
    "From: 佐藤 花子 <hanako.sato@example.co.jp>\nSent: Monday, October 5, 2026 10:00 AM\n"
    "To: csc-anken@example.jp\nSubject: RE: 不審メールの受信について\n\n"
)


def read(*texts: str) -> IncidentAnswers:
    return read_confirmations(list(texts), [""] * len(texts))


def quoted(text: str) -> str:
    """The text as a mail program quotes it with 「> 」."""
    return "お世話になっております。\n\n" + "\n".join(f"> {line}" for line in text.splitlines())


def outlook(text: str) -> str:
    """The text below an Outlook original-message header: quoted without any 「>」."""
    return OUTLOOK + text


def row(text: str, secret=None, scope=None, tlp=None, coordination=None, id: str | None = None):
    return pytest.param(text, (secret, scope, tlp, coordination), id=id or text.replace("\n", "⏎")[:40])


STYLES = [
    # ---- 確認① secret designation: marks, names, separators, both polarities ---------------------
    row("確認①：不要", secret=N),
    row("確認1：不要です", secret=N),
    row("確認１ 不要でお願いします", secret=N),
    row("確認一：必要ありません", secret=N),
    row("(1) 特になし", secret=N),
    row("（１）特になし", secret=N),
    row("① 希望しません", secret=N),
    row("【確認①】指定しない", secret=N),
    row("[確認1] 秘密指定は不要です", secret=N),
    row("確認①）不要", secret=N),
    row("【①】不要", secret=N),
    row("秘密指定：不要", secret=N),
    row("秘密指定の有無：無", secret=N),
    row("秘密指定の要否 → 否", secret=N),
    row("確認①について：不要です", secret=N),
    row("確認①は不要です。", secret=N),
    row("確認①\t不要", secret=N),
    row("確認①＞不要", secret=N),
    row("確認① ― 当社からは不要", secret=N),
    row("■秘密指定の有無：特になし", secret=N),
    row("確認① 秘密指定の有無\n不要です", secret=N),
    row("確認①秘密指定の要否：社名は伏せてほしいです", secret=R),
    row("確認①：お願いします", secret=R),
    row("確認1：希望します", secret=R),
    row("確認①→秘密にしてほしい", secret=R),
    row("(1) 被害組織名を伏せていただきたい", secret=R),
    row("【確認1】秘密指定の要否：社名は伏せてほしいです", secret=R),
    row("| 確認① | 要 |", secret=R),
    row("確認① ― 秘密指定を希望します", secret=R),
    row("1. 秘密指定の有無：要", secret=R),
    row("確認①：秘密指定していただきたいです", secret=R),
    row("確認一 指定してほしい", secret=R),
    row("【①】社名は公開しないでください", secret=R),
    row("確認①：公表は控えてください", secret=R),
    row("Confirmation 1: No need to keep this secret.", secret=N),
    row("Secret designation: please keep our name confidential", secret=R),
    row("No need to keep this secret.", secret=N),
    row(quoted("確認①：不要"), secret=N, id="quoted 確認①：不要"),
    # someone else's words quoted below an Outlook header are not this reporter's answer
    row(outlook("確認①（秘密指定の有無）：社名は伏せてください"), id="outlook 確認①：伏せて is a quote"),
    # ---- 確認② sharing scope ------------------------------------------------------------------
    row("確認②：協議会構成員限り", scope=MEMBERS),
    row("確認2 → 協議会構成員限りでお願いします", scope=MEMBERS),
    row("確認２：TLP:AMBER+STRICT", scope="TLP:AMBER+STRICT", tlp="AMBER+STRICT"),
    row("確認二：タスクフォース第一類グループ限り", scope="タスクフォース第一類グループ限り"),
    row("(2) 事務局限りでお願いします", scope="事務局限り"),
    row("② TLP:GREEN", scope="TLP:GREEN", tlp="GREEN"),
    row("【確認②】特になし", scope=FREE),
    row("[確認2] 共有範囲の設定：不要です", scope=FREE),
    row("確認②）制限なし", scope=FREE),
    row("【②】協議会構成員限り", scope=MEMBERS),
    row("共有範囲：TLP:RED", scope="TLP:RED", tlp="RED"),
    row("情報の共有範囲：構成員のみ", scope=MEMBERS),
    row("共有範囲の設定 → 不要でお願いします", scope=FREE),
    row("【確認2】共有範囲\n　→ 協議会構成員限りでお願いします", scope=MEMBERS),
    row("| 確認② | TLP:AMBER |", scope="TLP:AMBER", tlp="AMBER"),
    row("確認②\t協議会構成員限り", scope=MEMBERS),
    row("確認②：指定しない", scope=FREE),
    row("確認②：特にありません", scope=FREE),
    row("確認② 共有範囲は協議会構成員限りとしてください", scope=MEMBERS),
    row("確認②＞TLP:CLEAR", scope="TLP:CLEAR", tlp="CLEAR"),
    row("Sharing scope: TLP:AMBER+STRICT", scope="TLP:AMBER+STRICT", tlp="AMBER+STRICT"),
    row("TLP:AMBER+STRICT", scope="TLP:AMBER+STRICT", tlp="AMBER+STRICT"),
    row("Confirmation 2: council members only", scope=MEMBERS),
    row(quoted("確認②：TLP:CLEAR"), scope="TLP:CLEAR", tlp="CLEAR", id="quoted 確認②：TLP:CLEAR"),
    row(outlook("【確認2】情報の共有範囲：事務局限り"), id="outlook 確認2：事務局限り is a quote"),
    # ---- 確認③ coordination outside the secretariat ----------------------------------------------
    row("確認③：不要", coordination=N),
    row("確認3：必要ありません", coordination=N),
    row("確認３ 当社からは不要です", coordination=N),
    row("確認三：希望しません", coordination=N),
    row("(3) 特になし", coordination=N),
    row("【③】不要です", coordination=N),
    row("対応調整：不要", coordination=N),
    row("事務局外への対応調整の要否：不要", coordination=N),
    row("対応調整の要否\n必要ありません", coordination=N),
    row("【確認3】対応調整：当社からは不要です", coordination=N),
    row("確認③\t不要", coordination=N),
    row("確認③：連絡しないでください", coordination=N),
    row("確認③：送信元へは当社から連絡済みのため不要です", coordination=N),
    row("External coordination: not needed", coordination=N),
    row("③ プロバイダへ連絡してほしい", coordination=R),
    row("【確認③】送信元に通知していただきたい", coordination=R),
    row("[確認3] お願いします", coordination=R),
    row("確認③）構成員に同様の報告がないか確認してほしい", coordination=R),
    row("協議会事務局外への対応調整の要否 → 希望します", coordination=R),
    row("| 確認③ | プロバイダへの連絡をお願いします |", coordination=R),
    row("確認③：対応調整を希望します", coordination=R),
    row("Confirmation 3: please contact the ISP.", coordination=R),
    row("Please contact the ISP.", coordination=R),
    row(quoted("確認③：不要"), coordination=N, id="quoted 確認③：不要"),
    row(outlook("③ 送信元に通知してほしい"), id="outlook ③ 通知してほしい is a quote"),
    # ---- all three in one message --------------------------------------------------------------
    row("確認①：不要　確認②：協議会構成員限り　確認③：不要", secret=N, scope=MEMBERS, coordination=N),
    row("①不要 ②TLP:GREEN ③不要", secret=N, scope="TLP:GREEN", tlp="GREEN", coordination=N),
    row(
        "(1) 不要\n(2) 協議会構成員限り\n(3) プロバイダへ連絡してほしい",
        secret=N,
        scope=MEMBERS,
        coordination=R,
    ),
    row(
        "| 項目 | 回答 |\n|---|---|\n| 確認① | 不要 |\n| 確認② | TLP:AMBER |\n| 確認③ | 不要 |",
        secret=N,
        scope="TLP:AMBER",
        tlp="AMBER",
        coordination=N,
    ),
    row(
        "確認①\t秘密指定の有無\t要\n確認②\t情報の共有範囲\t協議会構成員限り\n確認③\t対応調整の要否\t不要",
        secret=R,
        scope=MEMBERS,
        coordination=N,
    ),
    row("確認①②③とも不要です", secret=N, scope=FREE, coordination=N),
    row(
        "1. 秘密指定の有無：不要\n2. 共有範囲：TLP:AMBER\n3. 対応調整：不要",
        secret=N,
        scope="TLP:AMBER",
        tlp="AMBER",
        coordination=N,
    ),
    row(
        "【確認1】秘密指定の要否：社名は伏せてほしいです\n【確認2】共有範囲\n　→ 協議会構成員限りでお願いします\n"
        "【確認3】対応調整：当社からは不要です",
        secret=R,
        scope=MEMBERS,
        coordination=N,
    ),
    row(
        "確認①：不要です。TLP:GREENでお願いします。",  # the second sentence is free text: 確認②
        secret=N,
        scope="TLP:GREEN",
        tlp="GREEN",
    ),
    row(
        "確認①と③は不要、②はTLP:AMBERでお願いします。",
        secret=N,
        scope="TLP:AMBER",
        tlp="AMBER",
        coordination=N,
    ),
    row("確認①は要、②は構成員限り、③は不要です。", secret=R, scope=MEMBERS, coordination=N),
    row("確認①・②：不要", secret=N, scope=FREE),
    row("確認事項\n①：不要\n②：協議会構成員限り\n③：不要", secret=N, scope=MEMBERS, coordination=N),
    row(
        "| No | 確認事項 | 回答 |\n| 1 | 秘密指定の有無 | 要 |\n| 2 | 情報の共有範囲 | TLP:GREEN |\n"
        "| 3 | 対応調整の要否 | 不要 |",
        secret=R,
        scope="TLP:GREEN",
        tlp="GREEN",
        coordination=N,
    ),
    row("確認②：TLP：ＡＭＢＥＲ＋ＳＴＲＩＣＴ", scope="TLP:AMBER+STRICT", tlp="AMBER+STRICT"),
    row("確認③：送信元への通知をお願いします。ただし当社名は伏せてください。", secret=R, coordination=R),
    row(
        quoted("【確認①】不要\n【確認②】TLP:RED\n【確認③】不要"),
        secret=N,
        scope="TLP:RED",
        tlp="RED",
        coordination=N,
        id="quoted house-style block",
    ),
    # ---- neither an answer nor unclear ---------------------------------------------------------
    row("確認③ 対応調整の要否", id="要否 is a question word, not 否"),
    row("秘密指定の有無", id="有無 is a question word, not 無"),
    row("確認①（秘密指定の有無）について、ご回答欄にご記入ください（例：不要 など）。", id="our question"),
    row("確認③：\nよろしくお願いいたします。", id="a closing below an empty item"),
    row("(1) 事案の概要\n(2) 被害状況\n(3) 対応状況：送信元へ連絡済み", id="the report's own numbering"),
    row("(1) 秘密情報の漏洩：なし\n(2) 被害：なし\n(3) 対応：不要", id="the report's own labels"),
    row(  # a list past three is the report's own: 「(3) 不要」 is no answer to 確認③, prose still counts
        "(1) 経緯\n(2) 秘密指定は不要です。\n(3) 不要\n(4) 今後の対応",
        secret=N,
        id="a list past 3 is not ours",
    ),
    row("確認したところ、10月5日に1件のメールを受信していました。", id="確認 without a number"),
]


@pytest.mark.parametrize("text,expected", STYLES)
def test_answer_styles(text: str, expected: tuple) -> None:
    answers = read(text)
    got = (answers.secret_designation, answers.sharing_scope, answers.tlp, answers.external_coordination)
    assert got == expected
    assert answers.unclear == ()


def test_the_table_is_large_and_covers_every_item_both_ways() -> None:
    rows = [p.values[1] for p in STYLES]
    assert len(rows) >= 80
    for position in (0, 3):  # 確認①, 確認③
        assert {R, N} <= {r[position] for r in rows}
    assert {FREE, MEMBERS} <= {r[1] for r in rows}


# ---- quoted text is weaker than the sender's own --------------------------------------------


def test_own_answers_win_over_quoted_house_style() -> None:
    answers = read(
        "【確認①】要\n【確認③】不要\n\n" + "\n".join(["> 【確認①】不要", "> 【確認③】お願いします"])
    )
    assert (answers.secret_designation, answers.external_coordination) == (R, N)


def test_text_below_an_outlook_header_naming_another_writer_answers_nothing() -> None:
    answers = read("(1) 不要\n(2) 協議会構成員限り\n\n" + outlook("(1) 要\n(2) TLP:RED\n(3) 不要"))
    assert (answers.secret_designation, answers.sharing_scope, answers.tlp) == (N, MEMBERS, None)
    assert answers.external_coordination is None


def test_detail_keeps_the_reporters_wording() -> None:
    answers = read("【確認1】秘密指定の要否：社名は伏せてほしいです\n③ プロバイダへ連絡してほしい")
    assert answers.secret_detail == "社名は伏せてほしいです"
    assert answers.coordination_detail == "プロバイダへ連絡してほしい"


# ---- unclear answers: never guessed, shown to staff -----------------------------------------

UNCLEAR = [  # (the message, the item, the line staff are shown: as the reporter wrote it)
    ("確認①：社内で検討中です", "secret_designation", "確認①：社内で検討中です"),
    ("確認②：わかりません", "sharing_scope", "確認②：わかりません"),
    ("【確認3】対応調整：後日ご連絡します", "external_coordination", "【確認3】対応調整：後日ご連絡します"),
    ("秘密指定については上司に確認中です。", "secret_designation", "秘密指定については上司に確認中です。"),
    ("確認②\n　検討中", "sharing_scope", "確認② 検討中"),
    ("確認①：秘密指定は検討中", "secret_designation", "確認①：秘密指定は検討中"),
    ("確認③：構成員への確認は検討中です", "external_coordination", "確認③：構成員への確認は検討中です"),
    ("①不要\n②検討中\n③不要", "sharing_scope", "②検討中"),
    ("| 確認③ | 未定 |", "external_coordination", "| 確認③ | 未定 |"),
    ("Confirmation 1: we will decide later", "secret_designation", "Confirmation 1: we will decide later"),
    ("> 確認②：社外秘", "sharing_scope", "確認②：社外秘"),
]
POSITION = {"secret_designation": 0, "sharing_scope": 1, "external_coordination": 3}


@pytest.mark.parametrize("text,item,shown", UNCLEAR)
def test_an_unclear_answer_stays_unanswered_and_is_noted(text: str, item: str, shown: str) -> None:
    answers = read(text)
    assert answers.unclear == ((item, shown),)
    got = (answers.secret_designation, answers.sharing_scope, answers.tlp, answers.external_coordination)
    assert got[POSITION[item]] is None


def test_numbers_alone_are_noted_only_in_a_list_we_could_read() -> None:
    assert read("(2) 被害状況\n(3) 調査中").unclear == ()  # maybe the report's own numbering


def test_an_unclear_answer_does_not_override_an_earlier_clear_one() -> None:
    answers = read("確認①：不要\n確認②：TLP:AMBER", "確認①：やはり社内で検討します")
    assert (answers.secret_designation, answers.tlp) == (N, "AMBER")
    assert answers.unclear == (("secret_designation", "確認①：やはり社内で検討します"),)


def test_a_later_clear_answer_replaces_the_unclear_line() -> None:
    answers = read("確認①：検討中です", "確認①：不要です")
    assert answers.secret_designation == N and answers.unclear == ()


def test_a_quoted_unclear_line_is_old_news_once_answered() -> None:
    answers = read("確認①：不要\n\n> 確認①：検討中です")
    assert answers.secret_designation == N and answers.unclear == ()
    assert read(quoted("確認①：検討中です")).unclear == (("secret_designation", "確認①：検討中です"),)


# ---- the case over several messages ----------------------------------------------------------


def test_a_later_message_answering_three_only_keeps_one_and_two() -> None:
    facts = incident_case("【確認1】不要\n【確認2】協議会構成員限り", "③ 不要です")
    assert codes(run(facts)) == []


def test_a_later_unclear_line_about_one_keeps_all_three_answered() -> None:
    facts = incident_case(
        "【確認1】不要\n【確認2】協議会構成員限り\n【確認3】不要", "確認①について：社内で再検討しています"
    )
    found = run(facts)
    assert codes(found) == ["answer_unclear:secret_designation"]
    finding = only(found, "answer_unclear:secret_designation")
    assert finding.severity == "warning"  # staff only: never in a reply to the sender
    assert finding.message_ja.startswith("確認① の回答を判別できません")
    assert "社内で再検討しています" in finding.message_ja and "社内で再検討しています" in finding.message_en
    assert finding.params == {"item": "確認①", "line": "確認①について：社内で再検討しています"}


def test_a_later_message_answering_three_and_muddling_one_keeps_all_three_answered() -> None:
    answers = read("① 不要\n② TLP:GREEN", "確認①：うーん、どうでしょう\n確認③：当社からは不要です")
    assert (answers.secret_designation, answers.tlp, answers.external_coordination) == (N, "GREEN", N)
    found = run(
        incident_case("① 不要\n② TLP:GREEN", "確認①：うーん、どうでしょう\n確認③：当社からは不要です")
    )
    assert codes(found) == ["answer_unclear:secret_designation"]


def test_an_unanswered_item_is_asked_again_and_its_line_shown_to_staff() -> None:
    found = run(incident_case("確認①：不要\n確認②：わかりません\n確認③：不要"))
    assert codes(found) == ["sharing_scope", "answer_unclear:sharing_scope"]
    assert [f.severity for f in found] == ["missing", "warning"]
