"""Where the default ``rules/`` data lives.

In a source checkout it is the top-level ``rules/`` folder; an installed wheel carries the same
folder as ``intake/rules``. Staff who want to edit their own copy point ``rules_dir`` at it.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def default_rules_dir() -> Path:
    """The rules folder shipped with intake."""
    installed = _PACKAGE_DIR / "rules"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "rules"
