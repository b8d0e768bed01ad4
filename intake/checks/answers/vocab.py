"""The words that carry an answer to Q24 確認①②③ (regular expressions over NFKC text).

QUESTION: a question, never an answer (our own reply quoted back). NEG: 「不要」 (not needed) and its
kin. SECRET_*: 秘密 (secret), 匿名 (anonymous), 伏せる (withhold a name) …; SCOPE_PHRASES: the Council's
sharing-scope phrases (…限り = … only); TLP: Traffic Light Protocol labels, 1.0 and 2.0 spellings;
COORD_*: coordination outside the secretariat (確認 check, 通知 notify, 連絡 contact …) and whom
(構成員 members, 送信元 the sender of a phishing mail …). *_REQ: the request forms
(〜してほしい, 〜ください, お願い, please …). Add phrasings here; the tests list real examples.
"""

from __future__ import annotations

import re

NO_RESTRICTION = "制限なし"  # sharing scope answered 「不要」 / 「特になし」: no restriction asked for


def rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


END = r"\s*(?:です|します|ます)?(?=$|[\s(:、。,])"  # a bare word, maybe followed by 「（…）」 or 「：…」
QUESTION = rx(
    r"お知らせ(?:くだ|下)さい",
    r"ご回答",
    r"ご記入",
    r"ご教示",
    r"教えて(?:くだ|下)さい",
    r"かどうか",
    r"か否か",
    r"要否",
    r"有無",
    r"必要(?:です|でしょう)か",
    r"please (?:let us know|answer|tell)",
)
NEG = rx(
    r"不要",
    r"必要(?:は|も)?(?:ありません|ない|なし|ございません|無し)",
    r"いりません",
    r"要りません",
    r"結構です",
    r"希望(?:しません|しない|なし)",
    r"しなくて(?:も)?(?:よい|良い|いい|結構|構いません|大丈夫)",
    r"控えて",
    r"しないで",
    rf"^\s*(?:なし|無し|無|ない|無い|いいえ|特に(?:なし|無し|ありません|ない)){END}",
    r"\bno need\b",
    r"\bnot (?:necessary|needed|required)\b",
    r"\bneedn'?t\b",
    r"\b(?:don'?t|do not|doesn'?t|does not) need\b",
    r"^\s*(?:no|none|n/?a|nope)\b",
)
BARE_YES = rx(rf"^\s*(?:要|必要|あり|有り|有|はい|する|希望する|希望|yes|required|needed){END}")

# ---- 確認① secret designation ------------------------------------------------------------
SECRET_TOPIC = rx(
    r"秘密",
    r"秘匿",
    r"非公開",
    r"匿名",
    r"内密",
    r"機密",
    r"伏せ",
    r"伏字",
    r"(?:公開|公表|開示)し(?:ない|ません)",
    r"名(?:前)?を出さ",
    r"confidential",
    r"secret",
    r"anonym",
    r"undisclosed",
    r"\bdisclos",
)
SECRET_REQ = rx(
    r"ほしい",
    r"欲しい",
    r"(?:くだ|下)さい",
    r"願い",
    r"希望",
    r"頂きたい",
    r"いただきたい",
    r"したい",
    r"求め",
    r"(?:いただ|頂)け(?:ます|れば|ると)",
    r"幸い",
    r"要望",
    r"扱(?:い|って)",
    r"必要",
    r"\bplease\b",
    r"would like",
    r"\bwe'?d like\b",
    r"\bwant",
    r"\brequest",
    r"\bshould\b",
    r"\bmust\b",
    r"\bkeep\b",
    r"\btreat\b",
    r"\bhandle\b",
    r"\bprefer",
)
DISCLOSURE_OK = rx(
    r"(?:公開|公表|開示|実名)[^。]{0,8}(?:構いません|問題(?:あり|ござい)ません|差し支え(?:あり|ござい)ません|大丈夫|可)",
    r"(?:can|may) be (?:disclosed|named|published)",
    r"fine to (?:disclose|name|publish)",
)
SECRET_NEG = rx(
    NEG.pattern,
    DISCLOSURE_OK.pattern,
    r"not (?:confidential|secret)",
    r"no (?:secrecy|confidentiality)",
    r"(?:can|may) be (?:shared|disclosed|named|published)",
    r"fine to share",
)
SECRET_WORD = rx(r"秘密", r"非公開", r"匿名", r"伏せ", r"秘匿", r"confidential", r"secret", r"anonym")

# ---- 確認② sharing scope ---------------------------------------------------------------
LIMIT = r"\s*(?:限り|のみ(?!な)|内(?!容)|に限る|に限定|限定)"
SCOPE_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "タスクフォース第一類グループ限り",
        rx(
            rf"(?:タスクフォース|TF)?\s*第\s*[1一]\s*類\s*(?:グループ|構成員)?{LIMIT}",
            r"task\s*force\s*(?:class|group|category|type)?\s*(?:1|one|i)\b.{0,20}\bonly\b",
        ),
    ),
    (
        "タスクフォース第二類グループ限り",
        rx(
            rf"(?:タスクフォース|TF)?\s*第\s*[2二]\s*類\s*(?:グループ|構成員)?{LIMIT}",
            r"task\s*force\s*(?:class|group|category|type)?\s*(?:2|two|ii)\b.{0,20}\bonly\b",
        ),
    ),
    (
        "タスクフォース限り",
        rx(rf"タスクフォース\s*(?:構成員|グループ)?{LIMIT}", r"task\s*force\s*(?:members?\s*)?only"),
    ),
    (
        "協議会構成員限り",
        rx(
            rf"(?:協議会)?\s*構成員{LIMIT}",
            r"\b(?:council|csc)\s+members?\s+only\b",
            r"\bonly\s+(?:to|with|among|within)\s+(?:the\s+)?(?:council|csc)(?:\s+members?)?\b",
        ),
    ),
    (
        "事務局限り",
        rx(
            rf"(?:協議会)?\s*事務局{LIMIT}",
            r"\bsecretariat\s+only\b",
            r"\bonly\s+(?:to|with|within)?\s*(?:the\s+)?secretariat\b",
        ),
    ),
    (
        NO_RESTRICTION,
        rx(
            r"(?:共有)?範囲[^。]{0,8}(?:制限(?:なし|無し|は?不要|しない)|指定(?:なし|無し|は?不要)|特に(?:なし|無し|ありません)|限定しない)",
            r"\bno\s+restrictions?\b",
            r"\bunrestricted\b",
            r"\bcan\s+be\s+shared\s+(?:widely|freely|publicly)\b",
        ),
    ),
)
TLP = rx(
    r"TLP\s*(?:v?2(?:\.0)?)?\s*(?:[:=\-_]|は|is)?\s*(?P<tlp>AMBER\s*\+?\s*STRICT|RED|AMBER|GREEN|CLEAR|WHITE"
    r"|レッド|赤|アンバー|グリーン|緑|クリア|ホワイト|白)"
)
TLP_NAMES = {
    "レッド": "RED",
    "赤": "RED",
    "アンバー": "AMBER",
    "グリーン": "GREEN",
    "緑": "GREEN",
    "クリア": "CLEAR",
    "ホワイト": "CLEAR",
    "白": "CLEAR",
    "WHITE": "CLEAR",
}
SCOPE_WORDS = rx(r"限り", r"のみ", r"内", r"範囲", r"共有", r"\bonly\b", r"\bwithin\b", r"\blimited\b")
SCOPE_LEAD = re.compile(
    r"(?:(?:情報の)?共有範囲|範囲)?\s*(?:は|:|を)?"
)  # what may precede a phrase in an answer
NO_LIMIT_ANSWER = rx(
    r"^\s*(?:不要|なし|無し|特に(?:なし|無し|ありません)|制限(?:なし|無し)|指定(?:なし|無し)|問題ありません"
    r"|no(?:ne)?|n/?a|no restrictions?)\s*(?:です|。)?\s*$"
)

# ---- 確認③ coordination outside the secretariat ----------------------------------------------
COORD_TARGET = rx(
    r"構成員",
    r"他の?組織",
    r"他社",
    r"同様の(?:報告|事案|被害|事象|相談)",
    r"送信元",
    r"送信者",
    r"差出人",
    r"発信元",
    r"攻撃元",
    r"関係(?:機関|者|組織|先)",
    r"外部",
    r"事業者",
    r"プロバイダ",
    r"ISP",
    r"ホスティング",
    r"レジストラ",
    r"警察",
    r"JPCERT",
    r"事務局外",
    r"管理者",
    r"対応調整",
    r"\bmembers?\b",
    r"other organi[sz]ations?",
    r"\bothers\b",
    r"\bsender\b",
    r"\bprovider\b",
    r"\bhosting\b",
    r"\bregistrar\b",
    r"\bpolice\b",
    r"similar (?:reports?|incidents?|cases?)",
    r"coordinat",
)
COORD_ACTION = rx(
    r"確認",
    r"通知",
    r"連絡",
    r"照会",
    r"調整",
    r"共有",
    r"問い?合わ?せ",
    r"周知",
    r"注意喚起",
    r"依頼",
    r"伝え",
    r"展開",
    r"\bcheck",
    r"\bconfirm",
    r"\bask\b",
    r"\bnotify",
    r"\bcontact",
    r"\binform",
    r"\balert",
    r"\bwarn",
    r"coordinat",
    r"\breach out",
)
COORD_REQ = rx(
    r"ほしい",
    r"欲しい",
    r"(?:くだ|下)さい",
    r"願い",
    r"頂きたい",
    r"いただきたい",
    r"頂けます",
    r"いただけます",
    r"頂け(?:ると|れば)",
    r"いただけ(?:ると|れば)",
    r"幸い",
    r"希望",
    r"したい",
    r"求め",
    r"\bplease\b",
    r"would like",
    r"\bwant",
    r"\brequest",
    r"\bneeded\b",
    r"\brequired\b",
)
COORD_NEG = rx(
    NEG.pattern,
    r"\bno\s+(?:external\s+)?coordination\b",
    r"\b(?:don'?t|do not|no need to)\s+(?:contact|notify|inform|coordinate)",
)
ALL_NOT_NEEDED = rx(
    r"(?:いずれも|全て|すべて|どれも|全部|3点とも|三点とも)(?:不要|なし|無し|特に(?:なし|ありません)|必要(?:は)?ありません|結構)",
    r"\bnone of (?:them|these|the three)\b.{0,20}\b(?:needed|required|necessary)\b",
)
DISCLAIMER = rx(
    r"intended recipient",
    r"this (?:e-?mail|message|communication)",
    r"privileged",
    r"誤って",
    r"誤送信",
    r"心当たり",
    r"宛先(?:に)?誤り",
)
ALL_CONTEXT = rx(r"確認", r"[①②③]", r"上記", r"ご質問", r"点", r"項目", r"confirmation", r"question")
