"""A month of the secretariat's work, really received and worked through the command line, for
the figures of ``intake report`` and the 状況 page: the clock is pinned at each step (arrival,
reply, acceptance), so every duration is known in advance.

December 2026 (Japan time; 1 December is a Tuesday):

=====  ==================  ===========================  ==============  ==============
case   arrives             what                         first reply     accepted
=====  ==================  ===========================  ==============  ==============
F      30 Nov 10:00        application, no POC e-mail   —               —  (November)
A      1 Dec 10:00         complete application         +4 h            +48 h
B      2 Dec 09:00         no POC e-mail, 登載 ticked    +10 h           —
                           twice
C      8 Dec 10:00         staff registration, two      +24 h           +72 h
                           people without e-mail
D      8 Dec 11:00         incident report              +1 h            —
E      15 Dec 09:00        incident report              —               —
G      16 Dec 09:00        no POC e-mail                —               —
H      17 Dec 09:00        encrypted application        —               —
=====  ==================  ===========================  ==============  ==============

The figures are read at :data:`AS_OF` (18 Dec 10:00).
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from intake import clock
from intake.clock import JST
from intake.forms import write_application, write_staff_registration
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME
from support.samples import application, person
from support.unlocking import encrypted_application

MONTH = "2026-12"
AS_OF = datetime(2026, 12, 18, 10, 0, tzinfo=JST)
ORG = "テスト株式会社"
STAFF = "suzuki"


def at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=JST)


@dataclass
class Month:
    workspace: object
    monkeypatch: object
    membership: Path
    incident: Path
    ids: dict[str, str] = field(default_factory=dict)

    def pin(self, when: datetime) -> None:
        self.monkeypatch.setattr(clock, "utcnow", lambda: when.astimezone(UTC))

    def cli(self, *args: str, input: str | None = None) -> str:
        result = self.workspace.cli(*args, input=input)
        assert result.returncode == 0, f"intake {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def arrive(self, name: str, when: datetime, raw: bytes, folder: Path) -> None:
        self.pin(when)
        before = set(self._case_ids())
        mailbox.Maildir(folder, create=False).add(raw)
        self.cli("poll")
        [new] = set(self._case_ids()) - before
        self.ids[name] = new

    def reply(self, name: str, when: datetime) -> None:
        self.pin(when)
        self.cli("--by", STAFF, "reply", self.ids[name], "--stdin", input="ご連絡ありがとうございます。\n")

    def accept(self, name: str, when: datetime) -> None:
        self.pin(when)
        self.cli(
            "--by",
            STAFF,
            "set-status",
            self.ids[name],
            "accepted",
            "--confirm-unauthenticated",
            "--override-missing",
        )

    def _case_ids(self) -> list[str]:
        import json

        return [c["id"] for c in json.loads(self.cli("queue", "--all", "--json"))]


def application_mail(when: datetime, **changes) -> bytes:
    name = f"{when:%y%m%d}_協議会加入申込書（{ORG}）.docx"
    form = write_application(application(org_name=ORG, **changes))
    return make_mail(
        sender="山田 太郎 <yamada@example.co.jp>", attachments=[(name, form, DOCX_TYPE)], when=when
    )


def staff_mail(when: datetime) -> bytes:
    people = [person("協議会　太郎", poc="する"), person("山田　花子", "新規")]
    for block in people:
        block["email"] = ""
    name = f"{when:%y%m%d}_事務従事者登録届（{ORG}）.docx"
    form = write_staff_registration(ORG, people)
    return make_mail(
        subject="事務従事者登録届の提出", sender="山田 太郎 <yamada@example.co.jp>",
        attachments=[(name, form, DOCX_TYPE)], when=when,
    )  # fmt: skip


def incident_mail(when: datetime, subject: str) -> bytes:
    return make_mail(
        subject=subject, sender="佐藤 次郎 <jiro.sato@example.com>", to="csc-anken@example.jp",
        body="不審なメールを受信しましたのでご報告します。\n", when=when,
    )  # fmt: skip


def work_the_month(workspace, monkeypatch) -> Month:
    """The cases of the table above, received by ``intake poll`` and worked by ``intake reply`` and
    ``intake set-status`` at their pinned times."""
    workspace.extra = '[replies]\nmode = "hold"\nstaff_review = true\n'  # nothing is sent
    membership = workspace.add_maildir(
        profile="membership", name="kyogikai", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    incident = workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    month = Month(workspace, monkeypatch, membership, incident)
    no_email = {"poc_email": ""}
    month.arrive("F", at(30, 10, month=11), application_mail(at(30, 10, month=11), **no_email), membership)
    month.arrive("A", at(1, 10), application_mail(at(1, 10)), membership)
    month.reply("A", at(1, 14))
    month.arrive(
        "B",
        at(2, 9),
        application_mail(at(2, 9), poc_email="", roster_publication=["登載する", "登載しない"]),
        membership,
    )
    month.reply("B", at(2, 19))
    month.accept("A", at(3, 10))
    month.arrive("C", at(8, 10), staff_mail(at(8, 10)), membership)
    month.arrive("D", at(8, 11), incident_mail(at(8, 11), "不審メールの受信について"), incident)
    month.reply("D", at(8, 12))
    month.reply("C", at(9, 10))
    month.reply("C", at(10, 10))  # a second reply: the first one counts
    month.accept("C", at(11, 10))
    month.arrive("E", at(15, 9), incident_mail(at(15, 9), "フィッシングサイトの情報提供"), incident)
    month.arrive("G", at(16, 9), application_mail(at(16, 9), **no_email), membership)
    encrypted = make_mail(attachments=[(JAPANESE_NAME, encrypted_application(), DOCX_TYPE)], when=at(17, 9))
    month.arrive("H", at(17, 9), encrypted, membership)
    month.pin(AS_OF)
    return month
