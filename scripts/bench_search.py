"""How fast the search answers with 100,000 messages' worth of index rows, on SQLite and on
PostgreSQL (target: under 100 ms per query on both).

    python scripts/bench_search.py [N] [--runs 7] [--backend sqlite|postgresql|both]

Makes a database the real way (the migrations), then fills the search index's own table with
the rows N messages give (default 100,000): for every message its subject and text, for two in
three a case (subject, sender, organisation) and a held reply, for one in ten a staff note. The
texts are Japanese mail as reporters write it — the replies, reports and forwarded lures of
``tests/support/replies_generator.py`` under a report written from a pool of sentences with
invented people (surnames such as 林, 森 and 佐藤), organisations, addresses and numbers — each
stored exactly as :func:`intake.db.search.put` does, inserted in bulk
(SQLite's triggers fill the FTS5 table as they do for every row). The cases exist too, so the
timing is of :func:`intake.secretariat.search.find` as ``intake search`` and the desk call it: the index
looked up, the page of cases gathered and read.

For each query length — 1, 2, 3 and 5 Japanese characters, and ASCII — it prints the median and
the 90th percentile over several queries (common words, names, and words found nowhere), each
run ``--runs`` times after one warm-up. PostgreSQL is started as tests/support/postgres.py does
(a throwaway cluster; as root, run as the ``postgres`` user). Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from intake.db import make_engine, reading, upgrade  # noqa: E402
from intake.db.search.text import normal, stored  # noqa: E402
from intake.db.tables import Case, SearchEntry  # noqa: E402
from intake.secretariat.search import find  # noqa: E402
from support import postgres  # noqa: E402
from support.replies_generator import lures, replies, reports  # noqa: E402

QUERIES = {
    "1 char": ("林", "森", "漏", "鍵", "の", "鯖"),
    "2 chars": ("漏洩", "林田", "佐藤", "不審", "暗号", "洩漏"),
    "3 chars": ("不審な", "情報の", "ランサ", "小林 ", "鯖寿司"),
    "5 chars": ("個人情報の", "不正アクセ", "添付ファイ", "ランサムウ", "存在しない語"),
    "ASCII": ("vpn", "emotet", "example.co.jp", "203.0.113.", "nothing-here"),
}
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田",
            "佐々木", "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "池田", "橋本", "阿部",
            "石川", "山下", "中島", "石井", "小川", "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "林田")  # fmt: skip
GIVEN = (
    "太郎",
    "花子",
    "美咲",
    "健",
    "陽子",
    "一郎",
    "春香",
    "翔",
    "愛",
    "大輔",
    "直美",
    "拓也",
    "由美",
    "誠",
)
ORGS = tuple(
    f"{a}{b}株式会社" for a in ("東都", "北陸", "瀬戸内", "みらい", "中央", "関西", "九州", "新日本", "さくら", "みなと")
    for b in ("電力", "ガス", "物流", "通信", "銀行", "工業", "鉄道", "情報システム", "製薬", "化学")
)  # fmt: skip
SENTENCES = (
    "お世話になっております。{org}情報システム部の{name}です。",
    "本日{h}時頃、当社の従業員{n}名宛てに取引先を装った不審なメールが届きました。",
    "添付ファイル（請求書_{n}.zip）は開いておらず、現在ネットワークからの隔離を進めています。",
    "VPN装置のログに203.0.113.{n}からの不審な接続が{n}回記録されていました。",
    "ランサムウェアによる暗号化の被害は現時点で確認されていません。",
    "個人情報の漏洩の有無について、引き続き調査を行っております。",
    "不正アクセスの可能性があるため、該当アカウントのパスワードを変更しました。",
    "Emotetと思われる添付ファイル付きメールが{n}件届いています。",
    "詳細はhttps://www.{dom}.example.co.jp/notice/{n}に掲載しております。",
    "ご不明な点がございましたら、{name}（{tel}）までご連絡ください。",
    "以上、よろしくお願いいたします。",
)
REPLY = (
    "{name} 様\n\nサイバーセキュリティ協議会事務局です。ご報告ありがとうございます。\n"
    "下記の確認事項についてご回答をお願いいたします。\n確認①：秘密指定の有無\n確認②：情報の共有範囲\n"
    "確認③：協議会事務局外への対応調整の要否\n（受付番号 {case}）"
)
NOTES = (
    "折り返し電話済み。",
    "{name}様より電話あり、追って資料送付とのこと。",
    "担当者不在のため明日再連絡。",
)


def texts(count: int, seed: int = 20261207):
    """(subject, text, sender name, organisation) of ``count`` messages."""
    rnd = random.Random(seed)
    bases = [c.text for c in (*replies(), *reports(), *lures())]
    for _ in range(count):
        name, org = f"{rnd.choice(SURNAMES)} {rnd.choice(GIVEN)}", rnd.choice(ORGS)
        values = {"org": org, "name": name, "h": rnd.randrange(24), "n": rnd.randrange(1, 255),
                  "dom": f"corp{rnd.randrange(500)}", "tel": f"03-{rnd.randrange(1000, 9999)}-{rnd.randrange(1000, 9999)}"}  # fmt: skip
        chosen = [s.format(**values) for s in rnd.sample(SENTENCES, rnd.randrange(4, len(SENTENCES)))]
        body = "\n".join([*chosen, "", rnd.choice(bases)])
        subject = rnd.choice(
            ("不審メールの報告", "RE: 不審メールの受信について", "インシデントのご報告", "FW: 請求書")
        )
        yield f"{subject}（{org}）", body, name, org


def row(source: str, source_id: object, case_id: str, text: str, *, pairs: bool) -> dict:
    """A row as :func:`intake.db.search.put` writes it (``pairs`` on PostgreSQL)."""
    return {"source": source, "source_id": str(source_id), "case_id": case_id,
            **stored(normal(text), pairs=pairs)}  # fmt: skip


def fill(engine, count: int) -> int:
    pairs = engine.dialect.name == "postgresql"
    rows: list[dict] = []
    cases: list[dict] = []
    now = datetime.now(UTC)
    total = 0
    case_id = ""
    for n, (subject, body, name, org) in enumerate(texts(count)):
        if n % 3 != 2:
            case_id = f"CSC-2026-{n:06d}"
            cases.append({"id": case_id, "mailbox": "anken", "kind": "incident_report", "status": "new",
                          "sender": f"user{n}@example.co.jp", "sender_name": name, "org_name": org,
                          "subject": subject, "forwarded": False, "robot": False,
                          "received_at": now - timedelta(minutes=count - n), "updated_at": now})  # fmt: skip
            rows.append(
                row("case", case_id, case_id, f"{subject}\n{org}\n{name}\nuser{n}@example.co.jp", pairs=pairs)
            )
            rows.append(row("reply", n, case_id, REPLY.format(name=name, case=case_id), pairs=pairs))
        rows.append(row("message", n, case_id, f"{subject}\n{body}", pairs=pairs))
        if n % 10 == 0:
            rows.append(row("note", n, case_id, NOTES[n % 3].format(name=name), pairs=pairs))
        if len(rows) >= 5000:
            total += _insert(engine, rows, cases)
    return total + _insert(engine, rows, cases)


def _insert(engine, rows: list[dict], cases: list[dict]) -> int:
    with Session(engine) as session:
        if cases:
            session.connection().execute(insert(Case.__table__), cases)  # type: ignore[attr-defined]
        session.connection().execute(insert(SearchEntry.__table__), rows)  # type: ignore[attr-defined]
        session.commit()
    done = len(rows)
    rows.clear()
    cases.clear()
    return done


def measure(engine, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with Session(reading(engine)) as session:
        for label, queries in QUERIES.items():
            for query in queries:
                find(session, query)  # warm-up
                mine = []
                for _ in range(runs):
                    start = time.perf_counter()
                    found = find(session, query)
                    mine.append(time.perf_counter() - start)
                times.setdefault(label, []).extend(mine)
                more = " (more)" if found["more"] else ""
                print(
                    f"    {query!r:18} {len(found['cases']):3} cases{more:7} {statistics.median(mine) * 1000:6.1f} ms"
                )
    return times


def bench(backend: str, count: int, runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-search-"))
    postgres.use(backend)
    engine = make_engine(postgres.database_url(folder))
    upgrade(engine)
    start = time.perf_counter()
    rows = fill(engine, count)
    print(
        f"{backend}: {rows:,} index rows for {count:,} messages, filled in {time.perf_counter() - start:.0f} s"
    )
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    times = measure(engine, runs)
    for label, values in times.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"  {label:8} median {statistics.median(values) * 1000:6.1f} ms   p90 {p90 * 1000:6.1f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    try:
        for backend in backends:
            bench(backend, args.count, args.runs)
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
