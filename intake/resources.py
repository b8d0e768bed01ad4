"""Where the data shipped with intake lives: the default ``rules/`` and the systemd units.

In a source checkout they are the top-level ``rules/`` and ``packaging/`` folders; an installed
wheel carries the same folders as ``intake/rules`` and ``intake/packaging``. Staff who want to edit
their own copy of the rules point ``rules_dir`` at it.
"""

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache  # asked for by every rule of every message: where intake is installed does not move
def default_rules_dir() -> Path:
    """The rules folder shipped with intake."""
    installed = _PACKAGE_DIR / "rules"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "rules"


def packaging_dir() -> Path:
    """The folder of the systemd units shipped with intake (``intake service-unit`` fills them in)."""
    installed = _PACKAGE_DIR / "packaging"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "packaging"
