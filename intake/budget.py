"""A message's time budget: no single message may hold its mailbox (``[limits] max_message_seconds``).

The poller opens a budget around each message (:func:`message_budget`); the stages that can take
long — parsing and decoding the MIME parts, reading the text for answers, reading a Word form —
call :func:`check` as they go. Past the deadline :func:`check` raises
:class:`~intake.errors.OverBudget`, so the work stops where it stands (nothing is left running in
the background) and the message goes to the quarantine with the time and the stage named. Outside a
budget (staff commands, tests of a stage) :func:`check` costs one lookup and never raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from intake.errors import OverBudget


@dataclass(frozen=True)
class _Budget:
    seconds: float
    deadline: float  # time.monotonic()


_current: ContextVar[_Budget | None] = ContextVar("intake_message_budget", default=None)


@contextmanager
def message_budget(seconds: float | None, *, spent: float = 0.0) -> Iterator[None]:
    """Run the block under a budget of ``seconds`` (None: no budget), ``spent`` of it already used
    (a message read in one step and written in another)."""
    budget = None if seconds is None else _Budget(seconds, time.monotonic() + seconds - spent)
    token = _current.set(budget)
    try:
        yield
    finally:
        _current.reset(token)


def check(stage: str) -> None:
    """Raise :class:`OverBudget` when the message in hand is past its budget; ``stage`` names the
    work in plain words (shown in the quarantine)."""
    budget = _current.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise OverBudget(
            f"took longer than {budget.seconds:g} s ({stage}); set aside so that the rest of the "
            "mailbox goes on — `intake reprocess ID` tries it again"
        )
