"""TLS for IMAP and SMTP: certificates and host names verified, always; ``ca_file`` adds a private CA.

``security = "none"`` is allowed only to loopback unless ``allow_plaintext = true`` (checked when the
configuration is loaded). A refused certificate is said in plain words with the key that fixes it.
"""

from __future__ import annotations

import socket
import ssl

from intake.config import ServerConfig
from intake.errors import ConfigError


def client_context(server: ServerConfig) -> ssl.SSLContext:
    """The verifying context for ``server``: the system's CAs plus ``ca_file`` when set."""
    context = ssl.create_default_context()
    if server.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(server.ca_file))
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"{server.key('ca_file')}: {server.ca_file} cannot be used: {reason}") from None
    return context


def tls_problem(exc: ssl.SSLError, server: ServerConfig) -> str:
    """One line for a TLS failure: whose certificate, what is wrong with it, and what to do."""
    where = f"{server.host}:{server.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or str(exc)
        if "mismatch" in why.lower():
            return (
                f"the certificate of {where} is not for {server.host!r} ({why}); "
                "set host to a name the certificate carries"
            )
        return (
            f"the certificate of {where} is not trusted ({why}); if your own CA signed it, "
            f"set {server.key('ca_file')} to that CA's certificate"
        )
    return f"TLS with {where} failed ({exc.reason or exc.__class__.__name__})"


def connection_hint(exc: BaseException, server: ServerConfig) -> str:
    """What to change when connecting failed: the host, the port, the firewall, the CA."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        if "mismatch" in (exc.verify_message or "").lower():
            return "set host to a name the server's certificate carries"
        return f"set {server.key('ca_file')} to the certificate of the CA that signed the server's"
    if isinstance(exc, ssl.SSLError):
        return "check security: tls on ports 993/465, starttls on 143/587"
    if isinstance(exc, socket.gaierror):
        return f"check host: {server.host!r} is not a name this machine can resolve"
    if isinstance(exc, ConnectionRefusedError):
        return f"check host and port: nothing listens on {server.host}:{server.port}"
    return "check host, port and the firewall between this machine and the server"


def login_hint(server: ServerConfig) -> str:
    if server.auth == "password":
        return f"check username and the password in ${server.password_env or '(password_env unset)'}"
    if server.auth == "command":
        return "check that token_command prints a valid access token for username"
    return "check the app's mail permission for this user and the token (intake auth status)"
