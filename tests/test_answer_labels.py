"""The reporter's answers to 確認① and ③ are shown to staff in Japanese (rules/labels.toml
``[answers]``), on ``intake show`` and on the desk's case page; ``--json`` keeps the codes."""

from __future__ import annotations

import json
import mailbox

from support.desk import add_staff, desk_server
from support.mailfactory import make_mail

REPORT = (
    "不審なメールを受信しましたのでご報告します。\n\n"
    "確認①（秘密指定の有無）：不要です\n"
    "確認②（情報の共有範囲）：協議会構成員限り\n"
    "確認③（協議会事務局外への対応調整の要否）：お任せします\n"
)


def test_answers_are_shown_in_japanese_and_kept_as_codes_in_json(workspace):
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    mailbox.Maildir(path, create=False).add(make_mail(to="csc-anken@example.jp", subject="報告", body=REPORT))
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    (case,) = json.loads(workspace.cli("queue", "--json").stdout)
    incident = json.loads(workspace.cli("show", case["id"], "--json").stdout)["fields"]["incident"]
    assert (incident["secret_designation"], incident["external_coordination"]) == (
        "not_requested",
        "left_to_secretariat",
    )
    shown = workspace.cli("show", case["id"]).stdout
    assert "秘密指定は不要" in shown and "事務局に一任" in shown and "not_requested" not in shown
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        page = desk.signed_in().get(f"/cases/{case['id']}").text
    assert "秘密指定は不要" in page and "事務局に一任" in page and "not_requested" not in page
