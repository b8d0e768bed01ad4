"""Polite, indirect and English answers to Q24 確認①②③, read for what they mean, by the hundred.

Each row is a phrase as reporters write it, the item it answers (1 確認① secret designation, 2
確認② sharing scope, 3 確認③ coordination outside the secretariat) and the expected reading:
R requested, N not requested, D left to the secretariat (「お任せします」), ? not readable yet —
a deferral (「社内で検討中」「追ってご連絡します」) or someone else's words (「上司からは…と言われて
います」): unanswered, and the line shown to staff as unclear, never a guess; for 確認② the Council
phrase, TLP label, 制限なし (no restriction) or 事務局に一任. BLOCK rows are written after the item's
mark (「確認③：不要」: what 「不要」 means is decided by the item); FREE rows are whole sentences
that name the item in their own words (外部連携, 公表, 共有先 … from rules/answers.toml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from intake.checks import read_confirmations
from intake.checks.answers.words import load_item_words
from intake.checks.facts import IncidentAnswers
from intake.checks.rules import load_rules
from intake.errors import ConfigError
from intake.resources import default_rules_dir

CODES = {1: "secret_designation", 2: "sharing_scope", 3: "external_coordination"}
MARKS = {1: "確認①", 2: "確認②", 3: "確認③"}
VERDICTS = {"requested": "R", "not_requested": "N", "left_to_secretariat": "D"}

BLOCK: list[tuple[str, int, str | None]] = []


def b(item: int, expected: str, *phrases: str) -> None:
    BLOCK.extend((phrase, item, expected) for phrase in phrases)


FREE: list[tuple[str, int, str | None]] = []


def f(item: int, expected: str | None, *texts: str) -> None:
    FREE.extend((text, item, expected) for text in texts)


b(
    1,
    "N",
    "不要",
    "不要です",
    "不要でございます",
    "秘密指定は不要でございます",
    "特に秘密にする必要はございません",
    "必要ございません",
    "必要ありません",
    "特段の指定は不要です",
    "指定いたしません",
    "指定しません",
    "しない",
    "しません",
    "いたしません",
    "希望いたしません",
    "秘密扱いは希望しません",
    "秘密指定はしなくて結構です",
    "特に秘匿の必要はありません",
    "公開して差し支えございません",
    "公表いただいて構いません",
    "社名を出していただいて問題ございません",
    "秘密にしていただく必要はございません",
    "秘密指定を求めるものではございません",
    "なしでお願いします",
    "無しで",
    "不要とさせていただきます",
    "特に希望はございません",
    "要りません",
    "結構でございます",
    "秘密指定は不要と考えております",
    "当社としては不要です",
    "上司からは秘密にするよう言われていますが、当社としては不要です",
    "上司からは秘密にするよう言われておりますが、弊社としては秘密指定は不要と判断しました",
    "不要（公開可）",
    "秘密指定なし",
    "指定不要",
    "不要と判断しております",
    "秘密でなくて構いません",
    "秘密扱いでなくても問題ございません",
    "秘密としなくて差し支えありません",
    "秘密指定は必要ないと考えます",
    "特段必要ございません",
    "特にございません",
    "該当しません",
    "秘密指定は希望しておりません",
    "求めません",
    "秘密にしなくても大丈夫です",
    "いいえ",
    "否",
    "秘密指定の必要はないものと考えております",
    "Not required",
    "No need",
    "No",
    "Not necessary",
    "Not needed",
    "No secrecy needed",
    "Can be disclosed",
    "None",
    "Not required.",
    "No, thank you",
)
b(
    1,
    "R",
    "秘密指定を希望します",
    "秘密指定をお願いいたします",
    "秘密扱いでお願いします",
    "秘密にしてください",
    "秘密にしていただけますと幸いです",
    "秘匿をお願い申し上げます",
    "社名は伏せていただきたく存じます",
    "公表は差し控えさせていただきたく",
    "公表は差し控えさせていただきたく存じます",
    "公表はご遠慮いただけますと幸いです",
    "公表しないでください",
    "公表はお控えください",
    "非公開でお願いします",
    "非公開を希望",
    "要",
    "必要",
    "必要です",
    "希望します",
    "お願いします",
    "はい",
    "あり",
    "有",
    "要（被害組織名）",
    "社名のみ秘匿を希望します",
    "弊社名は出さないでいただけますでしょうか",
    "匿名でお願いいたします",
    "取扱注意でお願いします",
    "内密にお願いいたします",
    "外部には出さないでください",
    "公表されるまでは秘密にしてください",
    "対策完了までは秘密扱いとしてください",
    "外部への公開はお控えいただきたく存じます",
    "被害組織名は伏せてください",
    "機密扱いを希望いたします",
    "秘密指定をお願いできれば幸いです",
    "秘密にしていただければ助かります",
    "秘密でお願いします",
    "できれば秘密で",
    "必要でございます",
    "要でございます",
    "秘密指定を希望いたします",
    "不要ではありません",
    "不要ではございません",
    "秘密指定が必要です",
    "はい、お願いいたします",
    "被害組織名は秘密に指定してほしい",
    "弊社名の公表はご遠慮ください",
    "Please keep it confidential",
    "Confidential, please",
    "Yes",
    "Please do not disclose our name",
    "We'd like it kept secret",
    "Required",
    "Yes, please",
)
b(
    1,
    "?",
    "検討中です",
    "社内で検討中です",
    "社内で確認中です",
    "調整中です",
    "追ってご連絡します",
    "追ってご連絡いたします",
    "後ほどご連絡いたします",
    "後日回答いたします",
    "確認のうえ改めてご連絡いたします",
    "上長に確認中です",
    "現在、法務部門に確認しております",
    "未定です",
    "決まり次第ご連絡します",
    "回答を保留させてください",
    "判断いたしかねます",
    "分かりかねます",
    "現時点ではお答えできません",
    "上司からは秘密にするよう言われています",
    "上司からは秘密にしてほしいと言われております",
    "法務からは不要と聞いています",
    "社内で協議しております",
    "Under review",
    "TBD",
    "We will get back to you",
    "Will let you know later",
    "Not decided yet",
)
b(
    1,
    "D",
    "お任せします",
    "事務局にお任せいたします",
    "ご判断にお任せします",
    "一任します",
    "貴事務局のご判断に委ねます",
    "どちらでも構いません",
    "Leave it to you",
    "Up to you",
    "At your discretion",
)

b(
    2,
    "協議会構成員限り",
    "協議会構成員限り",
    "協議会の構成員全体で構いません",
    "会員限定で",
    "構成員限りでお願いします",
    "構成員のみ",
    "協議会の会員に限ってください",
    "構成員全体への共有で差し支えございません",
    "構成員内での共有をお願いします",
    "会員限定でお願いいたします",
    "協議会構成員の皆様まで",
    "Members only",
    "Council members only",
)
# a condition or more than a phrase: the reporter's wording is kept for staff (「=」)
b(2, "=", "公表されるまでは構成員限りで", "対策完了までは事務局限りでお願いします", "弊社と協議会事務局のみ")
b(2, "タスクフォース限り", "タスクフォース限り", "TF限り")
b(2, "タスクフォース第一類グループ限り", "第一類グループ限り", "第1類のみ")
b(2, "タスクフォース第二類グループ限り", "第二類のみ")
b(
    2,
    "事務局限り",
    "事務局限り",
    "事務局のみでお願いいたします",
    "事務局内にとどめてください",
    "事務局以外には共有しないでください",
    "Secretariat only",
)
b(
    2,
    "制限なし",
    "不要",
    "特になし",
    "制限なし",
    "制限は不要です",
    "特に制限はございません",
    "共有範囲の制限はございません",
    "広く共有いただいて構いません",
    "限定しません",
    "範囲の指定はいたしません",
    "制限は設けません",
    "No restrictions",
    "No need",
    "Not required",
    "不要でございます",
    "特段の制限は必要ございません",
    "どなたに共有いただいても構いません",
)
b(2, "TLP:GREEN", "TLP:GREEN", "TLP：GREEN", "TLP GREEN", "TLPはグリーンで", "TLP:GREEN相当で")
b(2, "TLP:AMBER+STRICT", "TLP:AMBER+STRICT")
b(2, "TLP:RED", "TLP:RED")
b(2, "TLP:CLEAR", "TLP:CLEAR", "TLP:WHITE")
b(2, "TLP:AMBER", "TLP 2.0 AMBER", "TLP:AMBERでお願いいたします")
b(
    2,
    "?",
    "検討中",
    "社内で調整中です",
    "追ってご連絡します",
    "上司からは構成員限りにするよう言われています",
    "確認中です",
    "後日ご連絡いたします",
    "TBD",
    "Under review",
)
b(2, "事務局に一任", "お任せします", "事務局にお任せいたします", "ご判断にお任せします", "Leave it to you")

b(
    3,
    "N",
    "不要",
    "不要です",
    "特段の調整は必要ございません",
    "調整は不要でございます",
    "必要ございません",
    "外部との調整は不要です",
    "事務局内での対応で結構です",
    "他組織への連絡は控えてください",
    "他組織への連絡はご遠慮いただけますと幸いです",
    "外部への連絡はしないでください",
    "調整しなくて結構です",
    "特になし",
    "なし",
    "調整はいたしません",
    "当社で対応済みのため不要です",
    "しません",
    "いたしません",
    "希望しません",
    "上司からは調整を依頼するよう言われていますが、当社としては不要です",
    "特段必要ございません",
    "No coordination needed",
    "Not required",
    "No need",
    "No",
    "Please do not contact other organizations",
    "No need to contact anyone",
    "None",
)
b(
    3,
    "R",
    "必要",
    "要",
    "お願いします",
    "構成員への照会をお願いいたします",
    "同様の被害がないか他の構成員にご確認いただけますと幸いです",
    "送信元のプロバイダへの連絡をお願いしたく存じます",
    "関係機関への通報をお願いいたします",
    "他組織への注意喚起をお願いします",
    "希望します",
    "必要です",
    "要でございます",
    "はい",
    "Please coordinate with other members",
    "Yes, please",
    "Required",
    "不要ではありません",
)
b(
    3,
    "?",
    "社内で検討中",
    "調整中です",
    "追ってご連絡します",
    "確認中",
    "上長の判断待ちです",
    "上司からは他社への連絡を依頼するよう言われています",
    "検討させてください",
    "後日回答いたします",
    "TBD",
)
b(
    3,
    "D",
    "お任せします",
    "事務局にお任せいたします",
    "ご判断にお任せいたします",
    "Leave it to you",
    "At your discretion",
)

f(
    3,
    "N",
    "外部連携：不要",
    "外部連携は不要です",
    "外部との調整は特に必要ございません",
    "他組織への連絡は不要でございます",
    "関係機関への通報：不要",
    "外部との調整は不要でございます。",
)
f(3, "R", "関係機関への通報をお願いいたします", "外部連携：希望します", "他組織への連絡をお願いいたします")
f(
    1,
    "R",
    "公表：不可",
    "公表は差し控えていただきたく存じます",
    "情報の取扱い：秘密扱いでお願いします",
    "非公開：希望",
    "取扱注意でお願いします",
    "弊社名の公表はご遠慮いただけますと幸いです。",
    "公表されるまでは秘密にしてください。",
)
f(
    1,
    "N",
    "公表していただいて構いません",
    "公表：可",
    "秘匿：不要",
    "秘密指定は不要でございます。",
    "上司からは秘密にするよう言われていますが、当社としては不要です。",
)
f(1, None, "上司からは秘密にするよう言われています。", "秘密指定については社内で検討中です。")
f(
    2,
    "協議会構成員限り",
    "共有先：構成員限り",
    "共有先は会員限定でお願いします",
    "情報共有：構成員のみ",
    "共有範囲：会員限定で",
)
f(2, "制限なし", "情報共有は制限なしで結構です", "共有範囲：不要")
f(2, "TLP:AMBER", "共有範囲：TLP:AMBER")
# the names of rules/answers.toml as labels, the answer on the same line or the next
f(
    3,
    "N",
    "外部連携：\n不要",
    "【外部との調整】\n必要ございません",
    "■関係機関への通報 → 不要です",
    "他組織への連絡 | 不要",
)
f(3, "R", "外部連携\n→ 希望します", "【関係機関への通報】要")
f(2, "協議会構成員限り", "共有先\n→ 会員限定でお願いします", "【情報共有】構成員のみ")
f(2, "制限なし", "共有先：特になし")
f(1, "N", "秘匿：\n不要でございます", "【情報の取扱い】特に指定いたしません")
f(1, "R", "非公開\n→ 希望いたします", "取扱注意：要")

# more of the same, as reporters wrote them: hedged, conditional, partly secret, English
BLOCK += [
    ("秘密指定は不要ですが、社名は伏せていただけますと幸いです", 1, "R"),
    ("特に秘密にしていただく必要はないかと存じます", 1, "N"),
    ("秘密指定は希望しない方向で考えております", 1, "N"),
    ("現時点では不要です", 1, "N"),
    ("今のところ不要です", 1, "N"),
    ("不要かと思います", 1, "N"),
    ("原則不要ですが、報道発表までは伏せてください", 1, "R"),
    ("必要と考えております", 1, "R"),
    ("秘密指定をしていただけると助かります", 1, "R"),
    ("差し支えなければ秘密扱いでお願いします", 1, "R"),
    ("秘密扱いでなくて大丈夫です", 1, "N"),
    ("特に秘匿を求めません", 1, "N"),
    ("秘密でも公開でもどちらでも構いません", 1, "D"),
    ("We do not require confidentiality", 1, "N"),
    ("No, it can be shared", 1, "N"),
    ("Confidential", 1, "R"),
    ("ご判断ください", 1, "D"),
    ("事務局でご判断いただければと存じます", 1, "D"),
    ("社内の判断を待っております", 1, "?"),
    ("弊社法務と相談のうえ、改めてご回答いたします", 1, "?"),
    ("弊社としては特に秘密にする必要はないと考えております", 1, "N"),
    ("公開いただいても差し支えございません", 1, "N"),
    ("社名の公表は控えていただきたいです", 1, "R"),
    ("当方で警察に相談済みのため、調整は不要です", 3, "N"),
    ("送信元ドメインの管理者への連絡をお願いできますでしょうか", 3, "R"),
    ("他の構成員で同様の事象がないか確認いただけると助かります", 3, "R"),
    ("同業他社への注意喚起をお願いしたいと考えております", 3, "R"),
    ("外部への連絡は弊社で行いますので不要です", 3, "N"),
    ("現時点では不要ですが、被害が拡大した場合はご相談させてください", 3, "N"),
    ("他組織への共有はご遠慮ください", 3, "N"),
    ("関係機関への通報はお控えください", 3, "N"),
    ("必要に応じてご判断ください", 3, "D"),
    ("We do not need any coordination", 3, "N"),
    ("Please don't contact anyone outside the secretariat", 3, "N"),
    ("We have already notified the police", 3, "?"),
    ("特段ございません", 3, "N"),
    ("不要でございます", 3, "N"),
    ("結構です", 3, "N"),
    ("社内で調整のうえ、追ってご連絡いたします", 3, "?"),
    ("上長の判断を仰いでおります", 3, "?"),
    ("共有範囲は構成員までとしてください", 2, "協議会構成員限り"),
    ("構成員の皆さまへの共有は問題ございません", 2, "協議会構成員限り"),
    ("TLP:AMBERとし、協議会構成員限りでお願いします", 2, "協議会構成員限り"),
    ("協議会構成員の範囲でお願いします", 2, "協議会構成員限り"),
    ("事務局の中だけでお願いします", 2, "事務局限り"),
    ("事務局限りとさせてください", 2, "事務局限り"),
    ("特に制限を設ける必要はございません", 2, "制限なし"),
    ("制限なしで結構です", 2, "制限なし"),
    ("No restriction", 2, "制限なし"),
    ("社内規程を確認中です", 2, "?"),
    ("TLP: GREEN でお願いいたします", 2, "TLP:GREEN"),
    ("TLP:AMBER+STRICTとしてください", 2, "TLP:AMBER+STRICT"),
    ("Share with council members only", 2, "協議会構成員限り"),
]


def reading(answers: IncidentAnswers, item: int) -> str | None:
    if item == 2:
        return answers.sharing_scope
    verdict = answers.secret_designation if item == 1 else answers.external_coordination
    return VERDICTS.get(verdict, verdict) if verdict else None


def rows(table: list[tuple[str, int, str | None]]) -> list:
    return [pytest.param(text, item, expected, id=f"{item}-{text[:30]}") for text, item, expected in table]


def test_the_table_collects_phrasings_by_the_hundred() -> None:
    assert len(BLOCK) + len(FREE) >= 200
    for item in (1, 2, 3):  # each item has refusals, deferrals and the item left to us
        expected = {e for _, i, e in BLOCK if i == item}
        assert "?" in expected and ({"N", "D"} <= expected or {"制限なし", "事務局に一任"} <= expected)


@pytest.mark.parametrize(("phrase", "item", "expected"), rows(BLOCK))
def test_block_answer(phrase: str, item: int, expected: str) -> None:
    line = f"{MARKS[item]}：{phrase}"
    answers = read_confirmations([line], [""])
    got = reading(answers, item)
    unclear = [code for code, _ in answers.unclear]
    if expected == "?":  # a deferral or someone else's words: unanswered, and shown to staff
        assert got is None and unclear == [CODES[item]], (got, answers.unclear)
    elif expected == "=":
        assert got == phrase
    elif expected.startswith("TLP:"):
        assert answers.tlp == expected.removeprefix("TLP:") and got == expected
    else:
        assert got == expected and not unclear, (got, answers.unclear)


@pytest.mark.parametrize(("text", "item", "expected"), rows(FREE))
def test_free_text(text: str, item: int, expected: str | None) -> None:
    answers = read_confirmations([text], [""])
    got = reading(answers, item)
    if expected and expected.startswith("TLP:"):
        assert answers.tlp == expected.removeprefix("TLP:")
    else:
        assert got == expected, got


@pytest.mark.parametrize(
    "text",
    [
        "会員限定サイトに不正ログインがありました。",
        "アクセス制限はありません。",
        "サーバの共有フォルダに制限はございませんでした。",
        "上司からは秘密にするよう言われています。",
        "法務からは外部への連絡は不要と聞いています。",
        "外部連携の検討を社内で進めております。",
    ],
)
def test_report_sentences_answer_nothing(text: str) -> None:
    answers = read_confirmations([text], [""])
    assert (answers.secret_designation, answers.sharing_scope, answers.external_coordination) == (None,) * 3


def test_a_later_own_answer_replaces_a_deferral() -> None:
    answers = read_confirmations(["確認①：社内で検討中です", "確認①：秘密指定は不要でございます"], ["", ""])
    assert answers.secret_designation == "not_requested" and answers.unclear == ()


# ---- rules/answers.toml: the names, as data staff edit ---------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


def test_a_name_added_by_staff_is_read(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "answers.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"対応調整",', '"対応調整", "横展開",'), encoding="utf-8"
    )
    text = "横展開は不要です。"
    assert read_confirmations([text], [""]).external_coordination is None  # the shipped words
    answers = read_confirmations([text], [""], rules_dir=rules)
    assert answers.external_coordination == "not_requested"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"外部連携",',
            '"外部連携", "",',
            r"answers\.toml: external_coordination\.names\[\d+\]: must be a word",
        ),
        (
            '"共有先",',
            '"共有先", "秘匿",',
            r"sharing_scope\.names\[\d+\]: '秘匿' is already listed under secret_designation",
        ),
        ("[sharing_scope]", "[sharing]", r"answers\.toml: \[sharing\]: unknown item"),
        (
            "[sharing_scope]  # 確認② 情報の共有範囲\nnames",
            "[sharing_scope]\nwords",
            r"sharing_scope\.words: unknown key",
        ),
        (
            'disclosure = ["公表"',
            'disclosure = "公表"\nunused = ["公表"',
            r"secret_designation\.disclosure: must be a list",
        ),
    ],
)
def test_a_mistake_names_the_file_and_the_entry(tmp_path: Path, old: str, new: str, message: str) -> None:
    rules = _copy(tmp_path)
    path = rules / "answers.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_rules(rules)  # what start-up loads
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError):
        load_item_words(rules)


def test_intake_run_stops_at_start_up_on_a_mistake_in_the_names(workspace, tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "answers.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"外部連携",', '"外部連携", 3,'), encoding="utf-8"
    )
    workspace.add_maildir()
    config = tmp_path / "with_rules.toml"
    config.write_text(
        f'rules_dir = "{rules}"\n' + workspace.write().read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = workspace.cli("--config", str(config), "run")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "answers.toml: external_coordination.names[" in line and "must be a word" in line
