"""How each message of a case was authenticated and protected, as ``intake show`` and the desk
print it beside the message (read straight from the table: no mail or crypto library is loaded)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.db.tables import MessageSecurity


def security_by_message(session: Session, case_id: str) -> dict[int, dict]:
    """By message id: authentication verdict, protection, signature, signer, problem."""
    query = select(MessageSecurity).where(MessageSecurity.case_id == case_id)
    return {
        row.message_pk: {
            "authentication": row.auth,
            "authentication_detail": row.auth_detail,
            "protection": row.scheme or None,
            "encrypted": row.encrypted,
            "decrypted": row.decrypted,
            "signature": row.signature or None,
            "signer": row.signer or None,
            "signer_matches_from": row.signer_matches,
            "problem": row.problem or None,
        }
        for row in session.exec(query.order_by(col(MessageSecurity.message_pk)))
    }
