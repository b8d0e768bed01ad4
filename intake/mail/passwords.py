"""The passwords a mail's text seems to give: a password keyword (パスワード, パス, PW, P/W, pass,
password, passcode, 暗証番号 = PIN) followed by a value — after 「：」 / 「:」 / 「は」 / 「=」 / "is",
after a 【パスワード】 heading (the value may be on the next line), or in 「」 quotes — that looks like
a password (printable ASCII, 4–64 characters, not a common word).

Plain text in, strings out (the standard library only): the ``password_in_email`` check, the
unlocking of a waiting file with a mail's password, the search index (which leaves them out) and
``intake show`` (which masks them) read the same candidates.
"""

from __future__ import annotations

import re
import unicodedata

_KEYWORD = (
    r"(?:パスワード|パスコード|暗証番号|パス"
    r"|(?<![A-Za-z])(?:password|passwd|passcode|pass|pwd|pw|p/w)(?![A-Za-z]))"
)
_KEYWORD_EN = r"(?<![A-Za-z])(?:password|passwd|passcode|pwd|pw)(?![A-Za-z])"
_QUALIFIER = (  # 「パスワード（解凍用）」, 【パスワード通知】, 「パスワードのお知らせ」
    r"(?:\s*\([^()\n]{0,15}\))?(?:の?(?:通知|お知らせ|ご連絡|ご案内))?"
)
_SEP = r"(?:\s*(?:[:=]|は|】|\]|→|⇒|\bis\b)\s*(?:\n\s*)?)"
_INTRO = (  # 「パスワードは以下のとおりです。」 then the value
    r"(?:\s*(?:は|:)?\s*(?:以下|下記|次)の?(?:とおり|通り)(?:です|になります|となります)?\s*[。:]?\s*(?:\n\s*)?)"
)
_VALUE = r"[「『\"'“]?(?P<value>[!-~]{4,64}?)(?=$|[\s、。,」』\"'”)）]|です|となります|になります|で)"
_FLAGS = re.IGNORECASE | re.MULTILINE
_WITH_SEP = re.compile(rf"{_KEYWORD}{_QUALIFIER}(?:{_INTRO}|{_SEP}){_VALUE}", _FLAGS)
_BRIDGE = re.compile(rf"{_KEYWORD_EN}[ \t][^\n:。]{{0,40}}?(?:\s(?:is|are)\s+|:\s*){_VALUE}", _FLAGS)
_WITH_SPACE = re.compile(rf"{_KEYWORD}{_QUALIFIER}[ \t]+{_VALUE}", _FLAGS)

_NOT_PASSWORDS = frozenset(
    """
will shall would should can could may might must is are was were be been being to for by via of
with from on in at the a an and or not no none please kindly sent send sending separately later
below above follows following here there this that protected protection required attached set
enabled file files zip word excel office docx pdf phone telephone call email mail tel fax
same usual unknown tbd n/a xxxx ****
""".split()
)


def password_candidates(text: str) -> list[str]:
    """The strings the text seems to give as a password, most likely first, each once (full-width
    characters folded: 「ＰＷ：Ａｂｃ１２３４」 gives ``Abc1234``). For staff to *try* on a waiting file
    (:mod:`intake.cases.password_mail`): never stored, logged or shown."""
    folded = unicodedata.normalize("NFKC", text or "")
    found = [
        value
        for pattern, strong in ((_WITH_SEP, True), (_BRIDGE, True), (_WITH_SPACE, False))
        for m in pattern.finditer(folded)
        if _plausible(value := m.group("value").strip(".,;:"), strong=strong)
    ]
    return list(dict.fromkeys(found))


def _plausible(value: str, *, strong: bool) -> bool:
    """A value that could be a password. After a plain space it must also contain a digit or a
    symbol (「PW abc123」 yes, 「password protected」 no)."""
    if len(value) < 4 or value.lower() in _NOT_PASSWORDS:
        return False
    if re.fullmatch(r"[*xX●・.\-_]+", value) or value.lower().startswith(("http", "www.", "mailto")):
        return False
    if "@" in value and "." in value.partition("@")[2]:
        return False  # an e-mail address
    if "\\" in value or value.startswith("/"):
        return False  # a file path
    if strong:
        return True
    return bool(re.search(r"\d", value) or re.search(r"[^A-Za-z0-9]", value))
