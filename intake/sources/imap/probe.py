"""``intake doctor`` for an IMAP mailbox: connect, TLS, login, the folders, IDLE and the server's
clock, each tried once; nothing is changed (no folder made, no message marked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from imapclient import IMAPClient

from intake.access.tokens import TokenStore
from intake.config import Config
from intake.errors import ConfigError, SourceError
from intake.sources.base import Probe
from intake.sources.imap.config import ImapMailbox
from intake.sources.imap.reader import connect

CLOCK_SKEW = timedelta(minutes=5)


def probe(mailbox: ImapMailbox, config: Config) -> list[Probe]:
    try:
        client, login = connect(mailbox, TokenStore.for_config(config))
    except (SourceError, ConfigError) as exc:
        return [Probe("fail", str(exc), getattr(exc, "hint", "") or "set the environment variable it names")]
    how = "OAuth2 token" if login.oauth else "password"
    probes = [Probe("ok", f"{mailbox.security} to {mailbox.host}:{mailbox.port}, logged in with a {how}")]
    try:
        probes += _folders(client, mailbox)
    finally:
        client.shutdown()
    return probes


def _folders(client: IMAPClient, mailbox: ImapMailbox) -> list[Probe]:
    if not client.folder_exists(mailbox.folder):
        names = ", ".join(sorted(str(f[2]) for f in client.list_folders())[:10])
        fix = f"create {mailbox.folder!r} on the server, or set folder to one of: {names}"
        return [Probe("fail", f"no folder {mailbox.folder!r}", fix)]
    status = client.select_folder(mailbox.folder, readonly=True)
    probes = [Probe("ok", f"folder {mailbox.folder!r}: {status.get(b'EXISTS', 0)} messages")]
    if mailbox.sent_folder:
        probes.append(_sent_folder(client, mailbox))
    if mailbox.idle and b"IDLE" not in client.capabilities():
        probes.append(Probe("warn", "the server offers no IDLE", "new mail waits up to poll_interval"))
    probes.append(_clock(client))
    return probes


def _sent_folder(client: IMAPClient, mailbox: ImapMailbox) -> Probe:
    """The folder staff's sent mail is read from must exist (nothing in it is read or changed)."""
    sent = mailbox.sent_folder
    if client.folder_exists(sent):
        return Probe("ok", f"sent_folder {sent!r}: found (replies sent from a mail program join their cases)")
    names = ", ".join(sorted(str(f[2]) for f in client.list_folders())[:10])
    return Probe("fail", f"no sent_folder {sent!r}", f"set sent_folder to one of: {names}")


def _clock(client: IMAPClient) -> Probe:
    """The newest message's arrival time (the server's clock) must not lie ahead of ours."""
    uids = client.search(["ALL"])
    if not uids:
        return Probe("ok", "clock: no message to compare with")
    arrived = client.fetch([max(uids)], ["INTERNALDATE"])[max(uids)][b"INTERNALDATE"]
    arrived = arrived.astimezone(UTC) if arrived.tzinfo else arrived.astimezone().astimezone(UTC)
    ahead = arrived - datetime.now(UTC)
    if ahead > CLOCK_SKEW:
        minutes = int(ahead.total_seconds() // 60)
        return Probe(
            "fail",
            f"clock: the server's clock is {minutes} min ahead of this machine's",
            "synchronise this machine's clock (systemd-timesyncd, chrony)",
        )
    return Probe("ok", "clock: in step with the server")
