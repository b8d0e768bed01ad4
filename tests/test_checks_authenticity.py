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
