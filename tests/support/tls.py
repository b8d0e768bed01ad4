"""A throwaway certificate authority for TLS tests (IMAPS/STARTTLS, SMTPS, the OAuth2 IdP).

``make_ca(dir)`` writes a CA certificate; ``ca.issue(dir)`` writes a server certificate for
127.0.0.1 and localhost (SAN with both an IP and a DNS entry; Python ignores the CN). Clients trust
it with ``ca.client_context()`` (= ``ssl.create_default_context(cafile=ca.cert_file)``).

For the failure cases:

* wrong host name: ``ca.issue(dir, hosts=("other.example.com",))`` — trusted, but a client that
  connects to 127.0.0.1 gets ``SSLCertVerificationError`` ("IP address mismatch");
* untrusted CA: ``make_ca(other_dir, name="Unrelated CA").issue(...)`` — a client trusting only the
  first CA gets ``SSLCertVerificationError`` ("unable to get local issuer certificate").

Traps: keys are EC P-256 (fast to make; Dovecot, OpenSSL and every client here accept them).
Certificates carry SKI/AKI and key usages, so they also pass the stricter X.509 checks Python
3.13 turns on by default. Files are PEM: certificates 0644, keys 0600 — Dovecot reads both as
root when it starts (before dropping privileges), so a key in a 0700 ``tmp_path`` works; the
folder only needs to exist until the server has started.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("127.0.0.1", "localhost")
_serial = itertools.count(1)


@dataclass(frozen=True)
class ServerCert:
    cert_file: Path
    key_file: Path
    hosts: tuple[str, ...]

    def server_context(self) -> ssl.SSLContext:
        """A server-side context with this certificate (TLS 1.2+)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


@dataclass(frozen=True)
class CA:
    cert_file: Path
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def client_context(self) -> ssl.SSLContext:
        """What a client that trusts only this CA uses (host names are checked)."""
        return ssl.create_default_context(cafile=str(self.cert_file))

    def issue(
        self, dir: Path | str, hosts: tuple[str, ...] = DEFAULT_HOSTS, name: str | None = None
    ) -> ServerCert:
        """Write ``NAME.crt`` / ``NAME.key`` (name defaults to the first host plus a serial) into
        ``dir`` and return their paths. ``hosts`` are IP addresses or DNS names."""
        dir = Path(dir)
        dir.mkdir(parents=True, exist_ok=True)
        serial = next(_serial)
        name = name or f"{hosts[0]}-{serial}"
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = dir / f"{name}.crt", dir / f"{name}.key"
        _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        _write(key_file, _key_pem(key), 0o600)
        return ServerCert(cert_file, key_file, tuple(hosts))


def make_ca(dir: Path | str, name: str = "Intake Test CA") -> CA:
    """A fresh self-signed CA; its certificate is written to ``dir/<name>.crt`` (spaces → '-')."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = dir / f"{name.replace(' ', '-')}.crt"
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return CA(cert_file, cert, key)


def _usage(digital_signature=False, key_cert_sign=False, crl_sign=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    path.write_bytes(data)
    path.chmod(mode)
