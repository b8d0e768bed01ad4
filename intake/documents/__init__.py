"""Attachments as files: what they are, opening their encryption, converting old Word files.

* :func:`triage` says what a file is from its bytes (never its name);
  :func:`check_zip_limits` refuses zip bombs from declared sizes, and every member read is
  capped again while it inflates (:mod:`.containers`); :mod:`.ooxml` reads a form's XML part.
* :func:`decrypt_office` opens encrypted .docx / .doc with the phoned-in password;
  :func:`open_zip` opens plain and password zips (ZipCrypto, WinZip-AES) with cp932 names.
* :func:`find_soffice` / :func:`convert_doc_to_docx` turn a decrypted .doc into a .docx.
* :func:`check_folder` sweeps a folder of encrypted Office files with their passwords.
"""

from intake.documents.containers import ContainerLimits, check_zip_limits
from intake.documents.corpus_check import CorpusReport, FileResult, check_folder, format_report
from intake.documents.decrypt import ZipMember, decrypt_office, open_zip
from intake.documents.libreoffice import convert_doc_to_docx, find_soffice
from intake.documents.triage import Triage, triage

__all__ = [
    "ContainerLimits",
    "CorpusReport",
    "FileResult",
    "Triage",
    "ZipMember",
    "check_folder",
    "check_zip_limits",
    "convert_doc_to_docx",
    "decrypt_office",
    "find_soffice",
    "format_report",
    "open_zip",
    "triage",
]
