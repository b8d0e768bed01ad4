"""Sweep a mail corpus through intake's parser and robot filter, and print what happened.

Usage: python scripts/check_robots_corpus.py CORPUS_DIR

CORPUS_DIR holds ``emails_autoreply_bounce/``, ``emails_japanese/`` and ``emails_malformed/``, each
with a ``MANIFEST.tsv`` (file name in the first column, a note in the last). The corpus is read from
where it lies; nothing is copied. Exit status 1 when a goal is missed: an exception other than
intake's MessageError family, fewer than 98 % of robots flagged, a human-labelled message flagged,
or U+FFFD / a raw encoded word in a subject or attachment name of ``emails_japanese``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path

from intake.errors import MessageError
from intake.mail import AUTOMATED, ParsedMessage, no_reply_reason, parse_message, read_delivery_report

FOLDERS = ("emails_autoreply_bounce", "emails_japanese", "emails_malformed")
HUMAN_NOTE = re.compile(r"negative control|human message", re.IGNORECASE)
ROBOT_TARGET = 98.0


def manifest(folder: Path) -> dict[str, str]:
    """File name -> note, from the folder's MANIFEST.tsv."""
    with (folder / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return {row[0]: row[-1] for row in rows[1:] if row}


def mangled_names(msg: ParsedMessage) -> list[str]:
    """The subject and attachment names holding U+FFFD or an undecoded encoded word."""
    names = [msg.subject] + [a.filename for a in msg.attachments if a.filename]
    return [name for name in names if "\ufffd" in name or "=?" in name]


def sweep(folder: Path) -> tuple[dict[str, ParsedMessage], Counter[str], list[str]]:
    """Parse every message listed in the manifest; returns parsed, outcome counts, surprises."""
    parsed: dict[str, ParsedMessage] = {}
    outcomes: Counter[str] = Counter()
    surprises: list[str] = []
    for name, note in manifest(folder).items():
        if note.startswith("README"):
            continue
        try:
            parsed[name] = parse_message((folder / name).read_bytes())
            outcomes["parsed"] += 1
        except MessageError as exc:
            outcomes[f"raised {type(exc).__name__}"] += 1
            print(f"    {name}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # the point of the sweep is to find these
            outcomes[f"raised {type(exc).__name__} (UNEXPECTED)"] += 1
            surprises.append(f"{name}: {type(exc).__name__}: {exc}")
    return parsed, outcomes, surprises


def report_robots(parsed: dict[str, ParsedMessage], notes: dict[str, str]) -> bool:
    """Print robot-filter results for the bounce folder; True when its goals are met."""
    reasons: Counter[str] = Counter()
    human_flagged, missed = [], []
    robots = flagged_robots = 0
    for name, msg in parsed.items():
        reason = no_reply_reason(msg)
        human = bool(HUMAN_NOTE.search(notes.get(name, "")))
        if reason:
            reasons[reason] += 1
        if human:
            if reason:
                human_flagged.append(f"{name} ({reason}): {msg.subject!r}")
            continue
        robots += 1
        if reason:
            flagged_robots += 1
        else:
            missed.append(f"{name} <{msg.from_addr}> {msg.subject!r} [{notes.get(name, '')}]")
    share = 100.0 * flagged_robots / robots if robots else 100.0
    print("  flagged by reason:")
    for reason, count in reasons.most_common():
        print(f"    {reason:24} {count}")
    print(f"  robots flagged: {flagged_robots} of {robots} ({share:.1f} %, goal {ROBOT_TARGET} %)")
    print(f"  robots not flagged: {len(missed)}")
    for line in missed:
        print(f"    {line}")
    print(f"  human-labelled messages flagged: {len(human_flagged)}")
    for line in human_flagged:
        print(f"    {line}")
    return share >= ROBOT_TARGET and not human_flagged


def report_bounces(folder: Path, parsed: dict[str, ParsedMessage]) -> bool:
    """Print what the delivery reports say (read_delivery_report); True when none raised."""
    counts: Counter[str] = Counter()
    for name, msg in parsed.items():
        if no_reply_reason(msg) not in AUTOMATED:
            continue
        report = read_delivery_report((folder / name).read_bytes())  # an exception fails the run
        counts["robots"] += 1
        if report is not None:
            counts["reports"] += 1
            counts["failed (not a delay)"] += report.failed
            counts["with a status"] += bool(report.status)
            counts["naming the returned message"] += bool(report.original_ids)
    print("  delivery reports: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return True


def report_japanese(parsed: dict[str, ParsedMessage]) -> bool:
    """Print names that did not decode cleanly, and messages flagged as robots; True when clean."""
    bad = {name: mangled_names(msg) for name, msg in parsed.items()}
    bad = {name: names for name, names in bad.items() if names}
    print(f"  subjects / attachment names with U+FFFD or a raw '=?': {sum(map(len, bad.values()))}")
    for name, names in bad.items():
        print(f"    {name}: {names!r}")
    flagged = {name: no_reply_reason(msg) for name, msg in parsed.items()}
    flagged = {name: reason for name, reason in flagged.items() if reason}
    print(f"  flagged as robots (for information): {len(flagged)}")
    for name, reason in flagged.items():
        print(f"    {name}: {reason}")
    return not bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder laid out like shared/corpus")
    args = parser.parse_args(argv)
    ok = True
    for folder_name in FOLDERS:
        folder = args.corpus / folder_name
        print(f"== {folder_name}")
        parsed, outcomes, surprises = sweep(folder)
        print("  " + ", ".join(f"{what}: {count}" for what, count in sorted(outcomes.items())))
        for line in surprises:
            print(f"    UNEXPECTED {line}")
        ok &= not surprises
        if folder_name == "emails_autoreply_bounce":
            ok &= report_robots(parsed, manifest(folder))
            ok &= report_bounces(folder, parsed)
        elif folder_name == "emails_japanese":
            ok &= report_japanese(parsed)
    print("all goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
