"""read_confirmations(): Q24 確認①②③ from incident mail, and the incident checks."""

from __future__ import annotations

import pytest

from intake.checks import CONFIRMATION_BLOCK, read_confirmations
from intake.checks.facts import IncidentAnswers
from support.checks_builders import codes, incident_case, only, run

R, N = "requested", "not_requested"


def read(*texts: str, subjects: tuple[str, ...] = ()) -> IncidentAnswers:
    return read_confirmations(list(texts), list(subjects) or [""] * len(texts))


def quoted(text: str, mark: str = "> ") -> str:
    return "\n".join(mark + line for line in text.splitlines())


# ---- 確認① secret designation, free text ------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("被害組織名は秘密にしてほしいです。", R),
        ("被害組織名又は被害内容は秘密に指定してほしい。", R),
        ("弊社名は伏せていただきますようお願いいたします。", R),
        ("本件は秘密扱いでお願いします。", R),
        ("匿名での共有を希望します。", R),
        ("社名は非公開でお願いします。", R),
        ("秘密指定を希望します。", R),
        ("被害組織名は秘密にしてほしいが、被害内容は共有して構いません。", R),
        ("Please treat the victim's name as confidential.", R),
        ("We would like our company name to be kept confidential.", R),
        ("Please keep our name anonymous when sharing.", R),
        ("秘密指定は不要です。", N),
        ("秘密指定については、不要です。", N),
        ("秘密にする必要はありません。", N),
        ("秘密にしなくても大丈夫です。", N),
        ("秘密指定は希望しません。", N),
        ("弊社名を公開していただいても構いません。", N),
        ("No need to keep it secret.", N),
        ("This is not confidential.", N),
        ("Our name can be disclosed.", N),
    ],
)
def test_secret_designation_in_free_text(text: str, expected: str) -> None:
    answers = read(text)
    assert answers.secret_designation == expected
    assert answers.secret_detail
    assert answers.tlp is None


@pytest.mark.parametrize(
    "text",
    [
        "不審なメールを受信しました。添付ファイルは開いていません。",
        "社内の秘密情報が漏洩した可能性があります。",
        "機密情報を含むファイルが暗号化されました。",
        "秘密指定の有無についてお知らせください。",  # a question, not an answer
        "秘密指定は必要ですか？",
        "This e-mail is confidential and may be privileged. If you are not the intended recipient, please notify the sender.",
        "本メールには機密情報が含まれている場合があります。誤って受信された場合は送信者にご連絡ください。",
        "TLP:RED でお願いします。",  # TLP is the sharing scope, never the secret designation (Q21)
    ],
)
def test_no_secret_designation(text: str) -> None:
    assert read(text).secret_designation is None


# ---- 確認② sharing scope and TLP ------------------------------------------------------------


@pytest.mark.parametrize(
    "text,scope,tlp",
    [
        (
            "共有範囲はタスクフォース第一類グループ限りでお願いします。",
            "タスクフォース第一類グループ限り",
            None,
        ),
        ("タスクフォース第1類グループ限りとしてください。", "タスクフォース第一類グループ限り", None),
        ("ＴＦ第二類構成員のみでお願いします。", "タスクフォース第二類グループ限り", None),
        ("協議会構成員限りでの共有を希望します。", "協議会構成員限り", None),
        ("構成員のみに共有してください。", "協議会構成員限り", None),
        ("事務局限りとしてください。", "事務局限り", None),
        ("Please share with council members only.", "協議会構成員限り", None),
        ("共有範囲の制限は不要です。", "制限なし", None),
        ("TLP:RED でお願いします。", "TLP:RED", "RED"),
        ("TLP:AMBER+STRICT", "TLP:AMBER+STRICT", "AMBER+STRICT"),
        ("TLP: AMBER + STRICT", "TLP:AMBER+STRICT", "AMBER+STRICT"),
        ("TLP:AMBER", "TLP:AMBER", "AMBER"),
        ("tlp:amber", "TLP:AMBER", "AMBER"),
        ("TLP：ＧＲＥＥＮ", "TLP:GREEN", "GREEN"),
        ("TLP:CLEAR", "TLP:CLEAR", "CLEAR"),
        ("TLP:WHITE", "TLP:CLEAR", "CLEAR"),  # TLP 1.0 WHITE is 2.0 CLEAR
        ("TLP WHITE", "TLP:CLEAR", "CLEAR"),
        ("TLPはGREENとします。", "TLP:GREEN", "GREEN"),
        ("TLP:アンバーでお願いします。", "TLP:AMBER", "AMBER"),
        ("協議会構成員限り（TLP:AMBER）でお願いします。", "協議会構成員限り", "AMBER"),
    ],
)
def test_sharing_scope_in_free_text(text: str, scope: str, tlp: str | None) -> None:
    answers = read(text)
    assert (answers.sharing_scope, answers.tlp) == (scope, tlp)


@pytest.mark.parametrize(
    "subject,tlp",
    [
        ("[TLP:AMBER] 不審メール", "AMBER"),
        ("【TLP:RED】ランサムウェア被害のご相談", "RED"),
        ("Re: [CSC-2026-0007] [TLP:GREEN] phishing report", "GREEN"),
        ("Fw: TLP:WHITE 注意喚起", "CLEAR"),
    ],
)
def test_tlp_in_the_subject(subject: str, tlp: str) -> None:
    answers = read("ご確認をお願いします。", subjects=(subject,))
    assert answers.tlp == tlp and answers.sharing_scope == f"TLP:{tlp}"
    assert answers.secret_designation is None


@pytest.mark.parametrize(
    "text",
    [
        "事務局のみなさま、いつもお世話になっております。",
        "協議会構成員のみならず、広く注意喚起をお願いできればと存じます。",
        "事務局までご連絡ください。",
        "情報の共有範囲の設定をお知らせください。",
        "TLPについてはまだ決まっていません。",
    ],
)
def test_no_sharing_scope(text: str) -> None:
    answers = read(text)
    assert answers.sharing_scope is None and answers.tlp is None


# ---- 確認③ external coordination ------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("構成員に同様の報告がないか確認してほしい。", R),
        ("協議会構成員において、同様の報告がないか確認していただけますでしょうか。", R),
        ("不審メールの送信元に通知してほしいです。", R),
        ("ホスティング事業者への連絡をお願いいたします。", R),
        ("Please check whether other members received similar reports.", R),
        ("Please notify the sender's provider.", R),
        ("対応調整は不要です。", N),
        ("事務局外への対応調整は不要です。", N),
        ("送信元への通知は不要です。", N),
        ("外部への連絡は控えてください。", N),
        ("No coordination needed.", N),
        ("Coordination is not needed.", N),
        ("Please do not contact the sender.", N),
    ],
)
def test_external_coordination_in_free_text(text: str, expected: str) -> None:
    answers = read(text)
    assert answers.external_coordination == expected
    assert answers.coordination_detail


@pytest.mark.parametrize(
    "text",
    [
        "添付ファイルをご確認ください。",
        "詳細は別途ご連絡いたします。",
        "ログを確認したところ、不審な通信がありました。",
        "協議会事務局外への対応調整の要否についてお知らせください。",
        "If you are not the intended recipient, please notify the sender immediately.",
    ],
)
def test_no_external_coordination(text: str) -> None:
    assert read(text).external_coordination is None


# ---- the fill-in block --------------------------------------------------------------------


def test_confirmation_block_has_the_three_items_and_empty_answers() -> None:
    lines = CONFIRMATION_BLOCK.splitlines()
    items = [line for line in lines if line.startswith("確認")]
    assert items == [
        "確認①（秘密指定の有無）：",
        "確認②（情報の共有範囲）：",
        "確認③（協議会事務局外への対応調整の要否）：",
    ]
    assert read(CONFIRMATION_BLOCK) == IncidentAnswers()


def fill(one: str, two: str, three: str) -> str:
    return (
        CONFIRMATION_BLOCK.replace("（秘密指定の有無）：", f"（秘密指定の有無）：{one}")
        .replace("（情報の共有範囲）：", f"（情報の共有範囲）：{two}")
        .replace("（協議会事務局外への対応調整の要否）：", f"（協議会事務局外への対応調整の要否）：{three}")
    )


@pytest.mark.parametrize(
    "one,two,three,expected",
    [
        ("不要", "協議会構成員限り", "不要", (N, "協議会構成員限り", None, N)),
        ("不要です", "TLP:AMBER", "不要です", (N, "TLP:AMBER", "AMBER", N)),
        ("要（被害組織名）", "TLP:RED", "要", (R, "TLP:RED", "RED", R)),
        (
            "あり",
            "タスクフォース第一類グループ限り",
            "構成員に同様の報告がないか確認してほしい",
            (R, "タスクフォース第一類グループ限り", None, R),
        ),
        ("被害組織名は秘密に指定してほしい", "特になし", "送信元への通知", (R, "制限なし", None, R)),
        ("なし", "弊社と協議会事務局のみ", "いいえ", (N, "弊社と協議会事務局のみ", None, N)),
        ("No", "TLP:CLEAR", "None", (N, "TLP:CLEAR", "CLEAR", N)),
        ("", "", "", (None, None, None, None)),
        ("検討中", "わかりません", "後日連絡します", (None, None, None, None)),
    ],
)
def test_block_answers(one: str, two: str, three: str, expected: tuple) -> None:
    answers = read("山田です。以下のとおり回答します。\n\n" + fill(one, two, three))
    assert (
        answers.secret_designation,
        answers.sharing_scope,
        answers.tlp,
        answers.external_coordination,
    ) == expected


def test_block_answer_on_the_next_line_and_without_brackets() -> None:
    text = "確認①（秘密指定の有無）：\n　不要です\n確認②：TLP:GREEN\n確認③ 不要"
    answers = read(text)
    assert (answers.secret_designation, answers.tlp, answers.external_coordination) == (N, "GREEN", N)


def test_block_answers_on_one_line_and_with_labels_only() -> None:
    assert read("確認①：不要　確認②：協議会構成員限り　確認③：不要") == IncidentAnswers(
        secret_designation=N,
        secret_detail="不要",
        sharing_scope="協議会構成員限り",
        external_coordination=N,
        coordination_detail="不要",
    )
    labels = read("【秘密指定の有無】\n秘密指定の有無：無\n共有範囲：TLP:AMBER\n対応調整の要否：不要")
    assert (labels.secret_designation, labels.tlp, labels.external_coordination) == (N, "AMBER", N)


def test_answers_written_on_the_quoted_block() -> None:
    reply = "回答を記入しました。\n\n" + quoted(
        "山田様\n\nご連絡ありがとうございます。\n" + fill("不要", "TLP:AMBER", "不要")
    )
    answers = read(reply)
    assert (answers.secret_designation, answers.tlp, answers.external_coordination) == (N, "AMBER", N)


def test_own_answers_win_over_quoted_ones() -> None:
    reply = fill("要", "協議会構成員限り", "") + "\n\n" + quoted(fill("不要", "TLP:RED", "不要"))
    answers = read(reply)
    assert answers.secret_designation == R and answers.sharing_scope == "協議会構成員限り"
    assert answers.tlp == "RED"  # from the quoted block: nothing newer said otherwise
    assert answers.external_coordination == N


def test_unedited_quoted_reply_answers_nothing() -> None:
    our_reply = (
        "山田様\n\n確認①（秘密指定の有無）について、ご回答欄にご記入ください（例：被害組織名又は被害内容は"
        "秘密に指定してほしい、不要 など）。\n確認②（情報の共有範囲）について、ご回答欄にご記入ください"
        "（例：タスクフォース第一類グループ限り、協議会構成員限り、TLP:AMBER など）。\n確認③（協議会事務局外への"
        "対応調整の要否）について、ご回答欄にご記入ください（例：協議会構成員において同様の報告がないか確認してほしい、"
        "不審メールの送信元に通知してほしい、不要 など）。\n\n" + CONFIRMATION_BLOCK
    )
    assert read("承知しました。\n\n" + quoted(our_reply)) == IncidentAnswers()
    assert read(our_reply) == IncidentAnswers()  # even unquoted (a client that does not quote)


def test_outlook_reply_without_quote_marks() -> None:
    original = "-----Original Message-----\nFrom: 協議会事務局 <csc-anken@example.jp>\nSent: Monday, October 5, 2026 10:00 AM\n"
    reply = (
        "お世話になっております。\n秘密指定は不要です。TLP:GREENでお願いします。\n\n"
        + original
        + "被害組織名は秘密にしてほしい\n"
        + fill("要", "TLP:RED", "要")
    )
    answers = read(reply)
    assert (answers.secret_designation, answers.tlp, answers.external_coordination) == (N, "GREEN", R)


@pytest.mark.parametrize(
    "header",
    [
        "2026年10月5日(月) 10:00 協議会事務局 <csc-anken@example.jp>:",
        "On Mon, Oct 5, 2026 at 10:00 AM CSC <csc-anken@example.jp> wrote:",
        "協議会事務局 さんは書きました:",
        "-----元のメッセージ-----",
        "---------- Forwarded message ---------",
    ],
)
def test_text_below_a_reply_header_is_older(header: str) -> None:
    text = f"よろしくお願いします。\n\n{header}\n構成員に同様の報告がないか確認してほしい。\nTLP:RED"
    answers = read(text)
    assert answers.external_coordination is None and answers.tlp is None


def test_signature_and_disclaimer_are_not_answers() -> None:
    text = "ご確認ください。\n-- \n株式会社テスト 情報システム部\nこのメールは秘密情報を含みます。第三者への開示はご遠慮ください。"
    assert read(text) == IncidentAnswers()


def test_everything_not_needed_at_once() -> None:
    answers = read("確認事項については、いずれも不要です。")
    assert (answers.secret_designation, answers.sharing_scope, answers.external_coordination) == (
        N,
        "制限なし",
        N,
    )
    assert read("対応はいずれも不要です。").secret_designation is None  # no reference to the confirmations


def test_hard_wrapped_sentence_is_joined() -> None:
    assert read("被害組織名は秘密に\nしてほしいです。").secret_designation == R


# ---- several messages ------------------------------------------------------------------------


def test_later_messages_override_earlier_answers() -> None:
    answers = read(
        "秘密指定を希望します。TLP:AMBER", "先ほどの件、秘密指定は不要です。TLP:GREENに変更します。"
    )
    assert (answers.secret_designation, answers.tlp, answers.sharing_scope) == (N, "GREEN", "TLP:GREEN")


def test_answers_accumulate_over_messages() -> None:
    answers = read("不審メールを受信しました。", "秘密指定は不要です。", fill("", "協議会構成員限り", "不要"))
    assert answers == IncidentAnswers(
        secret_designation=N,
        secret_detail="秘密指定は不要です。",
        sharing_scope="協議会構成員限り",
        external_coordination=N,
        coordination_detail="不要",
    )


def test_a_later_tlp_keeps_an_earlier_council_phrase() -> None:
    answers = read("協議会構成員限りでお願いします。", "TLPはAMBERでお願いします。")
    assert (answers.sharing_scope, answers.tlp) == ("協議会構成員限り", "AMBER")


def test_body_overrides_subject_of_the_same_message() -> None:
    answers = read("TLP:GREENに変更してください。", subjects=("[TLP:AMBER] 不審メール",))
    assert answers.tlp == "GREEN"


# ---- the incident checks -------------------------------------------------------------------


def test_first_report_asks_all_three_confirmations() -> None:
    found = run(incident_case("不審なメールを受信しました。ご確認をお願いします。"))
    assert codes(found) == ["secret_designation", "sharing_scope", "external_coordination"]
    assert all(f.severity == "missing" for f in found)
    assert (
        "確認①" in found[0].message_ja and "確認②" in found[1].message_ja and "確認③" in found[2].message_ja
    )


def test_answered_confirmations_close_the_findings() -> None:
    facts = incident_case("不審なメールを受信しました。", fill("不要", "TLP:AMBER", "不要"))
    assert run(facts) == []


def test_tlp_alone_leaves_the_secret_designation_open() -> None:
    facts = incident_case("報告します。", subjects=("[TLP:RED] 不審メール",))
    assert codes(run(facts)) == ["secret_designation", "external_coordination"]


def test_given_incident_answers_are_used() -> None:
    facts = incident_case(
        "報告します。", incident=IncidentAnswers(secret_designation=N, sharing_scope="事務局限り")
    )
    assert codes(run(facts)) == ["external_coordination"]


def test_non_member() -> None:
    finding = only(run(incident_case("相談です。", member=False)), "non_member")
    assert finding.severity == "info" and finding.params["sender"] == "soc@member.example.jp"
    assert "non_member" not in codes(run(incident_case("相談です。", member=True)))


# ---- whole mails -----------------------------------------------------------------------------

FIRST_REPORT = """協議会事務局 御中

いつもお世話になっております。株式会社テストの山田です。
本日、弊社従業員宛てに不審なメールが届きましたのでご報告いたします。
件名は「請求書の送付」で、添付ファイル（.zip）が付いていました。
添付ファイルは開封しておらず、被害は確認されておりません。

なお、弊社名は伏せた上で共有いただけますと幸いです。
共有範囲はTLP:AMBERでお願いします。
他の構成員で同様のメールを受信していないか確認していただけますでしょうか。

--
株式会社テスト 情報システム部 山田太郎
TEL: 03-1234-5678
"""

NUMBERED_REPLY = """事務局ご担当者様

ご返信ありがとうございます。ご質問の件、以下のとおり回答いたします。

確認①：秘密指定は不要です
確認②：協議会構成員限り
確認③：送信元ドメインの管理者への通知をお願いします

よろしくお願いいたします。

> 確認①（秘密指定の有無）：
> 確認②（情報の共有範囲）：
> 確認③（協議会事務局外への対応調整の要否）：
"""


def test_a_first_report_answering_everything_in_prose() -> None:
    answers = read(FIRST_REPORT)
    assert answers.secret_designation == R and "伏せ" in (answers.secret_detail or "")
    assert (answers.sharing_scope, answers.tlp) == ("TLP:AMBER", "AMBER")
    assert answers.external_coordination == R and "構成員" in (answers.coordination_detail or "")


def test_a_reply_with_numbered_answers_above_the_quoted_block() -> None:
    answers = read(NUMBERED_REPLY)
    assert (answers.secret_designation, answers.sharing_scope, answers.external_coordination) == (
        N,
        "協議会構成員限り",
        R,
    )
    assert answers.coordination_detail == "送信元ドメインの管理者への通知をお願いします"


def test_one_sentence_answering_all_three() -> None:
    answers = read("秘密指定は不要、共有範囲は特に制限なし、対応調整も不要です。")
    assert (answers.secret_designation, answers.sharing_scope, answers.external_coordination) == (
        N,
        "制限なし",
        N,
    )


def test_an_english_report_without_answers() -> None:
    text = "Dear CSC secretariat,\n\nWe observed a spike in outbound traffic this morning.\nLogs attached.\n\nBest regards,\nTaro"
    assert read(text) == IncidentAnswers()
