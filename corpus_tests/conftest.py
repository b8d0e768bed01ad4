"""The real-world corpus lives outside the project (``INTAKE_CORPUS``, laid out like
shared/corpus); these tests run only when it is given, from ``scripts/corpus-checks``."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    folder = Path(os.environ.get("INTAKE_CORPUS", ""))
    if not (folder / "docx_forms").is_dir():
        pytest.fail("set INTAKE_CORPUS to a folder laid out like shared/corpus")
    return folder
