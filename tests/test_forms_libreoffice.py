"""The round trip again, after LibreOffice has opened and re-saved each document.

Applicants (and the secretariat) do use LibreOffice; it rewrites a lot: check-box content controls
get wrapped in a second control, Wingdings symbols become private-use characters in a Wingdings
run, legacy check boxes lose their default, runs and properties are rewritten. The values must
come out the same. Needs ``soffice`` (Debian: libreoffice-writer-nogui); skipped only when it is
missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from intake.forms import extract_form, write_application, write_staff_registration
from intake.forms.wordxml import CHECKBOX_STYLES
from support.samples import PEOPLE, application, expected_application, expected_staff, specs

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

DEFECTIVE_APP = application(
    roster_publication=None,
    receive_secrets=["希望する", "希望しない"],
    department=None,
    poc_phone="０３－１１１１－２２２２",
)
DEFECTIVE_PEOPLE = [
    dict(PEOPLE[0], application_type=None),
    dict(PEOPLE[1], poc=["する", "しない"]),
    PEOPLE[2],
]


def _cases() -> dict[str, tuple[bytes, dict[str, Any], dict[str, list[str]]]]:
    """name → (document bytes, expected as_json(), expected problems)."""
    cases: dict[str, tuple[bytes, dict[str, Any], dict[str, list[str]]]] = {}
    clean_app = application()
    for style in CHECKBOX_STYLES:
        for layout in ("label_value", "number_label_value"):
            data = write_application(clean_app, checkbox_style=style, layout=layout)
            cases[f"app-{style}-{layout}"] = (data, expected_application(clean_app), {})
        for layout in ("blocks", "wide"):
            data = write_staff_registration("テスト株式会社", PEOPLE, checkbox_style=style, layout=layout)
            cases[f"staff-{style}-{layout}"] = (data, expected_staff(PEOPLE, "テスト株式会社"), {})
        # not text_controls=True: LibreOffice 7.4 itself corrupts plain-text content controls holding
        # Japanese text when it saves a .docx (the text comes back repeated, in LibreOffice too)
        data = write_application(DEFECTIVE_APP, checkbox_style=style, hints=True, tracked=True)
        expected = expected_application(
            dict(DEFECTIVE_APP, poc=dict(DEFECTIVE_APP["poc"], phone="03-1111-2222"))
        )
        cases[f"app-defects-{style}"] = (
            data,
            expected,
            {
                "roster_publication": ["no box ticked"],
                "receive_secrets": ["two boxes ticked: 希望する, 希望しない"],
            },
        )
        data = write_staff_registration(
            "テスト株式会社",
            DEFECTIVE_PEOPLE,
            checkbox_style=style,
            heading="row",
            one_table=True,
            heading_numbers=[1, 1, 1],
            empty_blocks=1,
            hints=True,
            fullwidth=True,
        )
        cases[f"staff-defects-{style}"] = (
            data,
            expected_staff(DEFECTIVE_PEOPLE, "テスト株式会社"),
            {
                "staff[1].application_type": ["no box ticked"],
                "staff[2].poc": ["two boxes ticked: する, しない"],
            },
        )
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def resaved() -> dict[str, bytes]:
    """Every case converted by ``soffice --headless --convert-to docx`` (one run, own profile)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="intake-lo-") as tmp:
        src, out = Path(tmp, "in"), Path(tmp, "out")
        src.mkdir()
        for name, (data, _, _) in CASES.items():
            (src / f"{name}.docx").write_bytes(data)
        profile = Path(tempfile.gettempdir(), f"intake-lo-profile-{uuid.uuid4().hex}")
        try:
            subprocess.run(
                [
                    SOFFICE,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    str(out),
                    *sorted(str(p) for p in src.iterdir()),
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        return {p.stem: p.read_bytes() for p in out.glob("*.docx")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_survive_libreoffice(resaved: dict[str, bytes], name: str) -> None:
    original, expected, expected_problems = CASES[name]
    data = resaved[name]
    assert data != original  # LibreOffice really rewrote it
    form = extract_form(data, specs=specs())
    assert form.document == ("application" if name.startswith("app") else "staff_registration")
    assert form.org_name == "テスト株式会社"
    assert form.as_json() == expected
    found: dict[str, list[str]] = {}
    for problem in form.problems:
        found.setdefault(problem.field, []).append(problem.problem)
    assert found == expected_problems
