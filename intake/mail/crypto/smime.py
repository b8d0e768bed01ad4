"""S/MIME: enveloped data opened with the secretariat's certificate and key (``cryptography``'s
PKCS#7), signatures checked by the ``openssl cms`` program (``cryptography`` does not verify them).

A signature is ``good`` when it holds and its certificate chains to ``[crypto] smime_ca_file``,
``unknown_key`` when it holds but no CA on file vouches for the signer, ``bad`` when it does not hold.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs7
from cryptography.x509.oid import NameOID

from intake.mail.crypto.results import BAD, GOOD, UNKNOWN_KEY, Signature

OPENSSL_TIMEOUT = 30


class SmimeKeys:
    """The secretariat's S/MIME certificate and private key, and the CAs whose signers it knows."""

    def __init__(self, *, cert: Path, key: Path, passphrase: str = "", ca_file: Path | None = None) -> None:
        self._cert = x509.load_pem_x509_certificate(cert.read_bytes())
        password = passphrase.encode("utf-8") if passphrase else None
        self._key = load_pem_private_key(key.read_bytes(), password=password)
        self._ca_file = ca_file

    def __repr__(self) -> str:  # never the key
        return f"SmimeKeys(cert={self._cert.subject.rfc4514_string()!r})"

    def decrypt(self, der: bytes) -> bytes:
        """The MIME entity inside an enveloped-data blob; ValueError when it is not for us."""
        return pkcs7.pkcs7_decrypt_der(der, self._cert, self._key, [])  # type: ignore[arg-type]

    def verify(self, smime_entity: bytes) -> tuple[Signature, bytes | None]:
        """Check a multipart/signed or signed-data entity; the signed content when it holds."""
        return verify(smime_entity, ca_file=self._ca_file)


def verify(smime_entity: bytes, *, ca_file: Path | None) -> tuple[Signature, bytes | None]:
    with tempfile.TemporaryDirectory(prefix="intake-smime-") as tmp:
        folder = Path(tmp)
        (folder / "in.eml").write_bytes(smime_entity)
        base = ["openssl", "cms", "-verify", "-inform", "SMIME", "-in", str(folder / "in.eml")]
        out = ["-out", str(folder / "content"), "-signer", str(folder / "signer.pem"), "-purpose", "any"]
        if not _openssl([*base, "-noverify", *out]):
            return Signature(BAD, *_signer(folder / "signer.pem")[:2]), None
        content = (folder / "content").read_bytes()
        address, subject, addresses = _signer(folder / "signer.pem")
        known = ca_file is not None and _openssl([*base, "-CAfile", str(ca_file), *out])
        return Signature(GOOD if known else UNKNOWN_KEY, address, subject, addresses), content


def _openssl(argv: list[str]) -> bool:
    done = subprocess.run(argv, capture_output=True, timeout=OPENSSL_TIMEOUT, check=False)
    return done.returncode == 0


def _signer(pem: Path) -> tuple[str, str, tuple[str, ...]]:
    """The signer's e-mail address (the first subjectAltName, else the subject's emailAddress), the
    certificate's subject, and every address the certificate names."""
    if not pem.exists() or not pem.stat().st_size:
        return "", "", ()
    cert = x509.load_pem_x509_certificates(pem.read_bytes())[0]
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = names.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        emails = []
    emails = emails or [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    addresses = tuple(dict.fromkeys(e.lower() for e in emails))
    return (addresses[0] if addresses else ""), cert.subject.rfc4514_string(), addresses
