"""The finding codes of the project's own list are exactly those of the specification's tables
(``spec/domain.md`` beside the corpus folder)."""

from __future__ import annotations

import re
from pathlib import Path

from support.codes import DOMAIN_CODES  # the project's own list (pytest's pythonpath holds tests/)


def test_domain_md_lists_the_same_codes(corpus_dir: Path) -> None:
    domain_md = corpus_dir.parent / "spec" / "domain.md"
    text = domain_md.read_text(encoding="utf-8").split("## Rules", 1)[1].split("## Replies", 1)[0]
    found = {m.group(1).split(":")[0] for m in re.finditer(r"^\| `([a-z_]+(?::[^`]*)?)`", text, re.M)}
    assert found == set(DOMAIN_CODES)
