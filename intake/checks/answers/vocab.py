"""The words that carry an answer to Q24 確認①②③ (regular expressions over NFKC text).

QUESTION: a question, never an answer (our own reply quoted back); NO_ANSWER: a closing
(「よろしくお願いします」) or an announcement (「以下のとおり回答します」), no answer either; PENDING:
not decided yet (「検討中」 under consideration, 「未定」 undecided, 「後日」 later) — an unclear
answer, never a guess. NEG: 「不要」 (not needed) and its kin; BARE_YES: 「要」「お願いします」
「希望します」. SECRET_*: 秘密 (secret), 匿名 (anonymous), 伏せる (withhold a name) …; SCOPE_PHRASES:
the Council's sharing-scope phrases (…限り = … only); TLP: Traffic Light Protocol labels, 1.0 and
2.0 spellings; COORD_*: coordination outside the secretariat (確認 check, 通知 notify, 連絡 contact
…) and whom (構成員 members, 送信元 the sender of a phishing mail …); COORD_DONE: already done by
the reporter (「連絡済み」). *_REQ: the request forms (〜してほしい, 〜ください, お願い, please …).
Add phrasings here; tests/test_answer_styles.py lists real examples. The item marks (確認①,
【確認1】, 秘密指定の有無 …) live in :mod:`intake.checks.answers.marks`.
"""

from __future__ import annotations

import re

NO_RESTRICTION = "制限なし"  # sharing scope answered 「不要」 / 「特になし」: no restriction asked for


def rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


END = r"\s*(?:でございます|です|します|ます)?(?=$|[\s(:、。,])"  # a bare word, maybe followed by 「（…）」 or 「：…」
QUESTION = rx(
    r"お知らせ(?:くだ|下)さい",
    r"ご回答(?!(?:いた|致)?(?:します|し(?:ます|ません)|申し上げ))",
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
NEG_CORE = rx(  # not needed, not wanted
    r"不要",
    r"必要(?:は|も)?(?:ありません|ない|なし|ございません|無し)",
    r"いりません",
    r"要りません",
    r"結構(?:です|でございます)",
    r"希望(?:しません|しない|なし|無し|いたしません|(?:して|いたして|致して)(?:おりません|いません))",
    r"希望は(?:ございません|ありません)",
    r"(?:求め|要望し|希望し)(?:ません|ておりません|ていません)",
    r"(?:求める|希望する|お願いする)ものでは(?:ありません|ございません|ない)",
    r"には及びません",
    r"なくて(?:も)?(?:よい|良い|いい|結構|構いません|大丈夫|問題(?:あり|ござい)ません|差し支え(?:あり|ござい)ません)",
    r"^\s*(?:特に|特段)?\s*(?:なし|無し)で(?:お願い|結構|構いません|大丈夫|問題)",
    rf"^\s*(?:特に|特段)?\s*(?:しない|しません|いたしません|致しません|該当しません|該当なし|非該当|なしで|無しで){END}",
    r"(?:指定|依頼|要望|調整|連絡|通知|通報)(?:は|を|も)?(?:しない|しません|せず|なし|無し|いたしません|致しません)",
    r"しなくて(?:も)?(?:よい|良い|いい|結構|構いません|大丈夫)",
    rf"^\s*(?:なし|無し|無|ない|無い|否|いいえ|(?:特に|特段)(?:なし|無し|ありません|ございません|ない|不要)){END}",
    r"\bno need\b",
    r"\bnot (?:necessary|needed|required)\b",
    r"\b(?:do|does|did)\s+not\s+require\b|\b(?:don'?t|doesn'?t)\s+require\b",
    r"\bneedn'?t\b",
    r"\b(?:don'?t|do not|doesn'?t|does not) need\b",
    r"^\s*(?:no|none|n/?a|nope)\b",
)
# …and 「控えて」「しないで」「ご遠慮」 (refrain from, don't): not for 確認①, where 「公開しないで」
# asks for secrecy.
NEG = rx(NEG_CORE.pattern, r"控えて", r"しないで", r"遠慮", r"差し控え", r"お控え")
# 「不要ではありません」 (not unneeded): a double negative, so needed.
DOUBLE_NEG = rx(
    r"(?:不要|必要(?:は)?(?:ない|なし))(?:という(?:わけ)?|とは)?では(?:ありません|ございません|ない)",
    r"必要(?:が)?なくは(?:ない|ありません)",
)
# 「お任せします」「ご判断に委ねます」: the reporter leaves the item to the secretariat (an answer).
DELEGATED = rx(
    r"お任せ",
    r"おまかせ",
    r"一任",
    r"委ね",
    r"ご判断(?:で|に従|(?:を)?(?:ください|下さい|願い|いただ|頂))",
    r"どちらでも(?:構いません|結構|問題(?:あり|ござい)ません|大丈夫)",
    r"\bleave it (?:to|up to) you\b",
    r"\bup to you\b",
    r"\b(?:at|to) your discretion\b",
    r"\byour (?:call|decision)\b",
)
# Someone else's words (「上司からは秘密にするよう言われています」 = my manager told me to keep it
# secret): never the reporter's own answer. What the reporter says after it counts (「…が、当社と
# しては不要です」).
REPORTED = rx(
    r"(?:と|よう(?:に)?)(?:言われ|いわれ|聞いて|伺って|指示(?:され|を受け)|申して|言って)",
    r"との(?:こと|意見|指示|話)",
    r"\b(?:was|were|have been|has been) told\b",
    r"\bsays?\b",
)
BARE_YES = rx(
    rf"^\s*(?:要|必要|あり|有り|有|はい|する|希望する|希望|yes|required|needed){END}",
    r"^\s*(?:はい\s*[、,]?\s*)?(?:お願い(?:いた|致)?(?:します|したい)|希望(?:いた|致)?します|要望(?:いた|致)?します)",
    r"^\s*(?:yes\s*,?\s*)?please(?:\s+do)?\s*[.!]?\s*$",
)
# Not an answer at all: a closing (「よろしくお願いいたします」 = thank you in advance) or an
# announcement (「以下のとおり回答いたします」 = we answer as follows), whatever item mark precedes it.
NO_ANSWER = rx(
    r"^\s*(?:以上(?:です)?\s*[、,。]?\s*)?(?:何卒|どうぞ|引き続き)?\s*(?:よろしく|宜しく)(?:お願い(?:いた|致|申し上げ)?(?:します|ます))?\s*[。.!]?\s*$",
    r"^\s*以上(?:です|となります)?\s*[。.]?\s*$",
    r"^\s*(?:(?:以下|下記|次)の?(?:とおり|通り)\s*)?(?:ご?回答|お答え|ご?連絡|ご?報告)(?:いた|致)?(?:します|申し上げます)\s*[。.:]?\s*$",
    r"^\s*(?:best\s+)?regards\b|^\s*thanks?(?:\s+you)?\b",
)

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
    r"取り?扱(?:い)?注意",
    r"(?:公開|公表|開示)し(?:ない|ません)",
    r"名(?:前)?(?:は|を)?出さ",
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
    r"(?:公開|公表|開示|実名)[^。]{0,8}(?:構いません|問題(?:あり|ござい)ません|差し支え(?:あり|ござい)ません|大丈夫|(?<!不)可)",
    r"(?:出し|公開し|公表し|開示し|掲載し|記載し|載せ)(?:て|ていただいて|て頂いて|ていただいても|ても)(?:も)?"
    r"(?:構いません|問題(?:あり|ござい)ません|差し支え(?:あり|ござい)ません|大丈夫|結構)",
    r"(?:can|may) be (?:disclosed|named|published)",
    r"fine to (?:disclose|name|publish)",
)
# 「公表は差し控えさせていただきたく」「公表：不可」: publication refused, i.e. secrecy asked for (確認①).
DISCLOSURE_NO = r"(?:差し控え|お?控え|ご?遠慮|しないで|せずに|しない(?:よう|方向)|不可|避け|NG)"
SECRET_NEG = rx(
    NEG_CORE.pattern,
    DISCLOSURE_OK.pattern,
    r"not (?:confidential|secret)",
    r"no (?:secrecy|confidentiality)",
    r"(?:can|may) be (?:shared|disclosed|named|published)",
    r"fine to share",
)
SECRET_WORD = rx(r"秘密", r"非公開", r"匿名", r"伏せ", r"秘匿", r"confidential", r"secret", r"anonym")

# ---- 確認② sharing scope ---------------------------------------------------------------
LIMIT = (
    r"\s*(?:限り|のみ(?!な)|内(?!容)|に限る|に限って|に限定|限定|(?:の|への)?範囲(?:内|で|に)|(?:の)?(?:皆様|皆さま|方々)(?:まで|迄|に限)|(?:まで|迄)(?:に(?:限|とど|留)|と(?:して|する|させ))"
    r"|(?:の)?(?:中|内)?だけ)"
)
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
        rx(rf"(?:タスクフォース|TF)\s*(?:構成員|グループ)?{LIMIT}", r"task\s*force\s*(?:members?\s*)?only"),
    ),
    (
        "協議会構成員限り",
        rx(
            rf"(?:協議会)?\s*構成員{LIMIT}",
            r"\b(?:council|csc)\s+members?\s+only\b",
            r"\bonly\s+(?:to|with|among|within)\s+(?:the\s+)?(?:council|csc)(?:\s+members?)?\b",
            rf"(?:協議会の?\s*)?会員{LIMIT}",
            r"(?:協議会の?\s*)?(?:構成員|会員)(?:の)?(?:皆様|皆さま|方々|各位)?(?:全体|全員|全て|すべて)(?:で|へ|に|まで|への共有|での共有)",
            r"(?:協議会の?\s*)?(?:構成員|会員)(?:の)?(?:皆様|皆さま|方々|各位)?(?:への|に|と)(?:の)?共有(?:は|で|を|も)?[^。]{0,8}"
            r"(?:問題(?:あり|ござい)ません|構いません|差し支え(?:あり|ござい)ません|結構|大丈夫|お願い)",
            r"^\s*members?\s+only\b",
        ),
    ),
    (
        "事務局限り",
        rx(
            rf"(?:協議会)?\s*事務局{LIMIT}",
            r"\bsecretariat\s+only\b",
            r"\bonly\s+(?:to|with|within)?\s*(?:the\s+)?secretariat\b",
            r"(?:協議会)?事務局(?:以外|の外|外部)(?:には|へは|に|へ|の方)?(?:は)?(?:共有|開示|提供|展開|公開)?(?:しないで|せず|不可|しない|控え|ご?遠慮)",
            r"事務局(?:内|の中)(?:に|で)?(?:とどめ|留め|止め)",
        ),
    ),
    (
        NO_RESTRICTION,
        rx(
            r"(?:共有)?範囲[^。]{0,8}(?:制限(?:なし|無し|は?不要|しない)|指定(?:なし|無し|は?不要)|特に(?:なし|無し|ありません)|限定しない)",
            r"(?:特段の?|特に)?制限(?:は|も|を)?(?:特に)?(?:(?:設ける|かける)\s*必要(?:は|も)?(?:ありません|ございません|ない)"
            r"|なし|無し|不要|ございません|ありません|設けません|しません|いたしません"
            r"|必要(?:は)?(?:ありません|ございません|ない))(?!で(?:し|あっ))",  # not 「…ございませんでした」 (a report)
            r"範囲(?:の|を)?(?:指定|限定|制限)(?:は|を|も)?(?:いたしません|しません|致しません|なし|無し|不要|ございません|ありません)",
            r"(?:広く|自由に|どなた(?:に|へ|でも)|誰に(?:でも)?|どこ(?:に|へ|まで)でも?)[^。]{0,14}"
            r"(?:構いません|問題(?:あり|ござい)ません|差し支え(?:あり|ござい)ません|結構|大丈夫)",
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
PENDING = rx(  # not decided yet: 「検討中」 (under consideration), 「未定」, 「後日連絡します」 — no answer
    r"検討(?:中|して|いた|します|しています|させて)",
    r"(?:確認|調整|相談|協議|精査)(?:中|して(?:おり|い)ます|させて)",
    r"保留",
    r"(?:判断|回答|確認|決裁|承認)待ち",
    r"(?:いた|致|し|わ|分|判断し|お答えし)かねます",
    r"(?:お答え|回答|判断)(?:でき|出来)(?:ません|かねます)",
    r"決まり次第",
    r"(?:相談|確認|検討|協議)の?(?:うえ|上)",
    r"後ほど",
    r"未定",
    r"未決",
    r"後日",
    r"追って",
    r"改めて",
    r"別途",
    r"わかりません",
    r"分かりません",
    r"\b(?:tbd|tbc|undecided|later|not (?:yet )?decided|under (?:review|consideration)|get back to you)\b",
)
SCOPE_WORDS = rx(r"限り", r"のみ", r"内", r"範囲", r"共有", r"\bonly\b", r"\bwithin\b", r"\blimited\b")
SCOPE_LEAD = re.compile(
    r"(?:(?:情報の)?共有(?:範囲|先)?|範囲)?\s*(?:は|:|を|の)?\s*(?:特段の?|特に)?"
    r"|(?:please\s+)?(?:share|shared|sharing)(?:\s+it)?(?:\s+(?:with|to|among|within))?",
    re.IGNORECASE,
)  # what may precede a phrase in an answer
NO_LIMIT_ANSWER = rx(  # 確認② answered 「不要」「特になし」「指定しない」: no restriction asked for
    r"^\s*(?:(?:いずれ|どれ|全て|すべて)?(?:も|とも)\s*)?(?:特に\s*)?(?:(?:制限|指定|限定|範囲)\s*(?:は|を|も)?\s*)?"
    r"(?:不要|なし|無し|無|ない|ありません|ございません|しない|しません|問題ありません|必要(?:は)?(?:ありません|ない)"
    r"|希望(?:しません|しない|なし)|否)\s*(?:でございます|です|で(?:お願い(?:いた|致)?します|結構です|構いません|す))?\s*[。.]?\s*$",
    r"^\s*(?:no(?:ne)?|n/?a|no restrictions?|not needed|not required|not necessary|no need)\s*[.]?\s*$",
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
    r"連携",
    r"通報",
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
COORD_DONE = rx(  # already done by the reporter: 「連絡済み」「通知しました」 — no request
    r"済(?:み)?",
    r"(?:連絡|通知|報告|確認|共有|相談)(?:いた|致)?しました",
    r"(?:て|で)(?:おり|い)ます",
    r"\balready\b",
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
ALL_CONTEXT = rx(r"確認", r"\([1-3]\)", r"上記", r"ご質問", r"点", r"項目", r"confirmation", r"question")
