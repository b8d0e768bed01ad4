"""How intake gets into mail servers: verified TLS, passwords and OAuth2 tokens, and each server's health.

* :mod:`.tls` — the TLS context every connection uses (certificates and host names verified,
  ``ca_file`` for a private CA) and plain words for a refused certificate;
* :mod:`.keys` — the key file that seals secrets at rest (passwords phoned in ahead, refresh tokens);
* :mod:`.tokens` — the sealed token cache, written atomically;
* :mod:`.oauth` — access tokens from a command, Microsoft 365 (MSAL) or Google Workspace;
* :mod:`.login` — what to log in with: a password or a fresh token, for IMAP and SMTP alike;
* :mod:`.smtp` — one SMTP session: verified TLS, login or XOAUTH2, and a close that really closes;
* :mod:`.health` — per mailbox and for SMTP: last success, last error, ``auth_failing``.
"""
