"""``password_in_email``: the password was written in the mail (Q3 ③ asks for it by phone).

:func:`find_password` looks for a password keyword (パスワード, パス, PW, P/W, pass, password,
passcode, 暗証番号 = PIN) followed by a value: after 「：」 / 「:」 / 「は」 / 「=」 / "is", after a
【パスワード】 heading (the value may be on the next line), or in 「」 quotes. The value must look
like a password (printable ASCII, 4–64 characters, not a common word); announcements such as
「パスワードは別途お電話でお知らせします」 or 「パスワード付きzip」 are not passwords. Staff are warned;
the password is never used automatically, and never quoted.
"""

from __future__ import annotations

from intake.checks.base import CheckContext, RuleFinding, check
from intake.mail.passwords import password_candidates


def find_password(text: str) -> bool:
    """True when the text seems to carry a password."""
    return bool(password_candidates(text))


@check("password_in_email", "A message of the case carries the password in its text (it must come by phone).")
def password_in_email(facts, ctx: CheckContext) -> list[RuleFinding]:
    where = [
        "subject" if find_password(m.subject) else "text"
        for m in facts.messages
        if find_password(m.subject) or find_password(m.text)
    ]
    if not where:
        return []
    return [
        ctx.finding(
            "password_in_email", {"messages": str(len(where)), "where": ", ".join(dict.fromkeys(where))}
        )
    ]
