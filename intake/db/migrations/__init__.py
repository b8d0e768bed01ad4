"""The schema's versioned migrations (Alembic): each revision in ``versions/`` brings a database
one step forward; ``intake init`` applies them all.
"""
