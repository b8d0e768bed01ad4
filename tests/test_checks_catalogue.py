"""rules/findings.toml and rules/checks.toml: every code of domain.md has a message; the files load,
and mistakes in them are reported naming the file and the entry."""

from __future__ import annotations

import re
import shutil
import string
import tomllib
from pathlib import Path

import pytest

from intake.checks import load_rules
from intake.checks.registry import REGISTRY
from intake.errors import ConfigError
from support.checks_builders import RULES
from support.codes import DOMAIN_CODES, OWN_CODES

# Severities domain.md states outright.
STATED = {
    "password_pending": "info",
    "staff_registration_not_needed": "info",
    "taskforce_contact": "info",
    "sender_not_on_file": "warning",
    "non_member": "info",
    "individual_applicant": "info",
}


def _raw() -> dict:
    return tomllib.loads((RULES / "findings.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", DOMAIN_CODES + OWN_CODES)
def test_every_domain_code_has_severity_ja_and_en(code: str) -> None:
    entry = _raw()[code]
    assert entry["severity"] in ("missing", "warning", "info")
    assert entry["ja"].strip() and entry["en"].strip()
    assert re.search(r"[ぁ-んァ-ン一-龥]", entry["ja"]), "ja must be Japanese"
    assert entry["ja"].rstrip().endswith(("。", "）")), "one polite sentence"


def test_catalogue_has_nothing_but_domain_and_own_codes() -> None:
    assert set(_raw()) == set(DOMAIN_CODES) | set(OWN_CODES)


@pytest.mark.parametrize("code,severity", sorted(STATED.items()))
def test_severities_stated_by_domain_md(code: str, severity: str) -> None:
    assert _raw()[code]["severity"] == severity


def test_free_mail_variant_raises_individual_applicant_to_warning() -> None:
    assert _raw()["individual_applicant"]["variants"]["free_mail"]["severity"] == "warning"


def test_every_placeholder_is_a_param_some_check_can_fill() -> None:
    names = {
        n
        for entry in _raw().values()
        for msg in [entry, *entry.get("variants", {}).values()]
        for lang in ("ja", "en")
        if lang in msg
        for _, n, _, _ in string.Formatter().parse(msg[lang])
        if n
    }
    known = {
        "filename",
        "expected",
        "problem",
        "file_org",
        "form_org",
        "document",
        "document_en",
        "messages",
        "where",
        "received_on",
        "next_period",
        "next_period_en",
        "field",
        "label",
        "options",
        "ticked",
        "ticked_en",
        "org_name",
        "poc_name",
        "sender_domain",
        "department",
        "departments",
        "value",
        "participation",
        "people",
        "emails",
        "positions",
        "reasons_en",
        "poc_email",
        "count",
        "sender",
        "reason",
        "to",
        "item",
        "line",
        "senders",
        "signers",
        "detail",
        "read",
        "unread",
        "signature",
    }
    assert names <= known, names - known


def test_every_check_in_the_table_exists_and_every_registered_check_is_used() -> None:
    rules = load_rules(RULES)
    used = {name for steps in rules.data.table.values() for step in steps for name in step.checks}
    assert used == set(REGISTRY)
    assert set(rules.data.table) == {"membership", "incident"}


def test_load_rules_is_cached_per_folder() -> None:
    assert load_rules(RULES) is load_rules(RULES)


def test_legal_forms_are_folded_by_nfkc() -> None:
    forms = dict(load_rules(RULES).data.legal_forms)
    assert forms["(株)"] == "株式会社"  # ㈱ and （株） fold to the same key
    assert forms["(一社)"] == "一般社団法人"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_bad_severity_is_reported_with_file_and_entry(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "findings.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('severity = "info"', 'severity = "urgent"', 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"findings\.toml: password_pending\.severity"):
        load_rules(rules)


def test_unknown_check_in_table_is_reported(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "checks.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"non_member"', '"no_such_check"'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"checks\.toml: table\.incident: unknown check 'no_such_check'"):
        load_rules(rules)


def test_missing_message_for_a_used_code_is_reported(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "findings.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[non_member]")
    end = text.index("\n[", start)  # the next entry
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match="no entry for non_member"):
        load_rules(rules)


def test_bad_mailing_list_pattern_is_reported(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "checks.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("'^ml[-_.]'", "'^ml[-_.'"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mailing_list\.patterns"):
        load_rules(rules)


def test_an_edited_message_is_used(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    path = rules / "findings.toml"
    text = path.read_text(encoding="utf-8").replace("{label}をご記入ください。", "{label}が未記入です。")
    path.write_text(text, encoding="utf-8")
    from intake.checks import evaluate
    from support.checks_builders import app_form, good_case

    found = evaluate(good_case(app=app_form(address=None)), rules_dir=rules)
    assert [f.message_ja for f in found] == ["２（５）所在地が未記入です。"]
