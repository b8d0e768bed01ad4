"""The member register as staff change it: a register file imported, an accepted case applied,
rows for export. How the checks look organisations up lives in :mod:`intake.cases.organisations`.
"""

from intake.secretariat.register.accepting import StaffReport, apply_application, apply_staff_registration
from intake.secretariat.register.file import PERSON_FIELDS, REGISTER_COLUMNS, read_register_file
from intake.secretariat.register.importing import ImportReport, import_register
from intake.secretariat.register.rows import register_rows

__all__ = [
    "PERSON_FIELDS",
    "REGISTER_COLUMNS",
    "ImportReport",
    "StaffReport",
    "apply_application",
    "apply_staff_registration",
    "import_register",
    "read_register_file",
    "register_rows",
]
