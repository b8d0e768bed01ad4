"""The staff-only findings of issue 18, as functions of the case facts: sender_not_authenticated,
signature_bad and message_undecryptable (warnings: never in the sender's checklist)."""

from __future__ import annotations

from intake.checks.facts import SecurityFacts
from support.checks_builders import codes, good_case, incident_case, only, run

SENDER = "poc@example.co.jp"


def _security(**changes) -> SecurityFacts:
    return SecurityFacts(**({"message_id": 1, "sender": SENDER, "auth": "pass"} | changes))


def test_a_failed_authentication_is_a_warning_for_staff() -> None:
    facts = good_case(security=(_security(auth="fail", auth_detail="mx.example.jp: dmarc=fail"),))
    finding = only(run(facts), "sender_not_authenticated")
    assert finding.severity == "warning"
    assert SENDER in finding.message_en and "dmarc=fail" in finding.message_en


def test_passing_or_unknown_authentication_says_nothing() -> None:
    for auth in ("pass", "unknown"):
        assert "sender_not_authenticated" not in codes(run(good_case(security=(_security(auth=auth),))))


def test_bad_signature_and_undecryptable_mail_on_an_incident() -> None:
    facts = incident_case(
        "確認①：不要　確認②：協議会構成員限り　確認③：不要",
        security=(
            _security(scheme="pgp_mime", signature="bad", signer="taro@example.com"),
            _security(message_id=2, scheme="smime", encrypted=True, problem="encrypted to another key"),
        ),
    )
    found = run(facts)
    assert only(found, "signature_bad").severity == "warning"
    assert "taro@example.com" in only(found, "signature_bad").message_en
    assert "encrypted to another key" in only(found, "message_undecryptable").message_en
    assert not any(f.severity == "missing" for f in found)


def test_a_valid_signature_by_another_address_is_a_warning_naming_both() -> None:
    other = _security(scheme="smime", signature="good", signer="hanako@example.com", signer_matches=False)
    finding = only(run(good_case(security=(other,))), "signer_not_sender")
    assert finding.severity == "warning"
    for text in (finding.message_ja, finding.message_en):
        assert "hanako@example.com" in text and SENDER in text


def test_no_signer_finding_for_a_matching_signer_or_a_signature_that_is_not_valid() -> None:
    for signature, matches in (("good", True), ("good", None), ("unknown_key", False), ("bad", False)):
        security = _security(
            scheme="pgp_mime", signature=signature, signer="x@example.com", signer_matches=matches
        )
        assert "signer_not_sender" not in codes(run(good_case(security=(security,))))
