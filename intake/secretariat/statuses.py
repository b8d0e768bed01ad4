"""The statuses a case can be in, in the order a case moves through them (:mod:`intake.secretariat.actions`
says which moves staff may make)."""

STATUSES = (
    "new",
    "waiting_for_password",
    "waiting_for_sender",
    "ready_for_review",
    "accepted",
    "rejected",
    "closed",
)
