"""What an answer to Q24 確認①②③ means, in Japanese or English.

確認① 秘密指定の有無 — whether the reporter wants the information designated secret (秘密指定);
確認② 情報の共有範囲 — how widely it may be shared (Council phrases such as 協議会構成員限り =
Council members only, or a TLP label); 確認③ 協議会事務局外への対応調整の要否 — whether the
secretariat should coordinate with anyone outside it (ask members, notify a sender…).

Before any of that, an answer is cut down to the reporter's own words (:func:`own_words`: what
someone else said — 「上司からは秘密にするよう言われています」 — is not an answer), and read for
what it is: a deferral (「社内で検討中」「追ってご連絡します」: unclear, never a guess), a double
negative (「不要ではありません」: needed), the item left to the secretariat (「お任せします」:
``left_to_secretariat``, for 確認② 「事務局に一任」). Besides the Q&A's words, the names staff list in
``rules/answers.toml`` (:mod:`.words`: 外部連携, 公表, 共有先 …) name an item in free text.

Two modes: ``*_answer`` reads the text written after an item of the fill-in block (a bare 「不要」
= not needed, 「要」 = needed, counts); ``*_free`` reads one sentence of free text and needs both the
topic and a verdict in it. Anything unclear gives None, so the finding stays open. Questions
(「秘密指定の有無についてお知らせください」, our own reply quoted back) are never answers. The words
themselves live in :mod:`intake.checks.answers.vocab`.
"""

from __future__ import annotations

import functools
import re

from intake.checks.answers import vocab as v
from intake.checks.answers import words
from intake.checks.answers.mailtext import clauses

REQUESTED, NOT_REQUESTED = "requested", "not_requested"
DELEGATED = "left_to_secretariat"  # 「お任せします」: the secretariat decides (確認①③)
LEFT_TO_SECRETARIAT = "事務局に一任"  # the same, as 確認②'s answer
NO_RESTRICTION = v.NO_RESTRICTION
_SHARING = r"共有|範囲|展開|TLP|\bshar|\bscope\b"  # what a sentence about 確認② mentions


_TLP_LEAD = re.compile(r"(?:とし(?:て)?|で|、|,|\s)+$")  # 「TLP:AMBERとし、構成員限り」: the label's tail


def own_words(text: str) -> str:
    """The reporter's own words: what follows the last clause quoting someone else
    (「上司からは秘密にするよう言われていますが、当社としては不要です」 → 「当社としては不要です」);
    nothing when the text only reports another's view."""
    parts = clauses(text)
    last = max((i for i, part in enumerate(parts) if v.REPORTED.search(part)), default=-1)
    return text if last < 0 else "、".join(parts[last + 1 :])


def _deferred(text: str) -> bool:
    """「社内で検討中です」「追ってご連絡します」: not decided — every clause defers."""
    parts = clauses(text)
    return bool(parts) and all(v.PENDING.search(part) for part in parts)


@functools.lru_cache(maxsize=32)
def _joined(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _topic(item: int) -> re.Pattern[str]:
    """What names the item in free text: the built-in words and those of rules/answers.toml."""
    names = words.current().names[item].pattern
    built_in = {1: v.SECRET_TOPIC.pattern, 2: _SHARING, 3: v.COORD_TARGET.pattern}[item]
    return _joined(built_in, names)


def _disclosure_refused(text: str) -> bool:
    """「公表は差し控えさせていただきたく」「公表：不可」: publication refused (確認①: secrecy)."""
    disclosure = words.current().disclosure.pattern
    return bool(_joined(f"(?:{disclosure})[^。、,]{{0,16}}?{v.DISCLOSURE_NO}").search(text))


def _spans(sentence: str, topic: re.Pattern[str]) -> list[str]:
    """Each clause about ``topic``; a clause with no verdict of its own takes the next one too
    (「秘密指定については、不要です」)."""
    parts = clauses(sentence)
    spans = []
    for i, part in enumerate(parts):
        if topic.search(part):
            spans.append(part if i + 1 == len(parts) else f"{part}、{parts[i + 1]}")
    return spans


def _about(own: str, whole: str, topic: re.Pattern[str]) -> list[str]:
    """The clauses of the reporter's own words about ``topic``; all of them when only the quoted
    part named it (「上司からは秘密にと言われていますが、当社としては不要です」)."""
    spans = _spans(own, topic)
    if not spans and own != whole and own.strip() and topic.search(whole):
        return [own]
    return spans


def _detail(text: str) -> str:
    return text.strip()[:200]


def secret_free(sentence: str) -> tuple[str | None, str | None]:
    """確認① from a sentence of free text: (requested | not_requested | None, detail)."""
    if v.QUESTION.search(sentence):
        return None, None
    detail, sentence = sentence, own_words(sentence)
    if _disclosure_refused(sentence):
        return REQUESTED, _detail(detail)
    if v.DISCLOSURE_OK.search(sentence) and not v.SECRET_TOPIC.search(sentence):
        return NOT_REQUESTED, _detail(detail)
    verdicts = []
    for span in _about(sentence, detail, _topic(1)):
        if _deferred(span):
            continue
        first = clauses(span)[0]
        if v.SECRET_NEG.search(first) or (not v.SECRET_REQ.search(first) and v.SECRET_NEG.search(span)):
            verdicts.append(NOT_REQUESTED)
        elif v.SECRET_REQ.search(span):
            verdicts.append(REQUESTED)
    return _combine(verdicts, detail)


def says_nothing(text: str) -> bool:
    """Nothing to read after an item: empty, a question (our own reply quoted back), a closing
    (「よろしくお願いいたします」) or an announcement (「以下のとおり回答します」) — no answer, and
    not an unclear one either."""
    return not text.strip() or bool(v.QUESTION.search(text) or v.NO_ANSWER.search(text))


def secret_answer(text: str) -> tuple[str | None, str | None]:
    """確認① from the text after the block's item: free text first, else bare 要 / 不要."""
    if says_nothing(text):
        return None, None
    found = _stance(text, v.SECRET_NEG, v.SECRET_WORD)
    if found[0] or not found[1]:
        return found
    text = found[1]
    found = secret_free(text)
    if found[0]:
        return found
    verdicts = []
    for part in clauses(text):
        if v.PENDING.search(part):
            continue  # 「秘密指定は社内で検討中」: not decided, not 「秘密」 = yes
        if v.SECRET_NEG.search(part):
            verdicts.append(NOT_REQUESTED)
        elif v.BARE_YES.search(part) or v.SECRET_WORD.search(part) or v.SECRET_REQ.search(part):
            verdicts.append(REQUESTED)
    return _combine(verdicts, text)


def _stance(text: str, negative: re.Pattern[str], word: re.Pattern[str]) -> tuple[str | None, str | None]:
    """What an answer to 確認① or ③ is before its words are read: (verdict, None) when it is a
    double negative or leaves the item to us, (None, None) when it reports another's view or
    defers, else (None, the reporter's own words) to read on."""
    own = own_words(text)
    if not own.strip() or _deferred(own):
        return None, None
    if v.DOUBLE_NEG.search(own):
        return REQUESTED, _detail(text)
    if v.DELEGATED.search(own) and not negative.search(own.replace("どちらでも構いません", "")):
        return DELEGATED, _detail(text)
    return None, own


def _combine(verdicts: list[str], text: str) -> tuple[str | None, str | None]:
    if REQUESTED in verdicts:
        return REQUESTED, _detail(text)
    if NOT_REQUESTED in verdicts:
        return NOT_REQUESTED, _detail(text)
    return None, None


def tlp_of(text: str) -> str | None:
    """The TLP label in a text (TLP 1.0 WHITE is 2.0 CLEAR): RED, AMBER+STRICT, AMBER, GREEN, CLEAR."""
    match = v.TLP.search(text)
    if not match:
        return None
    label = re.sub(r"\s+", "", match.group("tlp")).upper()
    if "STRICT" in label:
        return "AMBER+STRICT"
    return v.TLP_NAMES.get(label, v.TLP_NAMES.get(match.group("tlp"), label))


def scope_free(sentence: str) -> tuple[str | None, str | None]:
    """確認② from free text: (Council phrase | None, TLP label | None)."""
    if v.QUESTION.search(sentence):
        return None, tlp_of(sentence)
    sentence = own_words(sentence)
    found = _phrase(sentence)
    if (
        found
        and (found[0] == NO_RESTRICTION or "会員" in found[1].group())
        and not _topic(2).search(sentence)
    ):
        found = None  # 「アクセス制限はありません」「会員限定サイト」 in a report say nothing of sharing
    return (found[0] if found else None), tlp_of(sentence)


def _phrase(text: str) -> tuple[str, re.Match[str]] | None:
    """The first Council scope phrase in the text, with where it was found."""
    for name, pattern in v.SCOPE_PHRASES:
        match = pattern.search(text)
        if match:
            return name, match
    return None


def scope_answer(text: str) -> tuple[str | None, str | None]:
    """確認② from the block: a phrase, a TLP label, 「不要」 (no restriction), or the sender's own
    wording when it names a scope (「弊社と事務局のみ」)."""
    if says_nothing(text):
        return None, None
    text = own_words(text)
    if not text.strip() or _deferred(text):
        return None, tlp_of(text)
    if v.DELEGATED.search(text) and not (_phrase(text) or tlp_of(text)):
        return LEFT_TO_SECRETARIAT, None
    found, tlp = _phrase(text), tlp_of(text)
    lead = _TLP_LEAD.sub("", v.TLP.sub("", text[: found[1].start()])).strip() if found else ""
    if found and not v.SCOPE_LEAD.fullmatch(lead):
        return _detail(text)[:100], tlp  # 「弊社と協議会事務局のみ」: more than the phrase; keep the wording
    if found or tlp:
        return (found[0] if found else None), tlp
    if v.NO_LIMIT_ANSWER.search(text):
        return NO_RESTRICTION, None
    named = v.SCOPE_WORDS.search(text) and not v.PENDING.search(text)
    return (_detail(text)[:100], None) if named else (None, None)


def coordination_free(sentence: str) -> tuple[str | None, str | None]:
    """確認③ from a sentence of free text: (requested | not_requested | None, detail)."""
    if v.QUESTION.search(sentence):
        return None, None
    detail, sentence = sentence, own_words(sentence)
    verdicts = []
    named = words.current().names[3]
    for span in _about(sentence, detail, _topic(3)):
        if _deferred(span) or not (v.COORD_ACTION.search(span) or "調整" in span or named.search(span)):
            continue
        topic = clauses(span)[0]
        if _phrase(topic) or "範囲" in topic:
            continue  # 「共有範囲は協議会構成員限りで…」 answers 確認② (who may see it), not 確認③
        if v.COORD_NEG.search(span):
            verdicts.append(NOT_REQUESTED)
        elif v.COORD_REQ.search(span):
            verdicts.append(REQUESTED)
    return _combine(verdicts, detail)


def coordination_answer(text: str) -> tuple[str | None, str | None]:
    """確認③ from the block: free text first, else bare 要 / 不要, else an action named (but not
    one already done: 「送信元へ連絡済み」 asks for nothing)."""
    if says_nothing(text):
        return None, None
    found = _stance(text, v.COORD_NEG, v.COORD_TARGET)
    if found[0] or not found[1]:
        return found
    text = found[1]
    found = coordination_free(text)
    if found[0]:
        return found
    if v.COORD_NEG.search(text):
        return NOT_REQUESTED, _detail(text)
    if v.PENDING.search(text):
        return None, None
    named = (
        v.COORD_ACTION.search(text)
        and v.COORD_TARGET.search(text)
        and not (v.COORD_DONE.search(text) or v.PENDING.search(text))
    )
    if v.BARE_YES.search(text) or v.COORD_REQ.search(text) or named:
        return REQUESTED, _detail(text)
    return None, None


def all_not_needed(sentence: str) -> bool:
    """「確認事項はいずれも不要です」: every confirmation answered 「不要」 at once."""
    return bool(
        v.ALL_NOT_NEEDED.search(sentence) and v.ALL_CONTEXT.search(sentence)
    ) and not v.QUESTION.search(sentence)
