"""Search (``intake search``, the desk's search box) over mail polled through the real pipeline, on
a real SQLite file or PostgreSQL (--db=postgresql): Japanese queries of one, two and five
characters, widths and cases folded, a match in every source, nothing found once purged or erased,
no password in the index, and the index built again for a database from before it.

Everyone here is invented (``*.example.co.jp``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from intake.db.search import query
from intake.db.search.query import MAX_TRIGRAMS
from support.privacy import ORG, Desk, block, move_clock

HAYASHI = "林 美咲 <misaki.hayashi@minato.example.co.jp>"
MORI = "森 健 <ken.mori@kita.example.co.jp>"
SAKURAI = "桜井 春香 <haruka.sakurai@sakura-denki.example.co.jp>"
LEAK = (
    "お世話になっております。\n"
    "本日、個人情報の漏洩が疑われる事案が発生しました。\n"
    "ＶＰＮ装置のログに不審な接続がありました。\n"
)
PHISHING = "お世話になっております。\n取引先を装った不審なメールが届きました。\n添付は開いていません。\n"
REGISTER = (
    "org_name,corporate_number,department,name,email,phone,system_registration,poc\n"
    "みなと精機株式会社,,情報システム部,港 一郎,ichiro@minato-seiki.example.co.jp,03-5555-0199,要,する\n"
)


@pytest.fixture
def desk(workspace):
    """An incident that names 林 and a leak, one that names neither, a staff registration of
    桜井 for さくら電機, a note, the replies held, and a register organisation."""
    desk = Desk(workspace, retention="closed_case_days = 30")
    desk.deliver(desk.anken, desk.incident(HAYASHI, LEAK))
    desk.deliver(desk.anken, desk.incident(MORI, PHISHING))
    desk.deliver(desk.kyogikai, desk.staff_registration(
        SAKURAI, [block("桜井　春香", "haruka.sakurai@sakura-denki.example.co.jp")], "登録届を送ります。"
    ))  # fmt: skip
    desk.poll()
    by_sender = {c["sender"]: c["id"] for c in desk.json("queue", "--all")}
    desk.staff, desk.leak, desk.phishing = (by_sender[_address(s)] for s in (SAKURAI, HAYASHI, MORI))
    assert desk.cli("note", desk.phishing, "折り返し電話済み。ＵＲＬは報告書に記載").returncode == 0
    (workspace.root / "register.csv").write_text(REGISTER, encoding="utf-8")
    assert desk.cli("register", "import", str(workspace.root / "register.csv")).returncode == 0
    return desk


def _address(sender: str) -> str:
    return sender.partition("<")[2].rstrip(">")


def found(desk: Desk, query: str) -> dict[str, list[str]]:
    """The cases ``intake search QUERY`` finds, each with where it matched."""
    return {c["id"]: c["matched"] for c in desk.json("search", query)["cases"]}


def test_one_two_and_five_character_japanese_queries(desk):
    assert list(found(desk, "林")) == [desk.leak]  # the other report has no 林 in it anywhere
    assert list(found(desk, "漏洩")) == [desk.leak]
    assert list(found(desk, "個人情報の")) == [desk.leak]
    assert list(found(desk, "森")) == [desk.phishing]
    assert found(desk, "洩漏") == {}  # both characters are there, never in this order
    assert found(desk, "記載") == {desk.phishing: ["note"]}  # the last two characters of a text


def test_widths_and_cases_are_folded_on_both_sides(desk):
    for words in ("VPN", "vpn", "ｖｐｎ装置", "ＶＰＮ"):
        assert list(found(desk, words)) == [desk.leak], words
    assert list(found(desk, "url")) == [desk.phishing]  # the note's ＵＲＬ


def test_every_source_is_searched(desk):
    assert "message" in found(desk, "不審な接続")[desk.leak]
    assert "case" in found(desk, "不審メールの報告")[desk.leak]  # the subject
    assert "staff" in found(desk, "桜井")[desk.staff]  # a form's field
    assert "case" in found(desk, ORG)[desk.staff]  # the case's organisation
    assert found(desk, "折り返し電話")[desk.phishing] == ["note"]
    reply = desk.json("outbox")[0]
    words = reply["subject"][-8:]
    assert "reply" in found(desk, words)[reply["case_id"]]
    organisations = desk.json("search", "みなと精機")["organisations"]
    assert [o["name"] for o in organisations] == ["みなと精機株式会社"]


def rows(desk: Desk) -> set[tuple]:
    """Every row of the index, as the index table holds it."""
    query = text("SELECT source, source_id, case_id, text FROM searchentry")
    with desk.ws.engine().connect() as conn:
        return {tuple(r) for r in conn.execute(query)}


def test_the_json_answer_names_each_case_with_its_kind_status_and_where_it_matched(desk):
    answer = desk.json("search", "漏洩", "--limit", "5")
    assert set(answer) == {"query", "normalised", "cases", "more", "organisations", "index_empty"}
    (case,) = answer["cases"]
    assert set(case) == {"id", "kind", "status", "subject", "org_name", "received_at", "matched", "snippet"}
    assert (case["id"], case["kind"], case["matched"]) == (desk.leak, "incident_report", ["message"])
    assert case["snippet"]["match"] == "漏洩" and "個人情報の" in case["snippet"]["before"]
    assert answer["more"] is False and answer["index_empty"] == 0


def test_the_table_is_japanese(desk):
    result = desk.cli("search", "漏洩")
    assert result.returncode == 0, result.stderr
    assert "「漏洩」の検索結果：1 件" in result.stdout and "相談・情報提供" in result.stdout
    assert "メール" in result.stdout and desk.leak in result.stdout
    assert "一致するものはありません" in desk.cli("search", "該当なしの言葉").stdout


def test_a_password_written_in_a_mail_never_reaches_the_index(desk):
    body = "添付ファイルの解凍用パスワードをお知らせします。\nパスワード：Xk7#pQ29\n以上、よろしくお願いします。\n"
    desk.deliver(desk.anken, desk.incident("高橋 陽子 <yoko.takahashi@minato.example.co.jp>", body))
    (case_id,) = desk.poll()
    assert list(found(desk, "解凍用パスワード")) == [case_id]  # the rest of the mail is indexed
    assert not [r for r in rows(desk) if "xk7#pq29" in r[3].casefold()]
    assert found(desk, "Xk7#pQ29") == {}


def test_a_purged_case_is_not_found(desk, monkeypatch):
    assert desk.cli("set-status", desk.leak, "closed").returncode == 0
    move_clock(monkeypatch, 31)
    assert desk.cli("purge", "--apply").returncode == 0
    assert found(desk, "林") == {} and found(desk, "漏洩") == {}
    assert not [r for r in rows(desk) if r[2] == desk.leak]
    assert list(found(desk, "森")) == [desk.phishing]  # the others stay


def test_an_erased_person_is_not_found(desk):
    assert (
        desk.cli(
            "person", "erase", "桜井春香", "haruka.sakurai@sakura-denki.example.co.jp", "--yes"
        ).returncode
        == 0
    )
    assert found(desk, "桜井") == {} and found(desk, "haruka") == {}
    assert not [r for r in rows(desk) if "桜井" in r[3] or "haruka" in r[3]]
    assert list(found(desk, ORG)) == [desk.staff]  # the organisation stays


def test_reindex_fills_an_empty_index_with_what_was_written_as_it_came(desk):
    before = rows(desk)
    with desk.ws.engine().begin() as conn:
        conn.execute(text("DELETE FROM searchentry"))  # as a database from before the index
    answer = desk.json("search", "漏洩")
    assert answer["cases"] == [] and answer["index_empty"] == 3
    assert "intake search --reindex" in desk.cli("search", "漏洩").stdout
    assert doctor_says(desk) == (
        "warn",
        "empty, while the database holds 3 cases",
        "run: intake search --reindex",
    )
    result = desk.cli("search", "--reindex")
    assert result.returncode == 0, result.stderr
    assert "検索索引を作り直しました：案件 3 件" in result.stdout
    assert rows(desk) == before
    assert list(found(desk, "林")) == [desk.leak]
    assert doctor_says(desk)[0] == "ok"


def doctor_says(desk: Desk) -> tuple[str, str, str]:
    checks = json.loads(desk.cli("doctor", "--json").stdout)
    (index,) = [c for c in checks if c["area"] == "search index"]
    return index["state"], index["detail"], index["fix"]


def test_a_pair_found_before_very_many_characters_is_still_found_exactly(desk):
    """A pair that begins more trigrams than are asked for one by one (MAX_TRIGRAMS) is looked up
    by its two characters, then checked in the text."""
    many = "".join(f"あい{chr(0x4E00 + n)}" for n in range(MAX_TRIGRAMS + 5))
    assert desk.cli("note", desk.leak, many).returncode == 0
    assert found(desk, "あい") == {desk.leak: ["note"]}
    assert found(desk, "いあ") == {}  # both there, never in this order


def test_postgresql_reads_the_newest_rows_then_the_index_and_finds_the_same(desk, monkeypatch):
    """PostgreSQL reads the newest rows in id order, then the rest through the index (on SQLite
    the setting changes nothing): with the newest one row only, the answers are the same."""
    queries = ("林", "漏洩", "不審メールの報告", "url", ORG)
    before = [desk.json("search", q) for q in queries]
    monkeypatch.setattr(query, "NEWEST", 1)
    assert [desk.json("search", q) for q in queries] == before
