"""``intake doctor``'s lines for a Graph mailbox: the app's token, the mailbox, its folders and the
app's permission on them, each tried once with one request and nothing changed."""

from __future__ import annotations

from intake.config import SmtpConfig
from intake.errors import AuthError, ConfigError
from intake.sources.base import Probe
from intake.sources.graph import delta
from intake.sources.graph.client import GraphClient, GraphError, token_for
from intake.sources.graph.config import GraphMailbox
from intake.sources.graph.reader import connect


def probe(mailbox: GraphMailbox) -> list[Probe]:
    where = f"Graph mailbox {mailbox.user} ({mailbox.graph_url})"
    try:
        client = connect(mailbox)
    except ConfigError as exc:
        return [Probe("fail", f"{where}: {exc}", "set the app's client secret the key names")]
    with client:
        lines = [_folder(client, where, mailbox.folder, "folder")]
        if lines[0].state == "ok" and mailbox.sent_folder:
            lines.append(_folder(client, where, mailbox.sent_folder, "sent_folder"))
    return lines


def _folder(client: GraphClient, where: str, folder: str, key: str) -> Probe:
    try:
        found = delta.probe(client, folder)
    except AuthError as exc:
        fix = (
            "check oauth.tenant, oauth.client_id and the client secret, and grant the app Mail.ReadWrite "
            "(and Mail.Send) as application permissions, limited to this mailbox by an Exchange "
            "application access policy or RBAC scope"
        )
        return Probe("fail", f"{where}: token or permission refused ({exc})", fix)
    except GraphError as exc:
        if exc.status == 404:
            fix = f"set {key} to a folder of the mailbox (a well-known name such as Inbox, or a folder id)"
            if "ErrorItemNotFound" not in exc.code:
                fix = f"check username: Graph does not know the mailbox {client.mailbox}"
            return Probe("fail", f"{where}: {key} {folder!r} not found ({exc.code})", fix)
        return Probe(
            "fail", f"{where}: {exc}", "check graph_url and the way out to Graph (proxy, firewall, ca_file)"
        )
    except Exception as exc:  # noqa: BLE001 — no connection, TLS: one line, never a traceback
        fix = "check graph_url and the way out to Graph (proxy, firewall, ca_file)"
        return Probe("fail", f"{where}: unreachable ({type(exc).__name__}: {exc})", fix)
    count = found.get("totalItemCount", "?")
    return Probe("ok", f"{where}: {key} {folder!r} readable ({count} messages)")


def probe_sending(smtp: SmtpConfig) -> Probe:
    """``[smtp] transport = "graph"``: the app's token for sending as ``username`` (whether the
    app may send from that mailbox shows only when it sends: nothing is sent here)."""
    where = f"Graph sendMail as {smtp.username} ({smtp.graph_url})"
    fix = "check [smtp.oauth] tenant, client_id and the client secret, and grant the app Mail.Send"
    try:
        token_for(smtp)()
    except (AuthError, ConfigError) as exc:
        return Probe("fail", f"{where}: no token ({exc})", fix)
    except Exception as exc:  # noqa: BLE001 — the provider unreachable: one line
        return Probe("fail", f"{where}: the sign-in provider is unreachable ({type(exc).__name__})", fix)
    return Probe("ok", f"{where}: token received (Mail.Send is tried by the first reply)")
