"""End to end: a reporter answers Q24 確認①②③ in their own house style, not in our fill-in block.

Mail goes in over a real Dovecot and replies come out to a real aiosmtpd, driven by ``intake poll``
as staff run it. A report gets the checklist; the reporter answers in their style (「【確認1】…」,
「①…」, an answer on the next line after 「→」, an Outlook reply with the checklist below the
original-message header); intake never asks again for what was answered, and sends one
acknowledgement once all three are in. An answer it cannot read is asked again, and staff see the
line (answer_unclear, never in the reply).
"""

from __future__ import annotations

from email.message import EmailMessage

from support.conversation import (
    ACK,
    ASK,
    BLOCK_LINE,
    INCIDENT,
    body_of,
    case_tag,
    cli_json,
    delivered,
    reply_to,
    setup,
)
from support.mailfactory import make_mail
from support.smtp_server import smtp_server

REPORTER = "中村 さくら <sakura.nakamura@example.co.jp>"
REPORT = """サイバーセキュリティ協議会事務局 御中

株式会社れんげ情報システム部の中村です。
本日、経理部宛てに取引先を装った不審なメールが届きました。添付ファイルは開いていません。
取り急ぎご報告いたします。
"""
HOUSE_STYLE = (
    "ご連絡ありがとうございます。弊社の様式にて回答いたします。\n\n"
    "【確認1】秘密指定の要否：社名は伏せてほしいです\n"
    "【確認2】共有範囲\n"
    "　→ 協議会構成員限りでお願いします\n"
    "【確認3】対応調整：当社からは不要です\n"
)


def answer(parent: EmailMessage, text: str, *, outlook: bool = False) -> bytes:
    return reply_to(parent, text, sender=REPORTER, outlook=outlook)


def readings(shown: dict) -> tuple:
    got = shown["fields"]["incident"]
    return (got["secret_designation"], got["sharing_scope"], got["external_coordination"])


def exchange(workspace, server, incident, raw: bytes) -> str:
    """Deliver one message, poll once, and return the text of the one reply it brought."""
    before = len(delivered(server))
    incident.append([raw])
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    assert len(delivered(server)) == before + 1
    return body_of(delivered(server)[-1])


def report(workspace, server, incident) -> tuple[EmailMessage, str]:
    """The bare report: a checklist asking all three confirmations; returns it and the case id."""
    text = exchange(
        workspace,
        server,
        incident,
        make_mail(sender=REPORTER, to=INCIDENT, subject="不審メールの報告", body=REPORT),
    )
    assert all(ASK[n] in text and BLOCK_LINE[n] in text for n in (1, 2, 3))
    checklist = delivered(server)[-1]
    return checklist, case_tag(checklist)


# -- the conversations ---------------------------------------------------------------------------


def test_house_style_answers_are_read_and_acknowledged_at_once(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        checklist, case_id = report(workspace, server, incident)

        text = exchange(workspace, server, incident, answer(checklist, HOUSE_STYLE))
        assert ACK in text and f"受付番号：{case_id}" in text
        for n in (1, 2, 3):
            assert ASK[n] not in text and BLOCK_LINE[n] not in text, f"確認{n} was answered but asked again"

        shown = cli_json(workspace, "show", case_id)
        assert readings(shown) == ("requested", "協議会構成員限り", "not_requested")
        assert shown["fields"]["incident"]["secret_detail"] == "社名は伏せてほしいです"
        assert shown["open_findings"] == ["non_member"]
        assert shown["status"] == "ready_for_review"

    outbox = cli_json(workspace, "outbox")
    assert sorted(r["template"] for r in outbox) == ["acknowledgement", "checklist"]


def test_an_unclear_answer_is_asked_again_and_shown_to_staff_until_answered(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        checklist, case_id = report(workspace, server, incident)

        # ① and ② in numbers alone, ③ not decided yet; an Outlook reply, our checklist below the header
        reply = answer(checklist, "①不要です\n②TLP:AMBER\n③社内で検討中です", outlook=True)
        text = exchange(workspace, server, incident, reply)
        assert ASK[3] in text and BLOCK_LINE[3] in text and ACK not in text
        assert ASK[1] not in text and ASK[2] not in text
        assert "判別できません" not in text and "検討中" not in text  # staff's warning is not for the sender

        shown = cli_json(workspace, "show", case_id)
        assert set(shown["open_findings"]) == {
            "external_coordination",
            "answer_unclear:external_coordination",
            "non_member",
        }
        [unclear] = [f for f in shown["findings"] if f["code"] == "answer_unclear:external_coordination"]
        assert unclear["severity"] == "warning"
        assert unclear["message_ja"] == "確認③ の回答を判別できません：「③社内で検討中です」。"
        assert "③社内で検討中です" in unclear["message_en"]
        assert shown["fields"]["incident"]["tlp"] == "AMBER"

        # the answer to ③ alone: nothing answered before is asked again; one acknowledgement
        text = exchange(
            workspace, server, incident, answer(delivered(server)[-1], "確認３→当社からは不要です")
        )
        assert ACK in text and "確認①" not in text and "確認②" not in text and "確認③" not in text

        shown = cli_json(workspace, "show", case_id)
        assert shown["open_findings"] == ["non_member"]
        got = shown["fields"]["incident"]
        assert (got["secret_designation"], got["tlp"], got["external_coordination"]) == (
            "not_requested",
            "AMBER",
            "not_requested",
        )


FORWARDED_LURE = """不審なメールを受信しましたので転送します。

---------- Forwarded message ---------
From: 経理部 <billing@invoice-check.example.com>
Date: 2026年12月7日(月) 9:12
Subject: 【至急】請求書の件

①添付ファイルをダウンロードしてください
③本日中にご連絡ください
"""


def under_each_item(parent: EmailMessage, answers: dict[int, str]) -> bytes:
    """A reply answering each quoted item of our block on the line below it (Thunderbird style)."""
    lines = ["中村です。各項目の下に回答しました。", "", f"{parent['Date']}、{parent['From']} wrote:"]
    for line in body_of(parent).splitlines():
        lines.append(f"> {line}")
        lines += [answers[n] for n, item in BLOCK_LINE.items() if line.strip() == item]
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = REPORTER, parent["From"], f"Re: {parent['Subject']}"
    msg["In-Reply-To"] = msg["References"] = parent["Message-ID"]
    msg.set_content("\n".join(lines) + "\n")
    return msg.as_bytes()


def test_a_forwarded_lure_answers_nothing_and_answers_under_the_quote_are_read(workspace, dovecot):
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        raw = make_mail(sender=REPORTER, to=INCIDENT, subject="Fwd: 【至急】請求書の件", body=FORWARDED_LURE)
        text = exchange(workspace, server, incident, raw)
        assert all(ASK[n] in text for n in (1, 2, 3)), "the lure's ① / ③ were taken as answers"
        checklist = delivered(server)[-1]
        case_id = case_tag(checklist)

        reply = under_each_item(checklist, {1: "不要です", 2: "協議会構成員限り", 3: "不要"})
        text = exchange(workspace, server, incident, reply)
        assert ACK in text and all(ASK[n] not in text for n in (1, 2, 3))

        shown = cli_json(workspace, "show", case_id)
        assert readings(shown) == ("not_requested", "協議会構成員限り", "not_requested")
        incoming = [m for m in shown["messages"] if m["direction"] == "in"]
        first, answered = incoming[0]["segments"], incoming[1]["segments"]
        assert [s["kind"] for s in first] == ["new", "forward"]
        assert first[1]["sender"] == "経理部 <billing@invoice-check.example.com>"
        assert first[1]["subject"] == "【至急】請求書の件" and "①添付ファイル" in first[1]["text"]
        assert {s["origin"] for s in answered if s["kind"] == "quote"} == {"ours"}
        assert [s["text"] for s in answered if s["kind"] == "new"][1:] == [
            "不要です",
            "協議会構成員限り",
            "不要",
        ]

        plain = workspace.cli("show", case_id)
        assert plain.returncode == 0, plain.stderr
        assert "転送されたメール" in plain.stdout and "差出人: 経理部" in plain.stdout
        assert "引用（事務局からのメール）" in plain.stdout
