"""Attachments as files: what they are, opening their encryption, converting old Word files.

* :func:`triage` says what a file is from its bytes (never its name);
  :func:`check_zip_limits` refuses zip bombs from declared sizes, and every member read is
  capped again while it inflates (:mod:`.containers`); :mod:`.ooxml` reads a form's XML part.
* :func:`decrypt_office` (:mod:`.office`) opens encrypted .docx / .doc with the phoned-in
  password; :func:`open_zip` (:mod:`.zips`) opens plain and password zips (ZipCrypto,
  WinZip-AES) with cp932 names.
* :func:`find_soffice` / :func:`convert_doc_to_docx` turn a decrypted .doc into a .docx.
"""

from intake.documents.containers import ContainerLimits, check_zip_limits
from intake.documents.libreoffice import convert_doc_to_docx, find_soffice
from intake.documents.office import decrypt_office
from intake.documents.triage import Triage, triage
from intake.documents.zips import ZipMember, open_zip

__all__ = [
    "ContainerLimits",
    "Triage",
    "ZipMember",
    "check_zip_limits",
    "convert_doc_to_docx",
    "decrypt_office",
    "find_soffice",
    "open_zip",
    "triage",
]
