"""Who really sent it: Authentication-Results of our own servers only, and DKIM verified here
against DNS answers the test gives (no network) — issue 18, point 3."""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from intake.mail.authenticity import aligned_domains, authenticate, organisational_domain
from support.mailfactory import make_mail

OURS = ["mx.example.jp"]
SENDER = "港 一郎 <ichiro.minato@minato-seiko.example.co.jp>"
FROM = "ichiro.minato@minato-seiko.example.co.jp"


def _mail(*results: str) -> bytes:
    raw = make_mail(sender=SENDER, subject="事務従事者の変更")
    return b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results) + raw


@pytest.mark.parametrize(
    "header,verdict",
    [
        ("mx.example.jp; dmarc=fail (p=reject) header.from=minato-seiko.example.co.jp", "fail"),
        ("mx.example.jp; dmarc=pass header.from=minato-seiko.example.co.jp", "pass"),
        ("mx.example.jp; dkim=pass header.d=minato-seiko.example.co.jp; spf=fail", "pass"),
        ("mx.example.jp; spf=pass smtp.mailfrom=bounce@mail.minato-seiko.example.co.jp", "pass"),
        (
            "mx.example.jp; dkim=pass header.d=bulk-mailer.example.com; spf=pass smtp.mailfrom=x@bulk-mailer.example.com",
            "fail",
        ),
        ("mx.example.jp; none", "fail"),
    ],
)
def test_trusted_results_decide(header: str, verdict: str) -> None:
    found = authenticate(_mail(header), from_addr=FROM, authserv_ids=OURS)
    assert found.verdict == verdict
    assert found.from_domain == "minato-seiko.example.co.jp"


def test_a_header_from_an_untrusted_authserv_id_is_ignored() -> None:
    forged = _mail("mx.attacker.example.com; dmarc=pass header.from=minato-seiko.example.co.jp")
    assert authenticate(forged, from_addr=FROM, authserv_ids=OURS).verdict == "unknown"
    # under our own server's failing header, a forged "pass" further down counts for nothing
    both = _mail(
        "mx.example.jp; dmarc=fail header.from=minato-seiko.example.co.jp",
        "mx.example.jp; dmarc=pass header.from=minato-seiko.example.co.jp",
    )
    assert authenticate(both, from_addr=FROM, authserv_ids=OURS).verdict == "fail"


def test_nothing_configured_is_unknown_not_failed() -> None:
    raw = _mail("mx.example.jp; dmarc=fail header.from=minato-seiko.example.co.jp")
    assert authenticate(raw, from_addr=FROM, authserv_ids=[]).verdict == "unknown"


def test_relaxed_alignment_uses_the_public_suffix_list() -> None:
    assert organisational_domain("mail.minato-seiko.example.co.jp") == "example.co.jp"
    assert organisational_domain("news.example.com") == "example.com"
    assert aligned_domains("mail.example.com", "example.com")
    assert not aligned_domains("example.com", "example.net")


class _Dns:
    """DNS answers for dkimpy: the selector's TXT record, as a registrar would publish it."""

    def __init__(self, records: dict[str, bytes]) -> None:
        self.records, self.asked = records, []

    def __call__(self, name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        self.asked.append(name)
        return self.records.get(name.rstrip("."))


def _signed(domain: str, key: rsa.RSAPrivateKey) -> bytes:
    raw = make_mail(sender=f"港 一郎 <ichiro@{domain}>", subject="事務従事者の変更")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return dkim.sign(raw, b"sel1", domain.encode(), pem, include_headers=[b"from", b"subject", b"to"]) + raw


def _record(key: rsa.RSAPrivateKey) -> bytes:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def test_dkim_is_verified_against_injected_dns() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    dns = _Dns({"sel1._domainkey.example.com": _record(key)})
    raw = _signed("example.com", key)
    found = authenticate(raw, from_addr="ichiro@example.com", authserv_ids=[], verify_dkim=True, dnsfunc=dns)
    assert found.verdict == "pass" and "dkim (here): pass d=example.com" in found.detail
    assert dns.asked == ["sel1._domainkey.example.com."] or dns.asked == ["sel1._domainkey.example.com"]

    altered = raw.replace(b"To: kyogikai-shomu@example.jp", b"To: someone-else@example.jp", 1)
    assert altered != raw
    tampered = authenticate(
        altered, from_addr="ichiro@example.com", authserv_ids=[], verify_dkim=True, dnsfunc=dns
    )
    assert tampered.verdict == "fail"

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = _Dns({"sel1._domainkey.example.com": _record(other_key)})
    assert (
        authenticate(
            raw, from_addr="ichiro@example.com", authserv_ids=[], verify_dkim=True, dnsfunc=wrong
        ).verdict
        == "fail"
    )


def test_a_dkim_pass_for_another_domain_is_not_aligned() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    dns = _Dns({"sel1._domainkey.example.net": _record(key)})
    raw = _signed("example.net", key)
    found = authenticate(raw, from_addr="ichiro@example.com", authserv_ids=[], verify_dkim=True, dnsfunc=dns)
    assert found.verdict == "fail" and "no aligned DKIM or SPF pass" in found.detail


def test_unsigned_mail_fails_when_dkim_is_verified_here() -> None:
    raw = make_mail(sender="a@example.com")
    found = authenticate(raw, from_addr="a@example.com", authserv_ids=[], verify_dkim=True, dnsfunc=_Dns({}))
    assert found.verdict == "fail"


EOP = (
    "spf=pass (sender IP is 203.0.113.5) smtp.mailfrom=minato-seiko.example.co.jp; "
    "dkim=pass (signature was verified) header.d=minato-seiko.example.co.jp;"
    "dmarc={dmarc} action=none header.from=minato-seiko.example.co.jp;compauth=pass reason=100"
)


@pytest.mark.parametrize("dmarc,verdict", [("pass", "pass"), ("fail", "fail")])
def test_exchange_onlines_header_without_an_authserv_id_is_read_when_asked(dmarc: str, verdict: str) -> None:
    raw = _mail(EOP.format(dmarc=dmarc))
    assert authenticate(raw, from_addr=FROM, authserv_ids=[], exchange_online=True).verdict == verdict
    # not asked (IMAP, Maildir, or [trust] exchange_online off): a header without an id is no one's
    assert authenticate(raw, from_addr=FROM, authserv_ids=OURS).verdict == "unknown"


def test_a_header_without_an_authserv_id_below_the_topmost_is_never_exchanges() -> None:
    # Exchange stamps its own on top; the sender's "pass" that came with the message is below it
    raw = _mail(EOP.format(dmarc="fail"), EOP.format(dmarc="pass"))
    assert authenticate(raw, from_addr=FROM, authserv_ids=[], exchange_online=True).verdict == "fail"
    forged_below_ours = _mail(
        "mx.example.jp; dmarc=fail header.from=minato-seiko.example.co.jp", EOP.format(dmarc="pass")
    )
    found = authenticate(forged_below_ours, from_addr=FROM, authserv_ids=OURS, exchange_online=True)
    assert found.verdict == "fail"
