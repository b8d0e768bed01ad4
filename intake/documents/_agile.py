"""ECMA-376 agile encryption details that msoffcrypto-tool 6.1 does not check or gets wrong.

* msoffcrypto assumes AES-CBC and silently falls back to SHA-1 for unknown hash names, so a
  file using another cipher would look like a wrong password. :func:`unsupported_reason`
  spots those from the encryption descriptor first.
* Office writes a spin count of 100,000; msoffcrypto accepts up to 10,000,000, about 15 s of
  CPU per attempt. Counts above :data:`MAX_SPIN_COUNT` are refused as unsupported so that a
  hostile file cannot tie up the service.
* When the password hash is shorter than the key (SHA-1, 160 bits, with AES-192/256, as Word
  for Mac 2011 writes), [MS-OFFCRYPTO] 2.3.4.11 pads the derived key with 0x36 bytes;
  msoffcrypto truncates instead and fails with ``ValueError: Invalid key size (160) for AES``
  whatever the password. :func:`secret_key_from_password` derives the key as the
  specification says, for those files only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HASHES = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}
_BLOCK_KEY_ENCRYPTED_KEY = bytes([0x14, 0x6E, 0x0B, 0xE7, 0xAB, 0xAC, 0xD0, 0xD6])
_PASSWORD_KEY_ENCRYPTOR = b"http://schemas.microsoft.com/office/2006/keyEncryptor/password"
MAX_SPIN_COUNT = 1_000_000


def unsupported_reason(descriptor: bytes) -> str | None:
    """Why an agile encryption descriptor (the XML in ``EncryptionInfo``) cannot be opened, or None."""
    if _PASSWORD_KEY_ENCRYPTOR not in descriptor:
        return "it is encrypted for a certificate, not with a password"
    for value in re.findall(rb'cipherAlgorithm="([^"]*)"', descriptor):
        if value != b"AES":
            return f"it uses the {value.decode('ascii', 'replace')} cipher, which cannot be opened"
    for value in re.findall(rb'cipherChaining="([^"]*)"', descriptor):
        if value != b"ChainingModeCBC":
            return f"it uses {value.decode('ascii', 'replace')} chaining, which cannot be opened"
    for value in re.findall(rb'hashAlgorithm="([^"]*)"', descriptor):
        if value.decode("ascii", "replace") not in HASHES:
            return f"it uses the {value.decode('ascii', 'replace')} hash, which cannot be opened"
    for value in re.findall(rb'spinCount="([0-9]{1,12})"', descriptor):
        if int(value) > MAX_SPIN_COUNT:
            return f"its key derivation asks for {int(value):,} rounds, far more than Office uses (limit {MAX_SPIN_COUNT:,})"
    return None


def needs_padded_key(hash_algorithm: str, key_bits: int) -> bool:
    """True when the password hash is shorter than the key, the case msoffcrypto mishandles."""
    return hashlib.new(HASHES[hash_algorithm]).digest_size * 8 < key_bits


def secret_key_from_password(password: str, info: dict[str, Any]) -> bytes:
    """Derive the package key from ``password`` and msoffcrypto's parsed agile ``info``.

    Follows [MS-OFFCRYPTO] 2.3.4.11 / 2.3.4.13: iterated hash of salt + UTF-16LE password,
    final hash with the key-value block key, truncated or padded with 0x36 to ``keyBits``,
    then AES-CBC decryption of ``encryptedKeyValue`` with the password salt as IV.
    """
    name = HASHES[info["passwordHashAlgorithm"]]
    salt: bytes = info["passwordSalt"]
    digest = hashlib.new(name, salt + password.encode("utf-16-le")).digest()
    for i in range(info["spinValue"]):
        digest = hashlib.new(name, i.to_bytes(4, "little") + digest).digest()
    size = info["passwordKeyBits"] // 8
    key = hashlib.new(name, digest + _BLOCK_KEY_ENCRYPTED_KEY).digest()[:size].ljust(size, b"\x36")
    iv = salt[:16].ljust(16, b"\x36")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(info["encryptedKeyValue"]) + decryptor.finalize()
