"""Real keys for encrypted and signed mail, made for the tests: GnuPG homes (the secretariat's key
with a passphrase; a reporter's; a stranger's that claims the reporter's address) and an S/MIME CA
with certificates for the secretariat and a reporter — and builders of the messages they write.

Everyone is invented (example.jp / example.com). The gpg-agent each home starts is stopped again.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import gnupg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

SECRETARIAT = "csc-anken@example.jp"
REPORTER = "taro.yamada@example.com"
PASSPHRASE = "Kagi-no-Aikotoba#2026"  # the secretariat's PGP key passphrase
PASSPHRASE_ENV = "INTAKE_TEST_PGP_PASSPHRASE"


@dataclass
class PgpWorld:
    root: Path
    secretariat: gnupg.GPG  # the secretariat's home: its secret key, the reporter's public key
    reporter: gnupg.GPG  # the reporter's: its secret key, the secretariat's public key
    stranger: gnupg.GPG  # a key the secretariat has never seen, with the reporter's address
    secretariat_fpr: str
    reporter_fpr: str
    stranger_fpr: str
    others: dict[str, gnupg.GPG] = field(default_factory=dict)  # by fingerprint: add_pgp_signer's

    @property
    def home(self) -> Path:
        return Path(self.secretariat.gnupghome)

    def gpg_of(self, fingerprint: str | None) -> gnupg.GPG:
        """The home holding the secret key ``fingerprint`` (the reporter's when None)."""
        if fingerprint == self.stranger_fpr:
            return self.stranger
        return self.others.get(fingerprint or "", self.reporter)

    def stop(self) -> None:
        for gpg in (self.secretariat, self.reporter, self.stranger, *self.others.values()):
            subprocess.run(["gpgconf", "--homedir", gpg.gnupghome, "--kill", "gpg-agent"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _gen(root: Path, name: str, email: str, passphrase: str | None) -> tuple[gnupg.GPG, str]:
    home = root / name
    home.mkdir(mode=0o700)
    gpg = gnupg.GPG(gnupghome=str(home))
    gpg.encoding = "utf-8"
    spec = {"name_real": name, "name_email": email, "key_type": "EDDSA", "key_curve": "ed25519"}
    spec |= {"subkey_type": "ECDH", "subkey_curve": "cv25519", "expire_date": "2y"}
    spec |= {"passphrase": passphrase} if passphrase else {"no_protection": True}
    key = gpg.gen_key(gpg.gen_key_input(**spec))
    assert key.fingerprint, key.stderr
    return gpg, key.fingerprint


def make_pgp_world() -> PgpWorld:
    # A short folder: gpg-agent's socket path must stay under the 108 bytes of a Unix socket name.
    root = Path(tempfile.mkdtemp(prefix="igpg", dir="/tmp"))
    secretariat, s_fpr = _gen(root, "s", SECRETARIAT, PASSPHRASE)
    reporter, r_fpr = _gen(root, "r", REPORTER, None)
    stranger, x_fpr = _gen(root, "x", REPORTER, None)
    secretariat.import_keys(reporter.export_keys(r_fpr))
    for other in (reporter, stranger):
        other.import_keys(secretariat.export_keys(s_fpr))
    return PgpWorld(root, secretariat, reporter, stranger, s_fpr, r_fpr, x_fpr)


def add_pgp_signer(world: PgpWorld, name: str, emails: list[str]) -> str:
    """A reporter whose key has a user ID for each of ``emails``, its public key on file in the
    secretariat's home (a signature by it is good); returns its fingerprint."""
    gpg, fpr = _gen(world.root, name, emails[0], None)
    for email in emails[1:]:
        subprocess.run(
            ["gpg", "--homedir", gpg.gnupghome, "--batch", "--quick-add-uid", fpr, f"{name} <{email}>"],
            check=True,
            capture_output=True,
        )
    world.secretariat.import_keys(gpg.export_keys(fpr))
    gpg.import_keys(world.secretariat.export_keys(world.secretariat_fpr))
    world.others[fpr] = gpg
    return fpr


# ---- messages ------------------------------------------------------------------------------


def _outer(subject: str, sender: str, to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain="example.com")
    return msg


def inner_entity(body: str, attachments: list[tuple[str, bytes]] = ()) -> bytes:
    """The content a reporter protects: a text part (and attachments), without outer headers."""
    inner = EmailMessage()
    inner.set_content(body)
    for name, data in attachments:
        inner.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    for name in ("MIME-Version",):
        del inner[name]
    return inner.as_bytes(policy=SMTP)


def pgp_mime(
    world: PgpWorld,
    body: str,
    *,
    subject="インシデント報告",
    sign_with: str | None = None,
    sender: str = REPORTER,
) -> bytes:
    """RFC 3156 multipart/encrypted from ``sender`` to the secretariat (signed and encrypted when
    ``sign_with`` is a fingerprint: the reporter's, the stranger's or an added signer's)."""
    encrypted = world.gpg_of(sign_with).encrypt(
        inner_entity(body), world.secretariat_fpr, sign=sign_with, always_trust=True, armor=True
    )
    assert encrypted.ok, encrypted.stderr
    return _multipart_encrypted(subject, bytes(encrypted.data), sender)


def pgp_mime_to(world: PgpWorld, gpg: gnupg.GPG, recipient: str, body: str) -> bytes:
    """Encrypted to another key than the secretariat's (a wrong key)."""
    encrypted = gpg.encrypt(inner_entity(body), recipient, always_trust=True, armor=True)
    assert encrypted.ok, encrypted.stderr
    return _multipart_encrypted("インシデント報告（別の鍵）", bytes(encrypted.data))


def _multipart_encrypted(subject: str, armored: bytes, sender: str = REPORTER) -> bytes:
    boundary = "pgp-boundary-0123456789"
    head = _outer(subject, f"山田 太郎 <{sender}>", SECRETARIAT).as_bytes(policy=SMTP).split(b"\r\n\r\n")[0]
    body = (
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{boundary}"\r\n\r\n'
        f"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
        f"--{boundary}\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
        f'--{boundary}\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
    ).encode()
    return head + b"\r\n" + body + armored.replace(b"\n", b"\r\n") + f"\r\n--{boundary}--\r\n".encode()


def pgp_signed(
    world: PgpWorld, body: str, *, tamper: bool = False, signer: str | None = None, sender: str = REPORTER
) -> bytes:
    """RFC 3156 multipart/signed from ``sender``, signed by the reporter (or ``signer``'s fingerprint)."""
    part = inner_entity(body)
    sig = world.gpg_of(signer).sign(part, keyid=signer or world.reporter_fpr, detach=True)
    assert sig.data, sig.stderr
    if tamper:
        part = part.replace(b"Content-Type: text/plain", b"Content-Type: text/plain; x-edited=1", 1)
    boundary = "signed-boundary-0123456789"
    head = _outer("インシデント報告（署名）", f"山田 太郎 <{sender}>", SECRETARIAT).as_bytes(policy=SMTP)
    head = head.split(b"\r\n\r\n")[0]
    mime = (
        f"MIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha512; "
        f'protocol="application/pgp-signature"; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'
    ).encode()
    sig_part = (
        f'\r\n--{boundary}\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\n\r\n'
    ).encode()
    return (
        head
        + b"\r\n"
        + mime
        + part
        + sig_part
        + bytes(sig.data).replace(b"\n", b"\r\n")
        + (f"\r\n--{boundary}--\r\n".encode())
    )


def inline_pgp(world: PgpWorld, body: str, *, attachment: tuple[str, bytes] | None = None) -> bytes:
    """A text body that is an armored PGP message (and an attachment ``NAME.pgp`` encrypted too)."""
    encrypted = world.reporter.encrypt(body.encode(), world.secretariat_fpr, always_trust=True, armor=True)
    msg = _outer("インシデント報告（インラインPGP）", f"山田 太郎 <{REPORTER}>", SECRETARIAT)
    msg.set_content(str(encrypted))
    if attachment:
        name, data = attachment
        blob = world.reporter.encrypt(data, world.secretariat_fpr, always_trust=True, armor=False)
        msg.add_attachment(
            bytes(blob.data), maintype="application", subtype="octet-stream", filename=f"{name}.pgp"
        )
    return msg.as_bytes(policy=SMTP)


# ---- S/MIME --------------------------------------------------------------------------------


@dataclass
class SmimeWorld:
    root: Path
    ca_file: Path
    cert_file: Path  # the secretariat's certificate
    key_file: Path  # and its key (mode 0600)
    reporter_cert: x509.Certificate
    reporter_key: rsa.RSAPrivateKey
    stranger_cert: x509.Certificate  # self-signed, nobody vouches for it
    stranger_key: rsa.RSAPrivateKey
    secretariat_cert: x509.Certificate
    ca_cert: x509.Certificate
    ca_key: rsa.RSAPrivateKey

    def issue(self, name: str, emails: list[str]) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """A certificate of the test CA naming each of ``emails`` (subjectAltName), and its key."""
        key = _key()
        return _cert(name, emails, key, "Example Test CA", self.ca_key), key


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: str, email: str | list[str] | None, key, issuer_name: str, issuer_key, *, ca: bool = False
):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    emails = [email] if isinstance(email, str) else email or []
    if emails:
        names = [x509.RFC822Name(e) for e in emails]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_smime_world(root: Path) -> SmimeWorld:
    ca_key = _key()
    ca = _cert("Example Test CA", None, ca_key, "Example Test CA", ca_key, ca=True)
    sec_key, rep_key, str_key = _key(), _key(), _key()
    sec = _cert("Secretariat", SECRETARIAT, sec_key, "Example Test CA", ca_key)
    rep = _cert("Taro Yamada", REPORTER, rep_key, "Example Test CA", ca_key)
    stranger = _cert("Taro Yamada", REPORTER, str_key, "Taro Yamada", str_key)
    root.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = root / "ca.pem", root / "smime.pem", root / "smime.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(sec.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        sec_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return SmimeWorld(root, ca_file, cert_file, key_file, rep, rep_key, stranger, str_key, sec, ca, ca_key)


def _with_outer(smime: bytes, subject: str, sender: str = REPORTER) -> bytes:
    head = _outer(subject, f"山田 太郎 <{sender}>", SECRETARIAT).as_bytes(policy=SMTP).split(b"\r\n\r\n")[0]
    return head + b"\r\n" + smime.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def smime_enveloped(
    recipient: x509.Certificate, body: str, *, signed_by=None, sender: str = REPORTER
) -> bytes:
    """application/pkcs7-mime enveloped-data for ``recipient`` (signed first when ``signed_by``
    is a (certificate, key) pair, as mail programs do)."""
    content = inner_entity(body)
    if signed_by:
        content = smime_signed_entity(content, *signed_by)
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(content).add_recipient(recipient)
    return _with_outer(
        builder.encrypt(serialization.Encoding.SMIME, []), "インシデント報告（S/MIME暗号化）", sender
    )


def smime_signed_entity(content: bytes, cert, key) -> bytes:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
    return builder.sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])


def smime_signed(cert, key, body: str, *, tamper: bool = False, sender: str = REPORTER) -> bytes:
    """multipart/signed with an application/pkcs7-signature (the common clear-signed S/MIME) from
    ``sender``."""
    signed = smime_signed_entity(inner_entity(body), cert, key)
    if tamper:
        signed = signed.replace(b"Content-Type: text/plain", b"Content-Type: text/plain; x-edited=1", 1)
    return _with_outer(signed, "インシデント報告（S/MIME署名）", sender)


def decoded_text(raw: bytes) -> str:
    """The first text/plain part of a message, decoded (to read what a test built)."""
    msg: Message = message_from_bytes(raw)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""
