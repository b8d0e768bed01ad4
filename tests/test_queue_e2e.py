"""End to end, the staff side: a database filled the real way (mail over a real Dovecot, the
phoned-in password typed with ``intake unlock``, forms extracted and checked), then the queue and
its filters, ``show``, notes, status changes with their audit entries, the member register changed
by accepted staff registrations (Q15 新規 / 継続 / 廃止) and later mail checked against it, and the
public roster (Q16).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from intake.forms import write_application, write_staff_registration
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import encrypt_agile
from support.samples import application
from support.samples import person as sample_person

JST = timezone(timedelta(hours=9))
MEMBERSHIP = "kyogikai-shomu@example.jp"
INCIDENT = "csc-anken@example.jp"
PASSWORD = "Uchisaiwaicho#2026-Tel"

ORG_A = "株式会社サンプル電力"
ORG_B = "合同会社テスト物流"
ORG_C = "テスト工業大学"

POC_A = {
    "name": "佐藤　美咲",
    "name_kana": "さとう　みさき",
    "title": "情報セキュリティ室 室長",
    "phone": "03-5555-0101",
    "email": "misaki.sato@example.co.jp",
}
SENDER_A = "佐藤 美咲 <misaki.sato@example.co.jp>"
APP_A = application(
    org_name=ORG_A,
    org_name_kana="かぶしきがいしゃさんぷるでんりょく",
    corporate_number="9010401123456",
    department="情報セキュリティ室",
    address="東京都港区虎ノ門1-2-3",
    representative="代表取締役社長　高橋　健一",
    early_warning_service="希望する",
    roster_publication="登載する",
    poc=POC_A,
)
APP_B = application(
    org_name=ORG_B,
    org_name_kana="ごうどうがいしゃてすとぶつりゅう",
    corporate_number="2020001098765",
    department="",
    address="大阪府大阪市北区梅田4-5-6",
    representative="代表社員　森　健太",
    sector="物流",
    receive_secrets="希望しない",
    early_warning_service="希望しない",
    poc={
        "name": "森　健太",
        "name_kana": "もり　けんた",
        "title": "総務部 部長",
        "phone": "06-6666-0202",
        "email": "kenta.mori@example.com",
    },
)
APP_C = dict(
    APP_B,
    org_name=ORG_C,
    org_name_kana="てすとこうぎょうだいがく",
    corporate_number="1011101054321",
    category="教育研究機関",
    sector="",
)


def person(
    name: str, kana: str, email: str, kind: str, *, poc: str = "しない", phone: str = "03-5555-0199"
) -> dict:
    return sample_person(
        name, kind, kana=kana, email=email, poc=poc, phone=phone, department="情報セキュリティ室"
    )


def sato(kind: str, phone: str = "03-5555-0101") -> dict:
    return person("佐藤　美咲", "さとう　みさき", "misaki.sato@example.co.jp", kind, poc="する", phone=phone)


def tanaka(kind: str) -> dict:
    return person("田中　誠", "たなか　まこと", "makoto.tanaka@example.co.jp", kind, phone="03-5555-0102")


def yamamoto(kind: str) -> dict:
    return person(
        "山本　聡", "やまもと　さとし", "satoshi.yamamoto@example.co.jp", kind, phone="03-5555-0103"
    )


def kobayashi(kind: str) -> dict:
    return person(
        "小林　直樹", "こばやし　なおき", "naoki.kobayashi@example.co.jp", kind, phone="03-5555-0104"
    )


# -- helpers ----------------------------------------------------------------------------------


def yymmdd() -> str:
    return datetime.now(JST).strftime("%y%m%d")


def app_file(org: str, values: dict, *, encrypted: bool = True) -> tuple[str, bytes, str]:
    data = write_application(values)
    return (
        f"{yymmdd()}_協議会加入申込書（{org}）.docx",
        encrypt_agile(data, PASSWORD) if encrypted else data,
        DOCX_TYPE,
    )


def staff_file(org: str, people: list[dict]) -> tuple[str, bytes, str]:
    data = encrypt_agile(write_staff_registration(org, people), PASSWORD)
    return (f"{yymmdd()}_事務従事者登録届（{org}）.docx", data, DOCX_TYPE)


def run(workspace, *args: str, by: str = "staff-kimura", input: str | None = None):
    return workspace.cli("--by", by, *args, input=input)


def ok(workspace, *args: str, **kwargs) -> str:
    result = run(workspace, *args, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def js(workspace, *args: str):
    return json.loads(ok(workspace, *args, "--json"))


def poll(workspace) -> None:
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    for counts in json.loads(result.stdout)["mailboxes"]:
        assert counts["quarantined"] == 0, counts


def new_cases(workspace, known: set[str]) -> list[str]:
    """Ids of cases not in ``known``, oldest first; ``known`` is updated."""
    ids = [c["id"] for c in reversed(js(workspace, "queue")) if c["id"] not in known]
    known.update(ids)
    return ids


def unlock_all(workspace, case_id: str) -> None:
    for att in js(workspace, "show", case_id)["attachments"]:
        if att["state"] == "password_pending":
            ok(workspace, "unlock", str(att["id"]), "--password-stdin", input=PASSWORD + "\n")


def audit(workspace, case_id: str) -> list[dict]:
    return js(workspace, "audit", case_id)


@pytest.fixture
def mailboxes(workspace, dovecot):
    """Membership and incident mailboxes on Dovecot; replies held; recruitment open today."""
    today = datetime.now(JST).date()
    workspace.extra = f"""
[replies]
mode = "hold"

[membership]
recruitment_periods = [ {{ start = "{today - timedelta(days=7)}", end = "{today + timedelta(days=7)}" }} ]
"""
    membership, incident = dovecot.add_account(), dovecot.add_account()
    workspace.add_imap(
        membership, name="kyogikai", profile="membership", prefix="KYOGIKAI", address=MEMBERSHIP
    )
    workspace.add_imap(incident, name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    assert workspace.cli("init").returncode == 0
    return membership, incident


# -- the queue, show, notes, status changes, the roster -------------------------------------------


def test_queue_show_note_status_audit_and_roster(workspace, mailboxes):
    membership, incident = mailboxes
    known: set[str] = set()
    membership.append(
        [
            make_mail(
                sender=SENDER_A,
                subject="加入申込書の送付（サンプル電力）",
                attachments=[app_file(ORG_A, APP_A), staff_file(ORG_A, [sato("新規"), tanaka("新規")])],
            )
        ]
    )
    poll(workspace)
    [case_a] = new_cases(workspace, known)
    membership.append(
        [
            make_mail(
                sender="森 健太 <kenta.mori@example.com>",
                subject="加入申込書の送付（テスト物流）",
                attachments=[app_file(ORG_B, APP_B, encrypted=False)],
            )
        ]
    )
    poll(workspace)
    [case_b] = new_cases(workspace, known)
    incident.append(
        [
            make_mail(
                sender="伊藤 次郎 <jiro.ito@example.com>",
                to=INCIDENT,
                subject="ランサムウェア感染の疑いについて",
                body="社内のファイルサーバで不審な暗号化が見つかりました。ご相談させてください。\n",
            )
        ]
    )
    membership.append(
        [
            make_mail(
                sender="大学 事務 <office.kikaku@example.ac.jp>",
                subject="加入申込書",
                attachments=[app_file(ORG_C, APP_C)],
            )
        ]
    )
    poll(workspace)
    latest = new_cases(workspace, known)
    [case_i] = [x for x in latest if x.startswith("CSC-")]
    [case_c] = [x for x in latest if x.startswith("KYOGIKAI-")]
    unlock_all(workspace, case_a)

    # the queue: every case, newest first, in the interface's shape
    queue = js(workspace, "queue")
    assert [c["id"] for c in queue][-2:] == [case_b, case_a]
    assert {c["id"] for c in queue} == {case_a, case_b, case_c, case_i}
    by_id = {c["id"]: c for c in queue}
    keys = {
        "id",
        "kind",
        "status",
        "mailbox",
        "sender",
        "org_name",
        "subject",
        "received_at",
        "open_findings",
    }
    assert all(keys <= c.keys() for c in queue)
    a = by_id[case_a]
    assert (a["kind"], a["status"], a["mailbox"], a["sender"], a["org_name"]) == (
        "membership_application",
        "ready_for_review",
        "kyogikai",
        "misaki.sato@example.co.jp",
        ORG_A,
    )
    assert a["subject"] == "加入申込書の送付（サンプル電力）"
    assert datetime.fromisoformat(a["received_at"]).utcoffset() == timedelta(hours=9)
    assert a["open_findings"] == []
    b = by_id[case_b]
    assert (b["kind"], b["status"], b["org_name"]) == ("membership_application", "ready_for_review", ORG_B)
    assert b["open_findings"] == ["encryption_required"]
    c = by_id[case_c]
    assert (c["kind"], c["status"], c["org_name"]) == (
        "membership_application",
        "waiting_for_password",
        ORG_C,
    )
    assert c["open_findings"] == ["password_pending"]
    i = by_id[case_i]
    assert (i["kind"], i["status"], i["mailbox"], i["org_name"]) == (
        "incident_report",
        "waiting_for_sender",
        "anken",
        None,
    )
    assert i["open_findings"] == [
        "secret_designation",
        "sharing_scope",
        "external_coordination",
        "non_member",
    ]

    # filters
    assert [c["id"] for c in js(workspace, "queue", "--status", "waiting_for_password")] == [case_c]
    assert [c["id"] for c in js(workspace, "queue", "--status", "ready_for_review")] == [case_b, case_a]
    assert [c["id"] for c in js(workspace, "queue", "--kind", "incident_report")] == [case_i]
    assert {c["id"] for c in js(workspace, "queue", "--kind", "membership_application")} == {
        case_a,
        case_b,
        case_c,
    }
    assert [c["id"] for c in js(workspace, "queue", "--mailbox", "anken")] == [case_i]
    assert len(js(workspace, "queue", "--mailbox", "kyogikai")) == 3
    assert [c["id"] for c in js(workspace, "queue", "--org", "サンプル電力")] == [case_a]
    assert js(workspace, "queue", "--status", "accepted") == []
    assert [
        c["id"]
        for c in js(
            workspace, "queue", "--kind", "membership_application", "--status", "waiting_for_password"
        )
    ] == [case_c]

    # show, for people: the case, its files with their states, its findings — in labels.toml's words
    text = ok(workspace, "show", case_a)
    assert case_a in text and ORG_A in text
    assert text.count("開封済み") >= 2 and "事務従事者登録届" in text
    text = ok(workspace, "show", case_b)
    assert case_b in text and "受信時に読み取り" in text and "暗号化なし" in text
    text = ok(workspace, "show", case_c)
    assert "パスワード待ち" in text
    text = ok(workspace, "show", case_i)
    for label in ("確認①秘密指定", "確認②共有範囲", "確認③対応調整"):
        assert label in text
    missing = workspace.cli("show", "KYOGIKAI-1999-0001")
    assert missing.returncode == 1 and "KYOGIKAI-1999-0001" in missing.stderr

    # a note, by whom it says
    ok(workspace, "note", case_i, "先方に電話で状況を確認済み。折り返し連絡予定。", by="staff-kimura")
    shown = js(workspace, "show", case_i)
    assert [(n["by"], n["text"]) for n in shown["notes"]] == [
        ("staff-kimura", "先方に電話で状況を確認済み。折り返し連絡予定。")
    ]
    [entry] = [e for e in audit(workspace, case_i) if e["action"] == "note"]
    assert entry["by"] == "staff-kimura" and "電話で状況を確認済み" in entry["detail"]

    # a refused move names the allowed ones and changes nothing, not even the audit log
    before = audit(workspace, case_c)
    refused = run(workspace, "set-status", case_c, "accepted", by="staff-ono")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "waiting_for_password" in refused.stderr
    for allowed in ("waiting_for_sender", "ready_for_review", "rejected", "closed"):
        assert allowed in refused.stderr
    assert js(workspace, "show", case_c)["status"] == "waiting_for_password"
    assert audit(workspace, case_c) == before
    unknown = run(workspace, "set-status", case_c, "done")
    assert unknown.returncode != 0 and js(workspace, "show", case_c)["status"] == "waiting_for_password"

    # allowed moves: each leaves one audit entry with the operator
    ok(workspace, "set-status", case_i, "closed", "--note", "情報提供として受理", by="staff-ono")
    [entry] = [e for e in audit(workspace, case_i) if e["action"] == "status"]
    assert entry["by"] == "staff-ono"
    assert entry["detail"] == {"from": "waiting_for_sender", "to": "closed", "note": "情報提供として受理"}
    assert "情報提供として受理" in [n["text"] for n in js(workspace, "show", case_i)["notes"]]

    ok(workspace, "set-status", case_a, "accepted", by="staff-ono")
    ok(workspace, "set-status", case_b, "accepted", by="staff-sakai")
    for case_id, operator in ((case_a, "staff-ono"), (case_b, "staff-sakai")):
        entries = audit(workspace, case_id)
        [status] = [e for e in entries if e["action"] == "status"]
        assert status["by"] == operator and status["detail"]["to"] == "accepted"
        assert any(e["action"] == "register.application" and e["by"] == operator for e in entries)
    assert [c["id"] for c in js(workspace, "queue", "--status", "accepted")] == [case_b, case_a]

    again = run(workspace, "set-status", case_a, "ready_for_review")
    assert again.returncode == 1 and "allowed: closed" in again.stderr
    assert js(workspace, "show", case_a)["status"] == "accepted"

    # the public roster: only the member that chose 登載する, four columns, no personal data
    roster = ok(workspace, "roster", "export", "--format", "csv")
    assert roster.splitlines() == [
        "org_name,category,sector,participation",
        f"{ORG_A},重要社会基盤事業者,電力,一般の構成員",
    ]
    for personal in ("佐藤", "田中", "森", "example", "03-", "06-", "@"):
        assert personal not in roster


# -- the register, changed by accepted staff registrations, and later mail checked against it ---------


def test_accepted_registrations_change_the_register_and_later_mail_is_checked_against_it(
    workspace, mailboxes
):
    membership, _ = mailboxes
    known: set[str] = set()

    # 1. the application with three people, all 新規; accepted
    membership.append(
        [
            make_mail(
                sender=SENDER_A,
                subject="加入申込書の送付",
                attachments=[
                    app_file(ORG_A, APP_A),
                    staff_file(ORG_A, [sato("新規"), tanaka("新規"), yamamoto("新規")]),
                ],
            )
        ]
    )
    poll(workspace)
    [first] = new_cases(workspace, known)
    unlock_all(workspace, first)
    assert js(workspace, "show", first)["status"] == "ready_for_review"
    ok(workspace, "set-status", first, "accepted", by="staff-ono")
    [org] = js(workspace, "register", "show", ORG_A)
    assert {k: v for k, v in org.items() if k not in ("id", "people")} == {
        "name": ORG_A,
        "corporate_number": "9010401123456",
        "department": "情報セキュリティ室",
        "category": "重要社会基盤事業者",
        "sector": "電力",
        "participation": "一般の構成員",
        "roster_publication": True,
        "poc_email": "misaki.sato@example.co.jp",
        "is_member": True,
    }

    def on_file(p: dict, source: str, status: str = "active") -> dict:
        return {
            "name": p["name"],
            "email": p["email"],
            "phone": p["phone"],
            "system_registration": p["system_registration"],
            "poc": p["poc"],
            "status": status,
            "source": source,
        }

    def people() -> list[dict]:
        [org] = js(workspace, "register", "show", ORG_A)
        return [{k: v for k, v in p.items() if k != "removed_at"} for p in org["people"]]

    assert people() == [
        on_file(sato("新規"), first),
        on_file(tanaka("新規"), first),
        on_file(yamamoto("新規"), first),
    ]

    # 2. later, a staff registration alone (Q15): 佐藤 継続 with a new phone, 田中 廃止, 山本 継続,
    #    小林 新規 — checked against the register: nothing to report
    membership.append(
        [
            make_mail(
                sender=SENDER_A,
                subject="事務従事者登録届（変更）",
                attachments=[
                    staff_file(
                        ORG_A,
                        [
                            sato("継続", phone="03-5555-0111"),
                            tanaka("廃止"),
                            yamamoto("継続"),
                            kobayashi("新規"),
                        ],
                    )
                ],
            )
        ]
    )
    poll(workspace)
    [second] = new_cases(workspace, known)
    unlock_all(workspace, second)
    shown = js(workspace, "show", second)
    assert shown["kind"] == "staff_registration"
    assert shown["open_findings"] == []
    assert shown["status"] == "ready_for_review"
    ok(workspace, "set-status", second, "accepted", by="staff-sakai")
    assert people() == [
        on_file(sato("継続", phone="03-5555-0111"), first),
        on_file(tanaka("廃止"), first, status="removed"),
        on_file(yamamoto("継続"), first),
        on_file(kobayashi("新規"), second),
    ]
    [org] = js(workspace, "register", "show", ORG_A)
    removed_at = {p["name"]: p["removed_at"] for p in org["people"]}
    assert removed_at["田中　誠"] and datetime.fromisoformat(removed_at["田中　誠"]).utcoffset() == timedelta(
        hours=9
    )
    assert [v for k, v in removed_at.items() if k != "田中　誠"] == [None, None, None]
    [staff_entry] = [e for e in audit(workspace, second) if e["action"] == "register.staff"]
    assert staff_entry["by"] == "staff-sakai"
    assert len(staff_entry["detail"]["added"]) == 1 and len(staff_entry["detail"]["removed"]) == 1
    assert len(staff_entry["detail"]["kept"]) == 2 and staff_entry["detail"]["skipped"] == []
    # the register export (active people only) says the same
    export = ok(workspace, "register", "export", "--format", "csv")
    assert "田中" not in export and export.count(ORG_A) == 3

    # 3. two later submissions over IMAP, checked against the new register:
    #    小林 (just added) as 継続 is known; 田中 (removed last time) appearing again is reported
    membership.append(
        [
            make_mail(
                sender=SENDER_A,
                subject="事務従事者登録届（継続）",
                attachments=[staff_file(ORG_A, [sato("継続"), yamamoto("継続"), kobayashi("継続")])],
            ),
            make_mail(
                sender=SENDER_A,
                subject="事務従事者登録届（再提出）",
                attachments=[
                    staff_file(ORG_A, [sato("継続"), tanaka("継続"), yamamoto("継続"), kobayashi("継続")])
                ],
            ),
        ]
    )
    poll(workspace)
    third, fourth = new_cases(workspace, known)
    unlock_all(workspace, third)
    unlock_all(workspace, fourth)
    clean = js(workspace, "show", third)
    assert clean["open_findings"] == [] and clean["status"] == "ready_for_review"
    again = js(workspace, "show", fourth)
    # 田中 is no longer on the register either, so their 継続 is unknown too; both are warnings
    assert again["open_findings"] == ["continuing_unknown", "abolished_not_removed"]
    for code in again["open_findings"]:
        [finding] = [f for f in again["findings"] if f["code"] == code]
        assert finding["severity"] == "warning"
        assert "田中" in finding["message_ja"] and "小林" not in finding["message_ja"]
    assert again["status"] == "ready_for_review"
    # the register did not move: only accepted cases change it
    assert [p["status"] for p in people()] == ["active", "removed", "active", "active"]
