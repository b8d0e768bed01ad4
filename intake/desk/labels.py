"""Short Japanese labels for finding codes (``rules/labels.toml``), for the review queue."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4)
def _labels(rules_dir: Path) -> dict[str, str]:
    path = rules_dir / "labels.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def short_label(code: str, rules_dir: Path) -> str:
    """「未記入 poc.email」 for ``required_field:poc.email``; the code itself when unlabelled."""
    family, _, field = code.partition(":")
    label = _labels(rules_dir).get(family)
    if label is None:
        return code
    return f"{label} {field}" if field else label
