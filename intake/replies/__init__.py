"""Replies to senders: composing them from staff-editable templates, queueing them safely in the
outbox, and delivering them over SMTP.

- :mod:`intake.replies.calendar` — Japanese business days (営業日) for the expected registration date.
- :mod:`intake.replies.compose` — subject, threading headers and body of one reply.
- :mod:`intake.replies.outbox` — loop safety and queueing, in the caller's transaction.
- :mod:`intake.replies.sender` — delivery with retries.
"""
