"""One SMTP session: connect over verified TLS, log in with the password or XOAUTH2, and close for real.

Trap (measured): after QUIT over TLS the close_notify exchange is still running when
``asyncio.run`` closes its loop; the raw socket then leaks (about one STARTTLS session in 60).
:func:`smtp_session` waits until the transport is really closed (at most a second).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosmtplib

from intake.access.login import Login
from intake.access.tls import client_context
from intake.config import SmtpConfig


@asynccontextmanager
async def smtp_session(smtp: SmtpConfig, login: Login | None) -> AsyncIterator[aiosmtplib.SMTP]:
    """Connected (and logged in when ``login`` is given); aiosmtplib's exceptions pass through."""
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        use_tls=smtp.security == "tls",
        start_tls=smtp.security == "starttls",
        tls_context=client_context(smtp) if smtp.security != "none" else None,
        timeout=smtp.timeout,
    )
    protocol = None
    try:
        async with client:
            protocol = client.protocol
            if login is not None:
                secret = login.secret.get_secret_value()
                if login.oauth:
                    await client.auth_xoauth2(login.username, secret)
                else:
                    await client.login(login.username, secret)
            yield client
    finally:
        for _ in range(100):
            if protocol is None or protocol.transport is None:
                break
            await asyncio.sleep(0.01)
