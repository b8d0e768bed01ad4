"""Check boxes and content controls of real .docx files read with the state Word shows.

How the expected states were established: ``d2p__checked-true-false.docx`` labels each legacy
box with its own XML (「default 0」「checked true」…); ``d2p__checked_boxes.docx`` matches the list
its source project's test expects; the content-control states were read from ``w14:checked`` in
the XML and agree with the labels next to them.
"""

from __future__ import annotations

import pytest

from intake.tools.forms_corpus import corpus_report, format_report


@pytest.fixture(scope="module")
def corpus(corpus_dir) -> dict[str, object]:
    return {r.name: r for r in corpus_report(corpus_dir / "docx_forms")}


def test_corpus_legacy_check_box_variants(corpus: dict) -> None:
    report = corpus["d2p__checked-true-false.docx"]  # each box is labelled with its own XML
    states = {b.label: b.ticked for b in report.boxes}
    assert states == {
        "default 0": False,
        "default false": False,
        "checked 0": False,
        "checked false": False,
        "default 1": True,
        "default true": True,
        "checked 1": True,
        "checked true": True,
    }


def test_corpus_real_form_ticks(corpus: dict) -> None:
    report = corpus["d2p__checked_boxes.docx"]
    ticked = [b.label for b in report.boxes if b.ticked]
    assert len(report.boxes) == 44
    assert ticked == [
        "Adult Protective Services",
        "Older Adult Mental Health",
        "Prosecutor’s Office",
        "Regional Center",
        "Coroner/Medical Examiner",
        "Law Enforcement",
        "Civil Attorney/Legal Services",
        "Psychologist",
        "Medical Practitioner",
        "LTC Ombudsman",
        "Public Guardian",
        "Other (describe):",
    ]


def test_corpus_content_controls(corpus: dict) -> None:
    mixed = corpus["d2p__check_drop_my.docx"]
    assert [(b.style, b.ticked, b.label) for b in mixed.boxes] == [
        ("legacy_field", False, "[user unchecked]"),
        ("legacy_field", True, "[user checked]"),
        ("content_control", False, "[my unchecked]"),
        ("content_control", True, "[my checked]"),
    ]
    form = corpus["docxform__test.docx"]
    assert [(b.ticked, b.label) for b in form.boxes] == [
        (False, "Check Box Content Control"),
        (True, "Another Check Box Content Control"),
    ]
    assert ("text", "Plain Text Content Control", False) in form.text_controls
    assert len(form.text_controls) == 10


def test_corpus_errors_are_reported_not_raised(corpus: dict) -> None:
    assert (
        corpus["d2p__strict.docx"].error
        == "Strict Open XML documents are not supported; ask for a normal .docx"
    )
    assert "old binary Word" in corpus["nwe__test07.doc"].error
    assert [name for name, r in corpus.items() if r.error] == ["d2p__strict.docx", "nwe__test07.doc"]
    text = format_report(list(corpus.values()))
    assert "ERROR: Strict Open XML documents are not supported" in text
