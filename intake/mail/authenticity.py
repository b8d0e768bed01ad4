"""Who really sent a message: DMARC, DKIM and SPF, as our own servers saw them and as checked here.

Two sources of evidence, both optional:

* ``Authentication-Results`` headers (RFC 8601) written by the secretariat's own receiving servers,
  named by their authserv-id (``[trust] authserv_ids``). A sender can write any header, so a header
  with any other authserv-id is ignored, and of ours only the topmost counts (the last hop writes
  it; one lower down may have come with the message).
* On mail read from Exchange Online (Microsoft Graph), the topmost header is the one Exchange
  Online Protection wrote, which carries no authserv-id at all (``spf=pass (…) smtp.mailfrom=…;
  dkim=…; dmarc=… header.from=…; compauth=…``). With ``[trust] exchange_online`` it is believed as
  :data:`EXCHANGE_ONLINE`, and only when it is the topmost: EOP stamps its own above whatever came
  with the message, so a sender's header without an authserv-id is never the topmost one.
* DKIM signatures verified here (``[trust] verify_dkim``) with dkimpy; its DNS lookups go through
  ``dnsfunc``, so tests answer them without a network.

The verdict: ``pass`` when the From domain passes DMARC or an aligned DKIM or SPF pass exists
(aligned: the same organisational domain, DMARC's relaxed mode), ``fail`` when DMARC failed or
nothing aligned passed, ``unknown`` when no evidence was asked for or given at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import lru_cache

import authres
import dkim

log = logging.getLogger(__name__)

DnsFunc = Callable[..., bytes | None]
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
EXCHANGE_ONLINE = "exchange-online"  # the name given to Exchange Online's header, which has none


@dataclass(frozen=True)
class Authenticity:
    verdict: str  # pass | fail | unknown
    from_domain: str
    detail: str = ""  # what the verdict rests on, e.g. "mx.example.jp: dmarc=fail; dkim: none"


@dataclass(frozen=True)
class _Evidence:
    dmarc: str | None  # the trusted server's DMARC result, if it gave one
    passed: tuple[tuple[str, str], ...]  # (method, domain) that passed
    said: tuple[str, ...]  # what each source said, for the detail line


def authenticate(
    raw: bytes,
    *,
    from_addr: str,
    authserv_ids: Iterable[str],
    verify_dkim: bool = False,
    exchange_online: bool = False,
    dnsfunc: DnsFunc | None = None,
) -> Authenticity:
    """The verdict on ``raw``'s From domain (``from_addr`` as parsed). ``exchange_online``: the
    message was read from Exchange Online's store, whose topmost header has no authserv-id."""
    domain = from_addr.rpartition("@")[2].lower().strip(".")
    trusted = {a.lower() for a in authserv_ids} | ({EXCHANGE_ONLINE} if exchange_online else set())
    evidence = [e for e in (_trusted_results(raw, trusted, exchange_online),) if e is not None]
    if verify_dkim:
        evidence.append(_verify_dkim(raw, dnsfunc))
    if not evidence:
        return Authenticity(UNKNOWN, domain, "no trusted Authentication-Results; DKIM not verified here")
    detail = "; ".join(s for e in evidence for s in e.said)
    dmarc = next((e.dmarc for e in evidence if e.dmarc), None)
    if dmarc == "fail":
        return Authenticity(FAIL, domain, detail)
    aligned = [m for e in evidence for m, d in e.passed if domain and aligned_domains(d, domain)]
    if dmarc == "pass" or aligned:
        return Authenticity(PASS, domain, detail)
    return Authenticity(FAIL, domain, f"{detail}; no aligned DKIM or SPF pass for {domain or 'no From'}")


def _trusted_results(raw: bytes, trusted: set[str], exchange_online: bool) -> _Evidence | None:
    """The topmost Authentication-Results header of one of our own servers, read."""
    if not trusted:
        return None
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    for position, value in enumerate(headers.get_all("Authentication-Results", [])):
        text = " ".join(str(value).split())
        if _without_authserv_id(text):
            if not (exchange_online and position == 0):
                continue  # only Exchange Online writes none, and its header is the topmost
            text = f"{EXCHANGE_ONLINE}; {text}"
        try:
            parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {text}")
        except Exception:  # a header authres cannot read is no evidence, whoever wrote it
            log.debug("unreadable Authentication-Results header ignored")
            continue
        server = str(parsed.authserv_id).lower()
        if server not in trusted:
            continue
        return _read_results(server, parsed.results)
    return None


def _without_authserv_id(text: str) -> bool:
    """``spf=pass …`` rather than ``mx.example.jp; spf=pass …``: the first item is a result."""
    first = text.split(";", 1)[0]
    return "=" in first.split("(", 1)[0]


def _read_results(server: str, results) -> _Evidence:
    dmarc, passed, said = None, [], []
    for result in results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in result.properties}
        said.append(f"{server}: {method}={outcome}")
        if method == "dmarc":
            dmarc = dmarc or outcome
        elif method == "dkim" and outcome == "pass":
            passed.append(("dkim", _domain_of(props.get("header.d") or props.get("header.i", ""))))
        elif method == "spf" and outcome == "pass":
            passed.append(("spf", _domain_of(props.get("smtp.mailfrom") or props.get("smtp.helo", ""))))
    return _Evidence(dmarc, tuple(passed), tuple(said) or (f"{server}: none",))


def _verify_dkim(raw: bytes, dnsfunc: DnsFunc | None) -> _Evidence:
    """Every DKIM-Signature of the message verified; the domains whose signature holds."""
    count = sum(1 for name, _ in BytesHeaderParser(policy=compat32).parsebytes(raw).items() if _is_dkim(name))
    passed, said = [], []
    for index in range(count):
        signer = dkim.DKIM(raw, logger=log)
        kwargs = {"dnsfunc": dnsfunc} if dnsfunc is not None else {}
        try:
            ok = signer.verify(idx=index, **kwargs)
        except Exception as exc:  # dkimpy's own errors and DNS failures alike: this signature fails
            log.debug("DKIM signature %d not verified: %s", index, type(exc).__name__)
            ok = False
        domain = signer.domain.decode("ascii", "replace").lower() if signer.domain else "?"
        said.append(f"dkim (here): {'pass' if ok else 'fail'} d={domain}")
        if ok:
            passed.append(("dkim", domain))
    return _Evidence(None, tuple(passed), tuple(said) or ("dkim (here): none",))


def _is_dkim(name: str) -> bool:
    return name.lower() == "dkim-signature"


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].lower().strip(".")


def aligned_domains(one: str, other: str) -> bool:
    """DMARC relaxed alignment: both domains have the same organisational domain."""
    return bool(one) and bool(other) and organisational_domain(one) == organisational_domain(other)


@lru_cache(maxsize=1)
def _suffixes():
    from publicsuffixlist import PublicSuffixList  # the list is read once, when first needed

    return PublicSuffixList()


@lru_cache(maxsize=1024)
def organisational_domain(domain: str) -> str:
    """``mx.sub.example.co.jp`` → ``example.co.jp`` (the Public Suffix List shipped with the library)."""
    domain = domain.lower().strip(".")
    return _suffixes().privatesuffix(domain) or domain
