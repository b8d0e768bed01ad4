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
        got = shown["fields"]["incident"]
        assert (got["secret_designation"], got["sharing_scope"], got["external_coordination"]) == (
            "requested",
            "協議会構成員限り",
            "not_requested",
        )
        assert got["secret_detail"] == "社名は伏せてほしいです"
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
