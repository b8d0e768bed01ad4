"""Which command lines the quick path may answer: the read-only commands with their simple
options, exactly as staff type them; anything else (``--help``, a subcommand, an option it does
not know, ``--by``) is left to the full command line.

The running service checks every request against the same table, so a client can never make it
run a command that writes.
"""

from __future__ import annotations

from typing import NamedTuple

#: command → (options without a value, options with a value, how many positional arguments at most)
READ_ONLY: dict[str, tuple[frozenset[str], frozenset[str], int]] = {
    "queue": (
        frozenset({"--robots", "--all", "--json"}),
        frozenset({"--status", "--kind", "--mailbox", "--org", "--owner", "--limit"}),
        0,
    ),
    "show": (frozenset({"--json"}), frozenset(), 1),
    "outbox": (frozenset({"--json"}), frozenset({"--state"}), 0),
    "audit": (frozenset({"--json"}), frozenset(), 1),
    "status": (frozenset({"--json"}), frozenset(), 0),
}


class Request(NamedTuple):
    """A read-only command line: the command and its arguments, the ``--config`` given (if any)
    and whether ``--verbose`` asks which path answered."""

    command: list[str]
    config: str | None = None
    verbose: bool = False


def parse(argv: list[str]) -> Request | None:
    """``argv`` as a :class:`Request`, or None when the full command line should take it."""
    config: str | None = None
    verbose = False
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--verbose":
            verbose = True
        elif option == "--config" and rest:
            config = rest.pop(0)
        elif option.startswith("--config="):
            config = option.removeprefix("--config=")
        else:
            return None
    if not rest or not read_only(rest):
        return None
    return Request(command=rest, config=config, verbose=verbose)


def read_only(command: list[str]) -> bool:
    """Whether ``command`` (its name first) is one of :data:`READ_ONLY` with options it knows."""
    if not command or command[0] not in READ_ONLY:
        return False
    flags, valued, most = READ_ONLY[command[0]]
    positional = 0
    args = iter(command[1:])
    for arg in args:
        name = arg.split("=", 1)[0]
        if arg in flags:
            continue
        if name in valued:
            if "=" not in arg and next(args, None) is None:
                return False
        elif arg.startswith("-"):
            return False
        else:
            positional += 1
    return positional <= most
