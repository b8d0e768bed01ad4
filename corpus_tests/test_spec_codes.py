"""The finding codes of the project's own list are exactly those of the specification's tables
(``spec/domain.md`` beside the corpus folder)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_checks_catalogue import DOMAIN_CODES  # noqa: E402


def test_domain_md_lists_the_same_codes(corpus_dir: Path) -> None:
    domain_md = corpus_dir.parent / "spec" / "domain.md"
    text = domain_md.read_text(encoding="utf-8").split("## Rules", 1)[1].split("## Replies", 1)[0]
    found = {m.group(1).split(":")[0] for m in re.finditer(r"^\| `([a-z_]+(?::[^`]*)?)`", text, re.M)}
    assert found == set(DOMAIN_CODES)
