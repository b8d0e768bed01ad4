"""Mailboxes read and replies sent through Microsoft Graph, for tenants that turned IMAP and SMTP AUTH off.

:mod:`.client` speaks HTTP to Graph (token, immutable ids, at most four requests in flight per
mailbox, throttling); :mod:`.delta` lists a folder's new messages and downloads and marks them;
:mod:`.sender` sends a reply's MIME with ``sendMail``.
"""
