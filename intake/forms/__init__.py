"""Reading (and, for tests and the demo, writing) the Council's two Word forms.

* 加入申込書（申込み事項変更届） — the membership application (``application``);
* 事務従事者登録届 — the staff registration (``staff_registration``).

The forms are described by data files in ``rules/forms/`` (see :mod:`intake.forms.spec`); the
extractor is driven only by them.

Japanese terms met in this package:

* 加入申込書 — membership application; 申込み事項変更届 — notice of change to it;
* 申込区分 — kind of submission: 新規加入 new membership / 申込み事項の変更 change;
* 区分 — category of organisation; 分野 — critical-infrastructure sector; 法人番号 — 13-digit
  corporate number; 担当者代表（POC） — the organisation's point of contact (item 4(1));
* 事務従事者 — a person registered to handle the Council's secret information; 事務従事者登録届 —
  their registration form, one block per person;
* 申請区分 — application type: 新規 new / 継続 continuing / 廃止 removal; 協議会システム登録 —
  account on the Council system: 要 needed / 不要 not needed; POCとしての登録 — registered as the
  POC: する yes / しない no;
* 提出日 — date of submission (西暦 Western or 令和/平成 era year); 項目番号 — item number such as
  「２（１）」; （例） / 例： — template hints left in a cell.

Public interface: :func:`extract_form` → :class:`ExtractedForm` (``fields``, ``staff``,
``problems``, ``as_json()``); :func:`load_form_specs`; :func:`write_application` and
:func:`write_staff_registration` (tests, demo); :mod:`.naming` for what file names say.
"""

import importlib
from typing import TYPE_CHECKING, Any

from intake.forms.spec import FieldSpec, FormSpec, FormSpecs, load_form_spec, load_form_specs

if TYPE_CHECKING:
    from intake.forms.extract import ExtractedForm, FieldProblem, extract_form, open_docx, read_docx_body
    from intake.forms.values import FieldValue
    from intake.forms.writer import write_application, write_staff_registration

#: The Word reader and writer (and the values they hold, in lxml's pieces), loaded when first used: the form descriptions alone (which name a
#: form's items wherever a case is shown) need neither the document libraries nor the configuration.
_LATER = {
    **dict.fromkeys(
        ("ExtractedForm", "FieldProblem", "extract_form", "open_docx", "read_docx_body"),
        "intake.forms.extract",
    ),
    **dict.fromkeys(("write_application", "write_staff_registration"), "intake.forms.writer"),
    "FieldValue": "intake.forms.values",
}


def __getattr__(name: str) -> Any:
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LATER[name]), name)


__all__ = [
    "ExtractedForm",
    "FieldProblem",
    "FieldSpec",
    "FieldValue",
    "FormSpec",
    "FormSpecs",
    "extract_form",
    "load_form_spec",
    "load_form_specs",
    "open_docx",
    "read_docx_body",
    "write_application",
    "write_staff_registration",
]
