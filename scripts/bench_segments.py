"""How the time to split a body and read its answers grows with its length (it should be linear).

    python scripts/bench_segments.py

Builds replies of 1×, 4× and 16× a base size (new text, an interleaved quote of our checklist, an
Outlook header quote, a forwarded lure, repeated), then prints for each the median time of
``intake.mail.segments.split`` and of ``read_confirmations`` over 5 runs, and the time per 1,000
lines. Timing lives here, never in tests.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from intake.checks import read_confirmations  # noqa: E402
from intake.mail.segments import split  # noqa: E402
from support.replies_generator import lures, replies  # noqa: E402

BASE = "\n\n".join(c.text for c in (replies()[::12] + lures()[::8]))


def median(func, text: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        func(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    for factor in (1, 4, 16):
        text = "\n\n".join([BASE] * factor)
        lines = text.count("\n") + 1
        t_split = median(lambda t: split(t), text)
        t_read = median(lambda t: read_confirmations([t], ["RE: 不審メール"]), text)
        print(
            f"x{factor:<3} {lines:>7} lines  split {t_split * 1000:8.1f} ms ({t_split / lines * 1e6:6.1f} ms/1000 lines)"
            f"  read {t_read * 1000:8.1f} ms ({t_read / lines * 1e6:6.1f} ms/1000 lines)"
        )


if __name__ == "__main__":
    main()
