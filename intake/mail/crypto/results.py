"""What opening a protected message found: the signature and the protection, as plain values."""

from __future__ import annotations

from dataclasses import dataclass

GOOD, BAD, UNKNOWN_KEY, NONE = "good", "bad", "unknown_key", ""


@dataclass(frozen=True)
class Signature:
    """A signature as checked: ``good`` / ``bad`` / ``unknown_key`` (nobody on file vouches for the
    key or certificate), or ``""`` when the message was not signed."""

    state: str = NONE
    signer: str = ""  # the signer's e-mail address, as the key or certificate names it
    key_id: str = ""  # PGP fingerprint or key id, or the certificate's subject


@dataclass(frozen=True)
class Protection:
    """How a message was protected and what came of opening it."""

    scheme: str = ""  # "" | pgp_mime | inline_pgp | smime
    encrypted: bool = False
    decrypted: bool = False
    signature: Signature = Signature()
    problem: str = ""  # why something could not be opened (the original is kept either way)

    def signer_matches(self, from_addr: str) -> bool | None:
        """The signer is the From address (None when there is no signer to compare)."""
        if not self.signature.signer:
            return None
        return self.signature.signer.lower() == from_addr.strip().lower()
