"""The progress line of a long poll: per mailbox, messages done of those found, the rate and the time
left — on a terminal only, and only once a mailbox has more than a few hundred new messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

SHOWN_FROM = 300  # new messages in one mailbox before a line is worth showing


@contextmanager
def poll_progress(console: Console) -> Iterator[Callable[[str, int, int], None] | None]:
    """A callback for :class:`~intake.runner.poller.Poller` (None when not on a terminal)."""
    if not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} msg/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def show(mailbox: str, done: int, found: int) -> None:
            if found < SHOWN_FROM:
                return
            if mailbox not in tasks:
                tasks[mailbox] = progress.add_task(f"mailbox {mailbox}", total=found, rate="-")
            task = tasks[mailbox]
            speed = progress.tasks[task].speed
            progress.update(
                task, completed=done, total=max(found, done), rate=f"{speed:.0f}" if speed else "-"
            )

        yield show
