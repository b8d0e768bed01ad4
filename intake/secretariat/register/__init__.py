"""The member register as staff change it: a register file imported, an accepted case applied,
rows for export. How the checks look organisations up lives in :mod:`intake.cases.organisations`.
"""

from intake.secretariat.register.accepting import (
    REGISTER_KINDS,
    StaffReport,
    apply_application,
    apply_case,
    apply_staff_registration,
    preview_case,
)
from intake.secretariat.register.changes import RowChange, Rows, diff, restore, same_rows, snapshot
from intake.secretariat.register.file import PERSON_FIELDS, REGISTER_COLUMNS, read_register_file
from intake.secretariat.register.importing import ImportReport, import_register
from intake.secretariat.register.rows import register_rows

__all__ = [
    "PERSON_FIELDS",
    "REGISTER_KINDS",
    "RowChange",
    "Rows",
    "apply_case",
    "diff",
    "preview_case",
    "restore",
    "same_rows",
    "snapshot",
    "REGISTER_COLUMNS",
    "ImportReport",
    "StaffReport",
    "apply_application",
    "apply_staff_registration",
    "import_register",
    "read_register_file",
    "register_rows",
]
