"""The text our own incident replies carry: the fill-in block of Q24 確認①②③ the reporter answers
on (:mod:`intake.checks.answers.confirmations` reads it), and the lines by which a quote of our
mail is told from anyone else's (:mod:`intake.mail.segments`)."""

from __future__ import annotations

CONFIRMATION_BLOCK = """\
━━━━━━━━━━━━ ご回答欄 ━━━━━━━━━━━━
このメールにご返信のうえ、各項目の「：」の後にご記入ください。
確認①（秘密指定の有無）：
確認②（情報の共有範囲）：
確認③（協議会事務局外への対応調整の要否）：
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
"""

# Text only our own mail carries: a quote holding it is a quote of ours (intake.mail.segments).
OUR_MARKERS = (
    CONFIRMATION_BLOCK.splitlines()[0].strip("━ "),
    CONFIRMATION_BLOCK.splitlines()[1],
    "ご回答欄にご記入ください",
)
