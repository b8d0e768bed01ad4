"""The database: the engine (SQLite by default, any SQLAlchemy URL), the tables, the migrations,
and :func:`~intake.db.audit.record`, the one way an audit entry is written.
"""

from intake.db.engine import (
    current_revision,
    head_revision,
    make_engine,
    reading,
    require_current,
    session_scope,
    upgrade,
    wipe_deleted,
)

__all__ = [
    "current_revision",
    "head_revision",
    "make_engine",
    "reading",
    "require_current",
    "session_scope",
    "upgrade",
    "wipe_deleted",
]
