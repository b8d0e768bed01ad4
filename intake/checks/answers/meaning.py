"""What an answer to Q24 確認①②③ means, in Japanese or English.

確認① 秘密指定の有無 — whether the reporter wants the information designated secret (秘密指定);
確認② 情報の共有範囲 — how widely it may be shared (Council phrases such as 協議会構成員限り =
Council members only, or a TLP label); 確認③ 協議会事務局外への対応調整の要否 — whether the
secretariat should coordinate with anyone outside it (ask members, notify a sender…).

Two modes: ``*_answer`` reads the text written after an item of the fill-in block (a bare 「不要」
= not needed, 「要」 = needed, counts); ``*_free`` reads one sentence of free text and needs both the
topic and a verdict in it. Anything unclear gives None, so the finding stays open. Questions
(「秘密指定の有無についてお知らせください」, our own reply quoted back) are never answers. The words
themselves live in :mod:`intake.checks.answers.vocab`.
"""

from __future__ import annotations

import re

from intake.checks.answers import vocab as v
from intake.checks.answers.mailtext import clauses

REQUESTED, NOT_REQUESTED = "requested", "not_requested"
NO_RESTRICTION = v.NO_RESTRICTION


def _spans(sentence: str, topic: re.Pattern[str]) -> list[str]:
    """Each clause about ``topic``; a clause with no verdict of its own takes the next one too
    (「秘密指定については、不要です」)."""
    parts = clauses(sentence)
    spans = []
    for i, part in enumerate(parts):
        if topic.search(part):
            spans.append(part if i + 1 == len(parts) else f"{part}、{parts[i + 1]}")
    return spans


def _detail(text: str) -> str:
    return text.strip()[:200]


def secret_free(sentence: str) -> tuple[str | None, str | None]:
    """確認① from a sentence of free text: (requested | not_requested | None, detail)."""
    if v.QUESTION.search(sentence):
        return None, None
    if v.DISCLOSURE_OK.search(sentence) and not v.SECRET_TOPIC.search(sentence):
        return NOT_REQUESTED, _detail(sentence)
    verdicts = []
    for span in _spans(sentence, v.SECRET_TOPIC):
        first = clauses(span)[0]
        if v.SECRET_NEG.search(first) or (not v.SECRET_REQ.search(first) and v.SECRET_NEG.search(span)):
            verdicts.append(NOT_REQUESTED)
        elif v.SECRET_REQ.search(span):
            verdicts.append(REQUESTED)
    return _combine(verdicts, sentence)


def says_nothing(text: str) -> bool:
    """Nothing to read after an item: empty, a question (our own reply quoted back), a closing
    (「よろしくお願いいたします」) or an announcement (「以下のとおり回答します」) — no answer, and
    not an unclear one either."""
    return not text.strip() or bool(v.QUESTION.search(text) or v.NO_ANSWER.search(text))


def secret_answer(text: str) -> tuple[str | None, str | None]:
    """確認① from the text after the block's item: free text first, else bare 要 / 不要."""
    if says_nothing(text):
        return None, None
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
    found = _phrase(sentence)
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
    found, tlp = _phrase(text), tlp_of(text)
    if found and not v.SCOPE_LEAD.fullmatch(text[: found[1].start()].strip()):
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
    verdicts = []
    for span in _spans(sentence, v.COORD_TARGET):
        if not (v.COORD_ACTION.search(span) or "調整" in span):
            continue
        topic = clauses(span)[0]
        if _phrase(topic) or "範囲" in topic:
            continue  # 「共有範囲は協議会構成員限りで…」 answers 確認② (who may see it), not 確認③
        if v.COORD_NEG.search(span):
            verdicts.append(NOT_REQUESTED)
        elif v.COORD_REQ.search(span):
            verdicts.append(REQUESTED)
    return _combine(verdicts, sentence)


def coordination_answer(text: str) -> tuple[str | None, str | None]:
    """確認③ from the block: free text first, else bare 要 / 不要, else an action named (but not
    one already done: 「送信元へ連絡済み」 asks for nothing)."""
    if says_nothing(text):
        return None, None
    found = coordination_free(text)
    if found[0]:
        return found
    if v.COORD_NEG.search(text):
        return NOT_REQUESTED, _detail(text)
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
