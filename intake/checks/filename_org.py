"""``filename_org_mismatch``: the organisation in the file name is not the one in the form (Q3 ①).

Compared after NFKC, white-space removal and expanding the abbreviated legal forms of
``[legal_forms]`` (㈱ / (株) = 株式会社 …). Also accepted: the name followed by the department
(2(4) 部署名), and names equal once every legal form is dropped (「テスト」 for 「テスト株式会社」).
"""

from __future__ import annotations

import re
import unicodedata

from intake.checks.base import (
    APPLICATION,
    STAFF_REGISTRATION,
    CheckContext,
    RuleFinding,
    check,
    current_form,
    field_value,
)
from intake.checks.facts import CaseFacts, FormFacts
from intake.checks.names import org_key, org_key_bare

_COPY_SUFFIX = re.compile(r"\s*\(\d{1,2}\)$")  # 「 (1)」 added by browsers to a second download


def org_from_filename(filename: str | None) -> str | None:
    """The organisation in brackets: from the first opening bracket to the last closing one, so
    a name holding brackets itself (「（テスト（株））」) comes out whole."""
    if not filename:
        return None
    stem = unicodedata.normalize("NFKC", filename).strip()
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem)
    stem = _COPY_SUFFIX.sub("", stem)
    start, end = stem.find("("), stem.rfind(")")
    org = stem[start + 1 : end].strip() if 0 <= start < end else ""
    return org or None


def _filename(facts: CaseFacts, form: FormFacts) -> str | None:
    if form.filename:
        return form.filename
    return next((a.filename for a in facts.attachments if a.id == form.attachment_id), None)


def names_match(
    file_org: str, form_org: str, department: str | None, legal: tuple[tuple[str, str], ...]
) -> bool:
    """Whether the organisation in a file name is the form's organisation."""
    key = org_key(file_org, legal)
    wanted = {org_key(form_org, legal)}
    if department:
        wanted.add(org_key(form_org + department, legal))
    if key in wanted:
        return True
    bare = org_key_bare(file_org, legal)
    return bool(bare) and bare == org_key_bare(form_org, legal)


@check("filename_org_mismatch", "The organisation in the file name differs from the one in the form.")
def filename_org_mismatch(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    for document in (APPLICATION, STAFF_REGISTRATION):
        form = current_form(facts, document)
        if form is None:
            continue
        filename = _filename(facts, form)
        file_org = org_from_filename(filename)
        form_org = field_value(form, "org_name")
        if not file_org or not form_org:
            continue
        if not names_match(file_org, form_org, field_value(form, "department"), ctx.data.legal_forms):
            return [
                ctx.finding(
                    "filename_org_mismatch",
                    {
                        "filename": filename,
                        "file_org": file_org,
                        "form_org": form_org,
                    },
                )
            ]
    return []
