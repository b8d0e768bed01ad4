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
    addresses: tuple[str, ...] = ()  # every address of the key (its UIDs) or certificate (its SANs)

    def names(self, address: str) -> bool:
        """The key or certificate names ``address`` (in any case) among its addresses."""
        wanted = address.strip().lower()
        return bool(wanted) and wanted in {a.lower() for a in (*self.addresses, self.signer) if a}


@dataclass(frozen=True)
class Protection:
    """How a message was protected and what came of opening it."""

    scheme: str = ""  # "" | pgp_mime | inline_pgp | smime
    encrypted: bool = False
    decrypted: bool = False
    signature: Signature = Signature()
    problem: str = ""  # why something could not be opened (the original is kept either way)

    def signer_matches(self, from_addr: str) -> bool | None:
        """The signer's key or certificate names the From address among its addresses (None when
        there is no signer to compare)."""
        if not self.signature.signer:
            return None
        return self.signature.names(from_addr)

    def signer_for(self, from_addr: str) -> str:
        """The signer's address to show: the From address when the key or certificate names it
        (a key with several addresses), else the one it was signed as."""
        return from_addr.strip().lower() if self.signature.names(from_addr) else self.signature.signer
