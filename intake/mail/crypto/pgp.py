"""PGP through the gpg program (python-gnupg): decrypting, verifying and encrypting to a reporter.

The secretariat's key lives in a GnuPG home (``[crypto] gnupg_home``) together with the public keys
of the reporters it knows; its passphrase comes from the environment and goes to gpg through a
pipe (loopback pinentry), never on a command line, in a log or in the database.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path

import gnupg

from intake.mail.crypto.results import BAD, GOOD, NONE, UNKNOWN_KEY, Signature


@dataclass(frozen=True)
class Opened:
    """What gpg made of an armored or binary PGP message."""

    ok: bool  # decrypted (or, for a clear-signed text, read)
    data: bytes
    signature: Signature
    problem: str = ""  # why it could not be decrypted, in plain words


class PgpKeys:
    """The GnuPG home of the secretariat, with the passphrase of its secret key."""

    def __init__(self, *, home: Path, passphrase: str = "") -> None:
        self._gpg = gnupg.GPG(gnupghome=str(home))
        self._gpg.encoding = "utf-8"
        self._passphrase = passphrase

    def __repr__(self) -> str:  # never the passphrase
        return f"PgpKeys(home={self._gpg.gnupghome!r})"

    def open(self, data: bytes) -> Opened:
        """Decrypt an encrypted message, or read a clear-signed one; its signature checked."""
        result = self._gpg.decrypt(data, passphrase=self._passphrase or None)
        signature = self._signature(result)
        if result.ok or signature.state != NONE:
            return Opened(True, bytes(result.data), signature)
        return Opened(False, b"", signature, _problem(result.status))

    def verify_detached(self, signed: bytes, signature: bytes) -> Signature:
        """A PGP/MIME signature (RFC 3156) over the exact bytes of the signed part."""
        fd, name = tempfile.mkstemp(prefix="intake-sig-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(signature)
            return self._signature(self._gpg.verify_data(name, signed))
        finally:
            os.unlink(name)

    def can_sign(self) -> bool:
        """The secret key is there and the passphrase unlocks it (what ``intake doctor`` tries)."""
        if not self._gpg.list_keys(secret=True):
            return False
        return bool(self._gpg.sign(b"intake doctor", passphrase=self._passphrase or None, detach=True).data)

    def has_key_for(self, address: str) -> bool:
        return bool(self._fingerprints(address))

    def encrypt_to(self, data: bytes, address: str) -> bytes | None:
        """``data`` encrypted to the key on file for ``address`` (armored); None when there is none."""
        found = self._fingerprints(address)
        if not found:
            return None
        result = self._gpg.encrypt(data, found, always_trust=True, armor=True)
        return bytes(result.data) if result.ok else None

    def _fingerprints(self, address: str) -> list[str]:
        wanted = address.strip().lower()
        return [
            key["fingerprint"]
            for key in self._gpg.list_keys()
            if any(parseaddr(uid)[1].lower() == wanted for uid in key.get("uids", ()))
            and "e" in key.get("cap", "").lower()
        ]

    def _signature(self, result) -> Signature:
        """What gpg said of a signature; a good one with every address its key vouches for."""
        signature = _signature(result)
        if signature.state != GOOD:
            return signature
        return replace(signature, addresses=self._addresses(result.pubkey_fingerprint or signature.key_id))

    def _addresses(self, fingerprint: str) -> tuple[str, ...]:
        """The e-mail addresses of the key's user IDs, revoked ones left out."""
        if not fingerprint:
            return ()
        listed = self._gpg.list_keys(keys=[fingerprint])
        uids = [uid for key in listed for uid in key.get("uids", ())]
        revoked = {uid for uid in uids if listed.uid_map.get(uid, {}).get("trust") == "r"}
        found = (parseaddr(uid)[1].lower() for uid in uids if uid not in revoked)
        return tuple(dict.fromkeys(a for a in found if a))


def _signature(result) -> Signature:
    problems = [p.get("status", "") for p in getattr(result, "problems", None) or ()]
    signer = parseaddr(result.username or "")[1].lower() if result.username else ""
    if result.valid:
        return Signature(GOOD, signer, result.fingerprint or "")
    if result.status == "signature bad" or "signature bad" in problems:
        return Signature(BAD, signer, result.key_id or "")
    if "no public key" in problems or result.status == "no public key":
        return Signature(UNKNOWN_KEY, signer, result.key_id or "")
    return Signature(NONE)


def _problem(status: str | None) -> str:
    if status == "no secret key":
        return "encrypted to a key the secretariat does not hold"
    if status == "bad passphrase":
        return "the secretariat's key could not be unlocked (passphrase)"
    return f"gpg could not decrypt it ({status or 'no status'})"
