"""Encrypted and signed mail: PGP/MIME (RFC 3156), inline PGP and S/MIME, opened before parsing.

:func:`open_protected` takes the raw bytes of a message and returns the bytes the rest of intake
reads — the same headers (From, Subject, Message-ID …) over the decrypted, unwrapped content — with
what it found (:class:`Protection`). The archive keeps the original bytes only; reading a message
again from the archive opens it again. A message that cannot be opened comes back unchanged, with
the reason, so nothing is lost and staff see why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from intake.config import CryptoConfig
from intake.mail.crypto.inline import open_inline
from intake.mail.crypto.mime import body_of, content_type, exact_parts, outer_headers
from intake.mail.crypto.pgp import PgpKeys
from intake.mail.crypto.results import BAD, NONE, UNKNOWN_KEY, Protection, Signature
from intake.mail.crypto.smime import SmimeKeys
from intake.mail.crypto.smime import verify as verify_smime
from intake.mail.structure import may_be_protected

__all__ = ["Keys", "PgpKeys", "Protection", "Signature", "SmimeKeys", "keys_from_config", "open_protected"]

MAX_LAYERS = 4  # signed inside encrypted inside signed …: deeper than this is left as it is


@dataclass(frozen=True)
class Keys:
    pgp: PgpKeys | None = None
    smime: SmimeKeys | None = None
    smime_ca_file: Path | None = None


def keys_from_config(crypto: CryptoConfig) -> Keys:
    """The keys ``[crypto]`` names (loaded once per process and configuration)."""
    env = os.environ
    return _keys(
        crypto.gnupg_home,
        env.get(crypto.passphrase_env, "") if crypto.passphrase_env else "",
        crypto.smime_cert,
        crypto.smime_key,
        env.get(crypto.smime_passphrase_env, "") if crypto.smime_passphrase_env else "",
        crypto.smime_ca_file,
    )


@lru_cache(maxsize=4)
def _keys(home, passphrase, cert, key, smime_passphrase, ca_file) -> Keys:
    pgp = PgpKeys(home=home, passphrase=passphrase) if home is not None else None
    smime = None
    if cert is not None and key is not None:
        smime = SmimeKeys(cert=cert, key=key, passphrase=smime_passphrase, ca_file=ca_file)
    return Keys(pgp=pgp, smime=smime, smime_ca_file=ca_file)


def open_protected(raw: bytes, keys: Keys) -> tuple[bytes, Protection]:
    """The readable message and what protected it; ``raw`` itself when nothing did."""
    if not may_be_protected(raw):
        return raw, Protection()
    entity, found = raw, Protection()
    for _ in range(MAX_LAYERS):
        opened, found = _open_layer(entity, keys, found)
        if opened is None:
            break
        entity = opened
    entity, found = open_inline(entity, keys.pgp, found)
    if entity is raw:
        return raw, found
    return outer_headers(raw) + entity, found


def _open_layer(entity: bytes, keys: Keys, found: Protection) -> tuple[bytes | None, Protection]:
    """One layer of protection taken off (None: this entity is not protected, or not for us)."""
    ctype, params = content_type(entity)
    protocol = params.get("protocol", "").lower()
    if ctype == "multipart/encrypted" and "pgp-encrypted" in protocol:
        return _pgp_mime(entity, keys, found)
    if ctype == "multipart/signed" and "pgp-signature" in protocol:
        return _pgp_signed(entity, keys, found)
    if ctype == "multipart/signed" and "pkcs7-signature" in protocol:
        signature, _ = verify_smime(entity, ca_file=keys.smime_ca_file)
        signed = exact_parts(entity)
        return (signed[0] if signed else None), _signed(found, "smime", signature)
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        return _smime_blob(entity, params.get("smime-type", "").lower(), keys, found)
    return None, found


def _pgp_mime(entity: bytes, keys: Keys, found: Protection) -> tuple[bytes | None, Protection]:
    found = replace(found, scheme=found.scheme or "pgp_mime", encrypted=True)
    parts = exact_parts(entity)
    if len(parts) < 2:
        return None, replace(found, problem="PGP/MIME message without its encrypted part")
    if keys.pgp is None:
        return None, replace(
            found, problem="PGP-encrypted, and no PGP key is configured ([crypto] gnupg_home)"
        )
    opened = keys.pgp.open(body_of(parts[1]))
    if not opened.ok:
        return None, replace(found, problem=opened.problem)
    return opened.data, _signed(replace(found, decrypted=True), "pgp_mime", opened.signature)


def _pgp_signed(entity: bytes, keys: Keys, found: Protection) -> tuple[bytes | None, Protection]:
    parts = exact_parts(entity)
    if len(parts) < 2:
        return None, _signed(found, "pgp_mime", Signature(BAD))
    if keys.pgp is None:
        return parts[0], _signed(found, "pgp_mime", Signature(UNKNOWN_KEY))
    signature = keys.pgp.verify_detached(canonical(parts[0]), body_of(parts[1]))
    return parts[0], _signed(found, "pgp_mime", signature)


def _smime_blob(
    entity: bytes, smime_type: str, keys: Keys, found: Protection
) -> tuple[bytes | None, Protection]:
    if smime_type in ("signed-data", "signeddata"):
        signature, content = verify_smime(entity, ca_file=keys.smime_ca_file)
        return content, _signed(found, "smime", signature)
    found = replace(found, scheme=found.scheme or "smime", encrypted=True)
    if keys.smime is None:
        return None, replace(
            found, problem="S/MIME-encrypted, and no certificate is configured ([crypto] smime_cert)"
        )
    try:
        content = keys.smime.decrypt(body_of(entity))
    except ValueError:
        return None, replace(
            found, problem="S/MIME-encrypted for a certificate the secretariat does not hold"
        )
    return content, replace(found, decrypted=True)


def _signed(found: Protection, scheme: str, signature: Signature) -> Protection:
    """Record a signature; a bad one is never hidden by a good one found in another layer."""
    keep = found.signature if found.signature.state == BAD else signature
    if signature.state == NONE:
        keep = found.signature
    return replace(found, scheme=found.scheme or scheme, signature=keep)


def canonical(data: bytes) -> bytes:
    """Line ends as CRLF, as signatures over MIME parts are made (RFC 3156 §5)."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
