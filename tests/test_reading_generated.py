"""Generated replies and reports (tests/support/replies_generator.py): six mail programs' quoting
and forwarding × answer styles × positions, each read as its sender meant it — answers only from
the sender's new text, never from a quote of someone else or a forwarded mail; a forwarded or
attached lure's numbered steps are no answer."""

from __future__ import annotations

from collections import Counter

import pytest

from intake.checks import read_confirmations
from intake.mail.html import html_to_text
from support.replies_generator import PROGRAMS, STYLES, Case, lures, replies, reports

REPLIES, REPORTS, LURES = replies(), reports(), lures()


def _read(case: Case) -> tuple:
    answers = read_confirmations([case.text], [case.subject])
    return (answers.secret_designation, answers.sharing_scope, answers.external_coordination), answers.unclear


@pytest.mark.parametrize("case", REPLIES + REPORTS, ids=lambda c: c.id)
def test_generated_reply_is_read_as_meant(case: Case) -> None:
    got, unclear = _read(case)
    assert got == case.expected
    assert unclear == ()


@pytest.mark.parametrize("case", LURES, ids=lambda c: c.id)
def test_a_forwarded_or_attached_lure_answers_nothing(case: Case) -> None:
    assert _read(case) == ((None, None, None), ())


def _as_html(text: str) -> str:
    """The text as an HTML mail program sends it: quoted lines in a blockquote, lines as <div>."""
    out, inside = [], False
    for line in text.split("\n"):
        quoted = line.startswith(">")
        if quoted != inside:
            out.append("<blockquote>" if quoted else "</blockquote>")
            inside = quoted
        body = line[1:].strip() if quoted else line
        out.append(
            f"<div>{body.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;') or '<br>'}</div>"
        )
    return "".join(out) + ("</blockquote>" if inside else "")


HTML = [c for c in REPLIES if "/interleaved/" in c.id or "/bottom/" in c.id][::3]


@pytest.mark.parametrize("case", HTML, ids=lambda c: c.id)
def test_a_generated_reply_sent_as_html_reads_the_same(case: Case) -> None:
    as_html = Case(case.id, html_to_text(_as_html(case.text)), case.subject, case.expected)
    assert _read(as_html) == (case.expected, ())


def test_the_generator_covers_programs_styles_and_positions() -> None:
    cases = REPLIES + REPORTS
    assert len(cases) >= 300
    programs = Counter(c.id.split("/")[0] for c in cases)
    assert set(programs) == {p.name for p in PROGRAMS} and len(programs) == 6
    styles = {c.id.split("/")[1].removeprefix("report-") for c in cases}
    assert set(STYLES) <= styles and any(s.startswith("under-the-quote") for s in styles)
    assert {c.id.split("/")[2] for c in REPLIES} == {"top", "bottom", "interleaved"}
    for position in range(3):  # both verdicts for 確認①③, several scopes
        assert len({c.expected[position] for c in cases}) >= 2
    assert len(LURES) >= 50
