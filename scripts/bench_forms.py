"""Time the extraction of typical forms (target: well under 50 ms per form).

Usage: python scripts/bench_forms.py [--repeat N]

Writes a typical 加入申込書 and a 事務従事者登録届 with five people in every check-box style, then
times ``extract_form`` on each (median and worst of N runs) and the loading of the form specs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from intake.forms import extract_form, load_form_specs, open_docx, write_application, write_staff_registration
from intake.forms.wordxml import CHECKBOX_STYLES
from intake.resources import default_rules_dir

APPLICATION = {
    "application_kind": "新規加入",
    "org_name": "テスト株式会社",
    "org_name_kana": "てすとかぶしきがいしゃ",
    "corporate_number": "1234567890123",
    "department": "情報システム部",
    "address": "東京都千代田区霞が関1-1-1",
    "representative": "代表取締役社長　山田一郎",
    "category": "重要社会基盤事業者",
    "sector": "電力",
    "participation": "一般の構成員",
    "receive_secrets": "希望する",
    "early_warning_service": "希望する",
    "roster_publication": "登載する",
    "poc": {
        "name": "協議会　花子",
        "name_kana": "きょうぎかい　はなこ",
        "title": "情報システム部 課長",
        "phone": "03-1234-5678",
        "email": "hanako@example.co.jp",
    },
    "submitted_on": "2026-10-05",
}
PERSON = {
    "name": "協議会　太郎",
    "name_kana": "きょうぎかい　たろう",
    "department": "情報システム部",
    "title": "部長",
    "phone": "03-1234-5678",
    "mobile": "090-1234-5678",
    "email": "taro@example.co.jp",
    "application_type": "新規",
    "system_registration": "要",
    "poc": "しない",
}


def timed(func: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median wall time, worst wall time and median CPU time of this process, in milliseconds
    (CPU time is not inflated by other processes sharing the machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), max(wall), statistics.median(cpu)


def line(name: str, result: tuple[float, float, float], extra: str = "") -> str:
    median, worst, cpu = result
    return f"{name:<36} median {median:6.2f} ms  max {worst:6.2f} ms  cpu {cpu:6.2f} ms  {extra}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    print(line("load_form_specs", timed(lambda: load_form_specs(default_rules_dir()), args.repeat)))
    specs = load_form_specs(default_rules_dir())
    people = [dict(PERSON, email=f"person{i}@example.co.jp") for i in range(5)]
    for style in CHECKBOX_STYLES:
        cases = {
            "application": write_application(APPLICATION, checkbox_style=style),
            "staff (5 people)": write_staff_registration("テスト株式会社", people, checkbox_style=style),
        }
        for name, data in cases.items():
            result = timed(lambda data=data: extract_form(data, specs=specs), args.repeat)
            print(line(f"{name} [{style}]", result, f"({len(data)} bytes)"))
            if style == CHECKBOX_STYLES[0]:
                opened = timed(lambda data=data: open_docx(data), args.repeat)
                print(line("  of which python-docx opening", opened))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
