"""End-to-end scenarios: generated mail appended to a real Dovecot, polled, forms read, rules applied.

Every scenario is one case: one or more mails (built from the form writer, the Office fixtures
and ``make_mail``) delivered over IMAP to the membership mailbox (kyogikai-shomu) or the incident
mailbox (csc-anken). All scenarios share one workspace: a register imported with ``intake register
import``, recruitment periods configured around today, replies held. The membership and incident
mail is appended at once and polled once per mailbox (``Poller``); encrypted forms are opened the
way staff open them (``intake.cases.unlock.unlock`` with the phoned-in password, one of them through ``intake
unlock ID --password-stdin``); then each case, found by its subject, must carry EXACTLY its expected
open finding codes (``intake queue --json`` → ``open_findings``, and the Finding rows). A complete
submission may only carry info findings, named in its expected set.

Everything is invented: people, organisations (``*.example.co.jp`` / ``*.example.jp`` /
``*.example.com``), passwords.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from intake.cases.unlock import unlock
from intake.checks import CONFIRMATION_BLOCK, load_rules
from intake.checks.corporate import check_digit
from intake.db.tables import Attachment, Case, Finding
from intake.forms import write_application, write_staff_registration
from intake.resources import default_rules_dir
from intake.runner.poller import Poller
from intake.secretariat.register.file import REGISTER_COLUMNS
from support.mailfactory import DOCX_TYPE, JST, make_mail
from support.office_fixtures import encrypt_agile, make_aes_zip, make_docm, make_pdf
from support.samples import application
from support.samples import person as sample_person

PASSWORD = "Kasumi#2026-0412"  # the password "phoned in" for every encrypted form
PDF_TYPE = "application/pdf"
ZIP_TYPE = "application/zip"
DOCM_TYPE = "application/vnd.ms-word.document.macroEnabled.12"
TODAY = datetime.now(JST).date()
YYMMDD = TODAY.strftime("%y%m%d")
OUTSIDE = datetime(TODAY.year - 1, 2, 10, 10, 30, tzinfo=JST)  # arrival outside every period
PERIODS = (
    (TODAY - timedelta(days=30), TODAY + timedelta(days=30)),
    (TODAY + timedelta(days=180), TODAY + timedelta(days=210)),
)
INFO_ONLY = frozenset({"non_member", "taskforce_contact", "staff_registration_not_needed"})


# ---- organisations and people ----------------------------------------------------------------

_numbers = itertools.count(4_100_000_001)


def corporate_number() -> str:
    """A fresh valid 法人番号 (13 digits, check digit first)."""
    base = f"{next(_numbers):012d}"
    return f"{check_digit(base)}{base}"


@dataclass(frozen=True)
class Person:
    name: str
    kana: str
    email: str
    department: str = "情報システム部"
    title: str = "課長"
    phone: str = "03-5555-0101"

    def block(self, kind: str = "新規", *, system: Any = "要", poc: Any = "しない", **changes: Any) -> dict:
        """This person's 事務従事者 block of a 事務従事者登録届."""
        values = sample_person(
            self.name, kind, kana=self.kana, email=self.email, department=self.department,
            title=self.title, phone=self.phone,
        )  # fmt: skip
        return values | {"system_registration": system, "poc": poc} | changes

    def register_row(self, org: Org, *, poc: str = "しない") -> dict:
        return org.register_row() | {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "system_registration": "要",
            "poc": poc,
        }

    @property
    def sender(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Org:
    name: str
    kana: str
    domain: str  # a sub-domain of example.co.jp / example.jp / example.com
    number: str | None = field(default_factory=corporate_number)
    department: str = "情報システム部"

    def person(self, name: str, kana: str, local: str, **kw: Any) -> Person:
        return Person(name, kana, f"{local}@{self.domain}", department=self.department, **kw)

    def register_row(self) -> dict:
        return {"org_name": self.name, "corporate_number": self.number or "", "department": self.department}


def app_values(org: Org, poc: Person, **changes: Any) -> dict:
    """A complete 加入申込書 for ``org`` with ``poc`` as 4(1), not asking for secret information."""
    values = application(
        org_name=org.name,
        org_name_kana=org.kana,
        corporate_number=org.number,
        department=org.department,
        receive_secrets="希望しない",
        poc_name=poc.name,
        poc_name_kana=poc.kana,
        poc_title=f"{poc.department} {poc.title}",
        poc_phone=poc.phone,
        poc_email=poc.email,
    )
    for key, value in changes.items():
        if key.startswith("poc_"):
            values["poc"][key[4:]] = value
        else:
            values[key] = value
    return values


def app_name(org_in_name: str, date_part: str = YYMMDD, bracket: str = "（）", ext: str = "docx") -> str:
    return f"{date_part}_協議会加入申込書{bracket[0]}{org_in_name}{bracket[1]}.{ext}"


def staff_name(org_in_name: str) -> str:
    return f"{YYMMDD}_事務従事者登録届（{org_in_name}）.docx"


@cache
def _encrypt(plain: bytes) -> bytes:
    return encrypt_agile(plain, PASSWORD)


def app_file(values: dict, *, filename: str | None = None, encrypt: bool = True) -> tuple[str, bytes, str]:
    data = write_application(values)
    return filename or app_name(values["org_name"]), _encrypt(data) if encrypt else data, DOCX_TYPE


def staff_file(
    org: Org, people: list[dict], *, filename: str | None = None, encrypt: bool = True, **kw: Any
) -> tuple[str, bytes, str]:
    data = write_staff_registration(org.name, people, **kw)
    return filename or staff_name(org.name), _encrypt(data) if encrypt else data, DOCX_TYPE


# ---- mail and scenarios ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One message to append; ``date`` sets its IMAP INTERNALDATE (the arrival time)."""

    sender: str
    body: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()
    subject: str | None = None  # default: the scenario's subject
    date: datetime | None = None
    reply_to_first: bool = False  # In-Reply-To the scenario's first message


@dataclass(frozen=True)
class Scenario:
    name: str
    mailbox: str  # membership | incident
    mails: Callable[[], list[Mail]]
    expected: frozenset[str]
    register: tuple[dict, ...] = ()  # rows of the register file imported before anything arrives
    accepted_before: Callable[[], list[Mail]] | None = None  # sent, opened and accepted first
    unlock: bool = True  # staff type the phoned-in password for every encrypted file
    unlock_by_cli: bool = False  # …through `intake unlock ID --password-stdin`
    check: Callable[[dict], None] | None = None  # more assertions on `intake show --json`
    subject: str = "協議会加入申込書の提出について"


SUBMIT_BODY = (
    "サイバーセキュリティ協議会事務局 御中\n\nいつもお世話になっております。\n"
    "標記の件、書類を暗号化の上、送付いたします。\nパスワードは別途お電話にてお知らせいたします。\n"
    "ご確認のほど、よろしくお願いいたします。\n"
)
CHANGE_BODY = (
    "協議会事務局 ご担当者様\n\nお世話になっております。\n"
    "事務従事者の変更がありましたので、事務従事者登録届を送付いたします。\n"
    "パスワードは別途お電話でお伝えします。\n"
)


def submit(poc: Person, *files: tuple[str, bytes, str], body: str = SUBMIT_BODY, **kw: Any) -> list[Mail]:
    return [Mail(poc.sender, body, tuple(files), **kw)]


# ---- membership scenarios -----------------------------------------------------------------------

AOBA = Org("あおば電機株式会社", "あおばでんき", "aoba-denki.example.co.jp")
AOBA_POC = AOBA.person("青葉　花子", "あおば　はなこ", "hanako.aoba")

ASAHI = Org(
    "朝日通信株式会社", "あさひつうしん", "asahi-tsushin.example.co.jp", department="セキュリティ統括部"
)
ASAHI_POC = ASAHI.person("朝日　一郎", "あさひ　いちろう", "ichiro.asahi")
ASAHI_2 = ASAHI.person("日向　真理", "ひなた　まり", "mari.hinata", title="主任", phone="03-5555-0102")

# On the imported register: a change of staff, sent by the POC.
MINATO = Org("みなと精工株式会社", "みなとせいこう", "minato-seiko.example.co.jp")
MINATO_A = MINATO.person("港　一郎", "みなと　いちろう", "ichiro.minato")
MINATO_B = MINATO.person("港　二郎", "みなと　じろう", "jiro.minato", phone="03-5555-0201")
MINATO_C = MINATO.person("港　三郎", "みなと　さぶろう", "saburo.minato", phone="03-5555-0202")
MINATO_D = MINATO.person("港　四郎", "みなと　しろう", "shiro.minato", phone="03-5555-0203")


_FAMILIES = itertools.cycle(
    [("山本", "やまもと"), ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"),
     ("松本", "まつもと"), ("井上", "いのうえ"), ("木村", "きむら"), ("清水", "しみず"), ("森田", "もりた"),
     ("池田", "いけだ"), ("橋本", "はしもと"), ("石川", "いしかわ")]
)  # fmt: skip


def person_of(org: Org, given: str, given_kana: str, local: str, **kw: Any) -> Person:
    """An invented member of staff of ``org`` (the next family name of the list)."""
    family, kana = next(_FAMILIES)
    return org.person(f"{family}　{given}", f"{kana}　{given_kana}", local, **kw)


def simple(label: str, kana: str, domain: str) -> tuple[Org, Person]:
    """An organisation of its own for one scenario, and its POC."""
    org = Org(f"{label}株式会社", kana, domain)
    return org, person_of(org, "太郎", "たろう", "taro")


def defect(
    name: str,
    expected: set[str],
    label: str,
    kana: str,
    domain: str,
    *,
    change: dict | None = None,
    filename: Callable[[Org], str] | None = None,
    encrypt: bool = True,
    body: str = SUBMIT_BODY,
    date_: datetime | None = None,
    unlock: bool = True,
) -> Scenario:
    """A complete application alone (secrets not wanted) with one thing changed."""
    org, poc = simple(label, kana, domain)

    def mails() -> list[Mail]:
        values = app_values(org, poc, **(change or {}))
        name_ = filename(org) if filename else None
        return submit(poc, app_file(values, filename=name_, encrypt=encrypt), body=body, date=date_)

    return Scenario(name, "membership", mails, frozenset(expected), unlock=unlock)


def with_staff(
    name: str,
    expected: set[str],
    label: str,
    kana: str,
    domain: str,
    people: Callable[[Person, Person], list[dict]],
    **app_changes: Any,
) -> Scenario:
    """An application asking for secret information (3(2) 希望する) with its staff registration."""
    org, poc = simple(label, kana, domain)
    other = person_of(org, "花子", "はなこ", "hanako", title="主任", phone="03-5555-0303")

    def mails() -> list[Mail]:
        values = app_values(org, poc, receive_secrets="希望する", **app_changes)
        return submit(poc, app_file(values), staff_file(org, people(poc, other)))

    return Scenario(name, "membership", mails, frozenset(expected))


def change_of(
    name: str,
    expected: set[str],
    org: Org,
    on_file: list[tuple[Person, str]],
    blocks: Callable[[], list[dict]],
    *,
    sender: Person | str,
    accepted_before: Callable[[], list[Mail]] | None = None,
    unlock_by_cli: bool = False,
    check: Callable[[dict], None] | None = None,
    encrypt: bool = True,
) -> Scenario:
    """A 事務従事者登録届 alone for an organisation on the imported register."""

    def mails() -> list[Mail]:
        who = sender.sender if isinstance(sender, Person) else sender
        return [Mail(who, CHANGE_BODY, (staff_file(org, blocks(), encrypt=encrypt),))]

    return Scenario(
        name,
        "membership",
        mails,
        frozenset(expected),
        register=tuple(p.register_row(org, poc=poc) for p, poc in on_file),
        accepted_before=accepted_before,
        unlock_by_cli=unlock_by_cli,
        check=check,
        subject="事務従事者登録届の提出",
    )


def register_org(label: str, kana: str, domain: str) -> tuple[Org, list[Person]]:
    """An organisation with three people on the register (the first is the POC)."""
    org = Org(f"{label}株式会社", kana, domain)
    people = [
        person_of(org, "一郎", "いちろう", "ichiro"),
        person_of(org, "二郎", "じろう", "jiro", phone="03-5555-0401"),
        person_of(org, "三郎", "さぶろう", "saburo", phone="03-5555-0402"),
    ]
    return org, people


def on_file(people: list[Person]) -> list[tuple[Person, str]]:
    return [(p, "する" if i == 0 else "しない") for i, p in enumerate(people)]


KAEDE, KAEDE_P = register_org("かえで物産", "かえでぶっさん", "kaede-bussan.example.co.jp")
HINOKI, HINOKI_P = register_org("ひのき建設", "ひのきけんせつ", "hinoki-kensetsu.example.co.jp")
KUSU, KUSU_P = register_org("くすのき製薬", "くすのきせいやく", "kusunoki-seiyaku.example.co.jp")
KIRI, KIRI_P = register_org("きり運輸", "きりうんゆ", "kiri-unyu.example.co.jp")
SUGI, SUGI_P = register_org("すぎ電力", "すぎでんりょく", "sugi-denryoku.example.co.jp")
NARA, NARA_P = register_org("なら化学", "ならかがく", "nara-kagaku.example.co.jp")
MOMI, MOMI_P = register_org("もみじ銀行", "もみじぎんこう", "momiji-bank.example.co.jp")
YANAGI, YANAGI_P = register_org("やなぎ通商", "やなぎつうしょう", "yanagi-tsusho.example.co.jp")
TSUBAKI = Org(
    "つばき鉄道株式会社", "つばきてつどう", "tsubaki-rail.example.co.jp", department="情報システム部"
)
TSUBAKI_OTHER = replace(TSUBAKI, department="研究開発本部")
TSUBAKI_POC = TSUBAKI_OTHER.person("椿　次郎", "つばき　じろう", "jiro.tsubaki")
TSUBAKI_ON_FILE = TSUBAKI.person("椿　一郎", "つばき　いちろう", "ichiro.tsubaki")
KAMOME_A = Org(
    "かもめ電力株式会社", "かもめでんりょく", "kamome-power.example.co.jp", department="情報システム部"
)
KAMOME_B = replace(KAMOME_A, department="送配電事業本部")
KAMOME_POC_A = person_of(KAMOME_A, "太郎", "たろう", "taro")
KAMOME_POC_B = person_of(KAMOME_B, "花子", "はなこ", "hanako")
HAGI, HAGI_P = register_org("はぎ証券", "はぎしょうけん", "hagi-sec.example.co.jp")
KURI, KURI_P = register_org("くり病院", "くりびょういん", "kuri-hospital.example.jp")


def kiri_removal() -> list[Mail]:
    """Accepted earlier: the third person of きり運輸 removed (廃止)."""
    a, b, c = KIRI_P
    blocks = [a.block("継続", poc="する"), b.block("継続"), c.block("廃止")]
    return [
        Mail(a.sender, CHANGE_BODY, (staff_file(KIRI, blocks),), subject="事務従事者登録届の提出（前回分）")
    ]


def complete_change_check(shown: dict) -> None:
    staff = shown["fields"]["staff"]
    assert [p["application_type"] for p in staff] == ["継続", "継続", "廃止", "新規"]
    assert shown["status"] == "ready_for_review"
    assert [a["state"] for a in shown["attachments"]] == ["decrypted"]


def complete_app_check(shown: dict) -> None:
    assert shown["kind"] == "membership_application"
    assert shown["status"] == "ready_for_review"
    assert shown["fields"]["application"]["org_name"] == shown["org_name"]
    assert all(a["encrypted"] and a["state"] in ("decrypted",) for a in shown["attachments"])


def names_the_other_department(department: str) -> Callable[[dict], None]:
    def check(shown: dict) -> None:
        [finding] = [f for f in shown["findings"] if f["code"] == "duplicate_department"]
        assert finding["severity"] == "warning" and department in finding["message_ja"], finding

    return check


def complete_with_staff_check(shown: dict) -> None:
    complete_app_check(shown)
    assert [(p["application_type"], p["poc"]) for p in shown["fields"]["staff"]] == [
        ("新規", "する"),
        ("新規", "しない"),
    ]


def plain_change_check(shown: dict) -> None:
    assert [a["state"] for a in shown["attachments"]] == ["plain"]  # read on arrival, no password
    assert [p["application_type"] for p in shown["fields"]["staff"]] == ["継続", "継続", "廃止"]
    assert shown["status"] == "ready_for_review"  # encryption_required is a warning: processed anyway


def password_not_used_check(shown: dict) -> None:
    assert [a["state"] for a in shown["attachments"]] == ["password_pending"]
    assert shown["status"] == "waiting_for_password"
    assert [m["direction"] for m in shown["messages"] if m["direction"] == "in"] == ["in", "in"]


MEMBERSHIP: list[Scenario] = [
    # -- complete submissions ---------------------------------------------------------------------
    Scenario(
        "complete_application_alone_no_secrets",
        "membership",
        lambda: submit(AOBA_POC, app_file(app_values(AOBA, AOBA_POC))),
        frozenset(),
        check=complete_app_check,
    ),
    Scenario(
        "complete_application_with_staff_registration",
        "membership",
        lambda: submit(
            ASAHI_POC,
            app_file(app_values(ASAHI, ASAHI_POC, receive_secrets="希望する")),
            staff_file(ASAHI, [ASAHI_POC.block(poc="する"), ASAHI_2.block(system="不要")]),
        ),
        frozenset(),
        check=complete_with_staff_check,
    ),
    change_of(
        "complete_staff_change_on_register",
        set(),
        MINATO,
        on_file([MINATO_A, MINATO_B, MINATO_C]),
        lambda: [
            MINATO_A.block("継続", poc="する"),
            MINATO_B.block("継続", phone="03-5555-0299"),
            MINATO_C.block("廃止"),
            MINATO_D.block("新規", system="不要"),
        ],
        sender=MINATO_A,
        unlock_by_cli=True,
        check=complete_change_check,
    ),
    Scenario(
        "complete_application_in_password_zip",
        "membership",
        lambda: submit(
            POC_ZIP,
            (
                app_name(ORG_ZIP.name, ext="zip"),
                make_aes_zip(
                    {app_name(ORG_ZIP.name): write_application(app_values(ORG_ZIP, POC_ZIP))}, PASSWORD
                ),
                ZIP_TYPE,
            ),
        ),
        frozenset(),
    ),
    defect(
        "complete_abbreviated_legal_form_in_file_name",
        set(),
        "こだま工業",
        "こだまこうぎょう",
        "kodama-kogyo.example.co.jp",
        filename=lambda org: app_name("こだま工業㈱"),
    ),
    defect(
        "complete_taskforce_class_1",
        {"taskforce_contact"},
        "ひかり情報",
        "ひかりじょうほう",
        "hikari-joho.example.co.jp",
        change={"participation": "タスクフォース第一類構成員"},
    ),
    # -- one defect each -------------------------------------------------------------------------
    defect(
        "filename_without_date",
        {"filename_format"},
        "いろは商事",
        "いろはしょうじ",
        "iroha-shoji.example.co.jp",
        filename=lambda org: f"協議会加入申込書（{org.name}）.docx",
    ),
    defect(
        "filename_impossible_date",
        {"filename_format"},
        "うしお海運",
        "うしおかいうん",
        "ushio-kaiun.example.co.jp",
        filename=lambda org: app_name(org.name, date_part=f"{YYMMDD[:2]}1342"),
    ),
    defect(
        "filename_half_width_brackets",
        {"filename_format"},
        "えびす食品",
        "えびすしょくひん",
        "ebisu-foods.example.co.jp",
        filename=lambda org: app_name(org.name, bracket="()"),
    ),
    defect(
        "filename_names_another_organisation",
        {"filename_org_mismatch"},
        "おおぞら航空",
        "おおぞらこうくう",
        "ozora-air.example.co.jp",
        filename=lambda org: app_name("そらまめ物流株式会社"),
    ),
    Scenario(
        "pdf_instead_of_word",
        "membership",
        lambda: submit(POC_PDF, (app_name(ORG_PDF.name, ext="pdf"), make_pdf(), PDF_TYPE)),
        frozenset({"word_format_required"}),
    ),
    defect(
        "word_file_not_encrypted",
        {"encryption_required"},
        "かすみ証券",
        "かすみしょうけん",
        "kasumi-sec.example.co.jp",
        encrypt=False,
        body="お世話になっております。\n加入申込書を送付いたします。\n",
    ),
    defect(
        "password_written_in_the_mail",
        {"password_in_email"},
        "きらら電子",
        "きららでんし",
        "kirara-denshi.example.co.jp",
        body=f"お世話になっております。\n加入申込書を送付いたします。\nパスワード：{PASSWORD}\nよろしくお願いいたします。\n",
    ),
    defect(
        "password_not_yet_phoned_in",
        {"password_pending"},
        "くれは製紙",
        "くれはせいし",
        "kureha-seishi.example.co.jp",
        unlock=False,
    ),
    defect(
        "new_application_outside_recruitment_period",
        {"outside_recruitment_period"},
        "けやき保険",
        "けやきほけん",
        "keyaki-hoken.example.co.jp",
        filename=lambda org: app_name(org.name, date_part=OUTSIDE.strftime("%y%m%d")),
        date_=OUTSIDE,
    ),
    Scenario(
        "change_notice_outside_recruitment_period_is_fine",
        "membership",
        lambda: submit(
            MOMI_P[0],
            app_file(
                app_values(
                    MOMI, MOMI_P[0], application_kind="申込み事項の変更", address="大阪府大阪市北区梅田1-2-3"
                ),
                filename=app_name(MOMI.name, date_part=OUTSIDE.strftime("%y%m%d")),
            ),
            date=OUTSIDE,
        ),
        frozenset(),
        register=tuple(p.register_row(MOMI, poc=poc) for p, poc in on_file(MOMI_P)),
    ),
    Scenario(
        "macro_enabled_document",
        "membership",
        lambda: submit(
            POC_DOCM,
            (
                app_name(ORG_DOCM.name, ext="docm"),
                make_docm(write_application(app_values(ORG_DOCM, POC_DOCM))),
                DOCM_TYPE,
            ),
        ),
        frozenset({"macro_enabled_document"}),
    ),
    defect(
        "poc_email_left_empty",
        {"required_field:poc.email"},
        "さくら電工",
        "さくらでんこう",
        "sakura-denko.example.co.jp",
        change={"poc_email": None},
    ),
    defect(
        "address_left_empty",
        {"required_field:address"},
        "しおさい水産",
        "しおさいすいさん",
        "shiosai-suisan.example.co.jp",
        change={"address": None},
    ),
    defect(
        "sector_missing_for_critical_infrastructure",
        {"required_field:sector"},
        "すずらんガス",
        "すずらんがす",
        "suzuran-gas.example.co.jp",
        change={"category": "重要社会基盤事業者", "sector": None},
    ),
    defect(
        "receive_secrets_not_ticked",
        {"choice_required:receive_secrets"},
        "せせらぎ水道",
        "せせらぎすいどう",
        "seseragi-water.example.co.jp",
        change={"receive_secrets": None},
    ),
    defect(
        "roster_publication_both_ticked",
        {"choice_required:roster_publication"},
        "そよかぜ物流",
        "そよかぜぶつりゅう",
        "soyokaze-logi.example.co.jp",
        change={"roster_publication": ["登載する", "登載しない"]},
    ),
    Scenario(
        "individual_instead_of_organisation",
        "membership",
        lambda: submit(
            INDIVIDUAL,
            app_file(
                app_values(
                    Org(
                        "鈴木　一郎",
                        "すずき　いちろう",
                        "suzuki-office.example.jp",
                        number=None,
                        department="",
                    ),
                    INDIVIDUAL,
                    category="その他",
                    sector=None,
                ),
                filename=app_name("鈴木一郎"),
            ),
        ),
        frozenset({"individual_applicant"}),
    ),
    defect(
        "corporate_number_check_digit_wrong",
        {"corporate_number_invalid"},
        "たちばな薬品",
        "たちばなやくひん",
        "tachibana-yakuhin.example.co.jp",
        change={"corporate_number": "1234567890123"},
    ),
    defect(
        "corporate_number_twelve_digits",
        {"corporate_number_invalid"},
        "たまがわ計器",
        "たまがわけいき",
        "tamagawa-keiki.example.co.jp",
        change={"corporate_number": "700001205000"},
    ),
    defect(
        "secrets_wanted_without_staff_registration",
        {"staff_registration_required"},
        "ちどり電鉄",
        "ちどりでんてつ",
        "chidori-dentetsu.example.co.jp",
        change={"receive_secrets": "希望する"},
    ),
    Scenario(
        "staff_registration_sent_though_not_needed",
        "membership",
        lambda: submit(
            POC_NN,
            app_file(app_values(ORG_NN, POC_NN)),
            staff_file(ORG_NN, [POC_NN.block(poc="する")]),
        ),
        frozenset({"staff_registration_not_needed"}),
    ),
    Scenario(
        "another_department_already_a_member",
        "membership",
        lambda: submit(TSUBAKI_POC, app_file(app_values(TSUBAKI_OTHER, TSUBAKI_POC))),
        frozenset({"duplicate_department"}),
        register=(TSUBAKI_ON_FILE.register_row(TSUBAKI, poc="する"),),
        check=names_the_other_department("つばき鉄道株式会社 情報システム部"),
    ),
    Scenario(  # Q5: two departments of one corporation apply; neither is a member yet. Each case
        # names the other: the first is checked again when the second is read.
        "two_departments_apply_at_once_first",
        "membership",
        lambda: submit(KAMOME_POC_A, app_file(app_values(KAMOME_A, KAMOME_POC_A))),
        frozenset({"duplicate_department"}),
        check=names_the_other_department("かもめ電力株式会社 送配電事業本部"),
    ),
    Scenario(
        "two_departments_apply_at_once_second",
        "membership",
        lambda: submit(KAMOME_POC_B, app_file(app_values(KAMOME_B, KAMOME_POC_B))),
        frozenset({"duplicate_department"}),
        check=names_the_other_department("かもめ電力株式会社 情報システム部"),
    ),
    Scenario(
        "change_notice_from_an_address_not_on_file",
        "membership",
        lambda: submit(
            Person("佐々木　健", "ささき　けん", "ken.sasaki@tokiwa-net.example.com"),
            app_file(
                app_values(
                    HAGI,
                    HAGI_P[0],
                    application_kind="申込み事項の変更",
                    address="福岡県福岡市中央区天神2-2-2",
                )
            ),
        ),
        frozenset({"sender_not_on_file"}),
        register=tuple(p.register_row(HAGI, poc=poc) for p, poc in on_file(HAGI_P)),
    ),
    Scenario(  # 3(2) 希望する without a staff registration: fine, people are on file (Q8)
        "secrets_wanted_and_staff_already_on_file",
        "membership",
        lambda: submit(
            KURI_P[0],
            app_file(
                app_values(KURI, KURI_P[0], application_kind="申込み事項の変更", receive_secrets="希望する")
            ),
        ),
        frozenset(),
        register=tuple(p.register_row(KURI, poc=poc) for p, poc in on_file(KURI_P)),
    ),
    with_staff(
        "staff_email_is_a_mailing_list",
        {"mailing_list_address"},
        "つつじ銀行",
        "つつじぎんこう",
        "tsutsuji-bank.example.co.jp",
        lambda poc, other: [
            poc.block(poc="する"),
            other.block(email="security-ml@tsutsuji-bank.example.co.jp"),
        ],
    ),
    with_staff(
        "same_email_for_two_people",
        {"mailing_list_address"},
        "てまり工房",
        "てまりこうぼう",
        "temari-kobo.example.co.jp",
        lambda poc, other: [poc.block(poc="する"), other.block(email=poc.email)],
    ),
    with_staff(
        "poc_of_application_not_registered_as_poc",
        {"poc_not_registered"},
        "ときわ電設",
        "ときわでんせつ",
        "tokiwa-densetsu.example.co.jp",
        lambda poc, other: [poc.block(poc="しない"), other.block(poc="する")],
    ),
    with_staff(
        "two_people_registered_as_poc",
        {"multiple_poc"},
        "なぎさ観光",
        "なぎさかんこう",
        "nagisa-kanko.example.co.jp",
        lambda poc, other: [poc.block(poc="する"), other.block(poc="する")],
    ),
    with_staff(
        "staff_phone_left_empty",
        {"required_field:staff[2].phone"},
        "にしき織物",
        "にしきおりもの",
        "nishiki-orimono.example.co.jp",
        lambda poc, other: [poc.block(poc="する"), other.block(phone=None)],
    ),
    with_staff(
        "staff_system_registration_not_ticked",
        {"choice_required:staff[1].system_registration"},
        "ぬまた酒造",
        "ぬまたしゅぞう",
        "numata-shuzo.example.co.jp",
        lambda poc, other: [poc.block(poc="する", system=None), other.block()],
    ),
    with_staff(
        "staff_application_type_two_ticked",
        {"choice_required:staff[2].application_type"},
        "のぞみ交通",
        "のぞみこうつう",
        "nozomi-kotsu.example.co.jp",
        lambda poc, other: [poc.block(poc="する"), other.block(["新規", "継続"])],
    ),
    with_staff(
        "staff_poc_both_ticked",
        {"choice_required:staff[2].poc"},
        "はやて通運",
        "はやてつううん",
        "hayate-tsuun.example.co.jp",
        lambda poc, other: [poc.block(poc="する"), other.block(poc=["する", "しない"])],
    ),
    change_of(
        "continuing_for_someone_not_on_the_register",
        {"continuing_unknown"},
        KAEDE,
        on_file(KAEDE_P),
        lambda: [
            KAEDE_P[0].block("継続", poc="する"),
            KAEDE_P[1].block("継続"),
            KAEDE_P[2].block("継続"),
            KAEDE.person("楓　五郎", "かえで　ごろう", "goro").block("継続"),
        ],
        sender=KAEDE_P[0],
    ),
    change_of(
        "new_for_someone_already_registered",
        {"new_already_registered"},
        HINOKI,
        on_file(HINOKI_P),
        lambda: [HINOKI_P[0].block("継続", poc="する"), HINOKI_P[1].block("新規"), HINOKI_P[2].block("継続")],
        sender=HINOKI_P[0],
    ),
    change_of(
        "removal_of_someone_not_on_the_register",
        {"abolished_unknown"},
        KUSU,
        on_file(KUSU_P),
        lambda: [
            KUSU_P[0].block("継続", poc="する"),
            KUSU_P[1].block("継続"),
            KUSU_P[2].block("継続"),
            KUSU.person("楠　六郎", "くすのき　ろくろう", "rokuro").block("廃止"),
        ],
        sender=KUSU_P[0],
    ),
    change_of(
        "block_removed_last_time_still_there",
        {"abolished_not_removed"},
        KIRI,
        on_file(KIRI_P),
        lambda: [KIRI_P[0].block("継続", poc="する"), KIRI_P[1].block("継続"), KIRI_P[2].block("廃止")],
        sender=KIRI_P[0],
        accepted_before=kiri_removal,
    ),
    change_of(
        "change_from_an_address_not_on_file",
        {"sender_not_on_file"},
        SUGI,
        on_file(SUGI_P),
        lambda: [SUGI_P[0].block("継続", poc="する"), SUGI_P[1].block("継続"), SUGI_P[2].block("継続")],
        sender="総務部 <somu-tanto@sugi-denryoku.example.co.jp>",
    ),
    change_of(
        "staff_change_not_encrypted_is_read_on_arrival",
        {"encryption_required"},
        YANAGI,
        on_file(YANAGI_P),
        lambda: [YANAGI_P[0].block("継続", poc="する"), YANAGI_P[1].block("継続"), YANAGI_P[2].block("廃止")],
        sender=YANAGI_P[0],
        encrypt=False,
        check=plain_change_check,
    ),
    # -- combinations ----------------------------------------------------------------------------
    defect(
        "plain_file_bad_name_and_password_in_mail",
        {"encryption_required", "filename_format", "password_in_email"},
        "ひばり精機",
        "ひばりせいき",
        "hibari-seiki.example.co.jp",
        encrypt=False,
        filename=lambda org: f"申込書_{org.name}.docx",
        body="お世話になっております。\n申込書を送ります。\nPW: Hibari2026!\n",
    ),
    defect(
        "outside_period_and_wrong_corporate_number",
        {"outside_recruitment_period", "corporate_number_invalid"},
        "ふたば電池",
        "ふたばでんち",
        "futaba-denchi.example.co.jp",
        change={"corporate_number": "123456789012"},
        date_=OUTSIDE,
        filename=lambda org: app_name(org.name, date_part=OUTSIDE.strftime("%y%m%d")),
    ),
    Scenario(
        "password_sent_in_a_follow_up_is_not_used",
        "membership",
        lambda: [
            *submit(POC_FUP, app_file(app_values(ORG_FUP, POC_FUP))),
            Mail(
                POC_FUP.sender,
                f"先ほどお送りした申込書のパスワードをお知らせします。\nパスワード：{PASSWORD}\n",
                subject="Re: 協議会加入申込書の提出について",
                reply_to_first=True,
            ),
        ],
        frozenset({"password_pending", "password_in_email"}),
        unlock=False,
        check=password_not_used_check,
    ),
    with_staff(
        "mailing_list_and_poc_not_registered",
        {"mailing_list_address", "poc_not_registered"},
        "ほたる電装",
        "ほたるでんそう",
        "hotaru-denso.example.co.jp",
        lambda poc, other: [poc.block(), other.block(poc="する", email="all@hotaru-denso.example.co.jp")],
    ),
    change_of(
        "unknown_sender_and_unknown_continuing_person",
        {"sender_not_on_file", "continuing_unknown"},
        NARA,
        on_file(NARA_P),
        lambda: [
            NARA_P[0].block("継続", poc="する"),
            NARA_P[1].block("継続"),
            NARA.person("奈良　七海", "なら　ななみ", "nanami").block("継続"),
        ],
        sender="奈良 七海 <nanami@nara-kagaku.example.co.jp>",
    ),
    Scenario(
        "staff_registration_as_pdf_with_application",
        "membership",
        lambda: submit(
            POC_SPDF,
            app_file(app_values(ORG_SPDF, POC_SPDF, receive_secrets="希望する")),
            (staff_name(ORG_SPDF.name).replace(".docx", ".pdf"), make_pdf(), PDF_TYPE),
        ),
        frozenset({"word_format_required"}),
    ),
]

ORG_FUP, POC_FUP = simple("よつば電子", "よつばでんし", "yotsuba-denshi.example.co.jp")
ORG_ZIP, POC_ZIP = simple("まつば製作所", "まつばせいさくしょ", "matsuba-ss.example.co.jp")
ORG_PDF, POC_PDF = simple("みずほ陶器", "みずほとうき", "mizuho-toki.example.co.jp")
ORG_DOCM, POC_DOCM = simple("むつみ印刷", "むつみいんさつ", "mutsumi-print.example.co.jp")
ORG_NN, POC_NN = simple("めぐみ農産", "めぐみのうさん", "megumi-nosan.example.co.jp")
ORG_SPDF, POC_SPDF = simple("もえぎ造船", "もえぎぞうせん", "moegi-zosen.example.co.jp")
INDIVIDUAL = Person(
    "鈴木　一郎", "すずき　いちろう", "ichiro@suzuki-office.example.jp", department="", title="代表"
)


# ---- incident scenarios -------------------------------------------------------------------------

ICHO = Org("いちょう保険株式会社", "いちょうほけん", "icho-hoken.example.jp")
ICHO_P = ICHO.person("銀杏　京子", "いちょう　きょうこ", "kyoko.icho")
OUTSIDER = "高橋 誠 <makoto.takahashi@nire-shoji.example.com>"
REPORT = (
    "サイバーセキュリティ協議会事務局 御中\n\n"
    "本日午前、当社の複数の社員宛てに、取引先を装った不審なメールが届きました。\n"
    "添付ファイル（請求書.zip）を開いた社員はいないことを確認しています。\n"
    "送信元アドレス：billing@invoice-check.example.com\n"
)
INCIDENT_SUBJECT = "不審メール受信のご報告"
SIGN = "\n以上、よろしくお願いいたします。\n"
BLOCK = "確認①（秘密指定の有無）：{}\n確認②（情報の共有範囲）：{}\n確認③（協議会事務局外への対応調整の要否）：{}\n"


def quoted_checklist() -> str:
    """Our checklist for the three confirmations, as the reporter's mail program quotes it."""
    catalogue = load_rules(default_rules_dir()).catalogue.entries
    lines = [
        "サイバーセキュリティ協議会事務局です。以下についてご回答ください。",
        *(
            catalogue[code].message.ja
            for code in ("secret_designation", "sharing_scope", "external_coordination")
        ),
        *CONFIRMATION_BLOCK.splitlines(),
    ]
    return "\n".join(f"> {line}" for line in lines) + "\n"


def incident(
    name: str,
    expected: set[str],
    body: str,
    *,
    sender: str = OUTSIDER,
    subject: str | None = None,
    check=None,
) -> Scenario:
    return Scenario(
        name,
        "incident",
        lambda: [Mail(sender, REPORT + body + SIGN, subject=subject)],
        frozenset(expected),
        check=check,
        subject=INCIDENT_SUBJECT,
    )


def answers(secret: str | None, scope: str | None, tlp: str | None, coordination: str | None):
    def check(shown: dict) -> None:
        got = shown["fields"]["incident"]
        assert (
            got["secret_designation"],
            got["sharing_scope"],
            got["tlp"],
            got["external_coordination"],
        ) == (
            secret,
            scope,
            tlp,
            coordination,
        ), got

    return check


INCIDENT: list[Scenario] = [
    incident(
        "incident_member_answers_all_three",
        set(),
        "被害組織名は秘密に指定してほしいです。\n情報の共有範囲は協議会構成員限りでお願いします。\n"
        "他の構成員に同様の報告がないか確認してほしいです。\n",
        sender=ICHO_P.sender,
        check=answers("requested", "協議会構成員限り", None, "requested"),
    ),
    incident(
        "incident_non_member_fill_in_block",
        {"non_member"},
        BLOCK.format("不要", "TLP:GREEN", "不審メールの送信元に通知してほしい"),
        check=answers("not_requested", "TLP:GREEN", "GREEN", "requested"),
    ),
    incident(
        "incident_tlp_in_subject",
        {"non_member"},
        "当社名は伏せていただくようお願いします。\n事務局外への対応調整は不要です。\n",
        subject="[TLP:AMBER] 不審メール受信のご報告",
        check=answers("requested", "TLP:AMBER", "AMBER", "not_requested"),
    ),
    incident(
        "incident_no_confirmation_answered",
        {"secret_designation", "sharing_scope", "external_coordination", "non_member"},
        "取り急ぎご報告いたします。\n",
    ),
    incident(
        "incident_only_secrecy_answered",
        {"sharing_scope", "external_coordination", "non_member"},
        "なお、秘密指定は不要です。\n",
    ),
    incident(
        "incident_secrecy_not_answered",
        {"secret_designation", "non_member"},
        "共有範囲はタスクフォース第一類グループ限りとしてください。\n"
        "構成員に同様の報告がないか確認してほしいです。\n",
    ),
    incident(
        "incident_coordination_not_answered",
        {"external_coordination"},
        "被害内容は秘密に指定してほしいです。\n共有範囲：TLP:AMBER+STRICT\n",
        sender=ICHO_P.sender,
        check=answers("requested", "TLP:AMBER+STRICT", "AMBER+STRICT", None),
    ),
    incident(
        "incident_scope_sentence_is_not_a_coordination_answer",
        {"external_coordination"},
        "秘密指定は不要です。\n共有範囲は協議会構成員限りとしてください。\n",
        sender=ICHO_P.sender,
        check=answers("not_requested", "協議会構成員限り", None, None),
    ),
    incident(
        "incident_phishing_headers_listed",
        {"external_coordination", "non_member"},
        "受信したメールは以下のとおりです。\n送信元：support@secure-login.example.com\n"
        "件名：【重要】アカウント確認のお願い\nURL：https://secure-login.example.com/check\n\n"
        "被害組織名は秘密にしてほしいです。\nTLP:AMBERでお願いします。\n",
        check=answers("requested", "TLP:AMBER", "AMBER", None),
    ),
    incident(
        "incident_all_confirmations_not_needed",
        {"non_member"},
        "確認事項①②③はいずれも不要です。\n",
    ),
    incident(
        "incident_in_english",
        {"non_member"},
        "Please keep our company name confidential.\nTLP:RED\nNo coordination needed.\n",
        sender="Alex Morgan <alex.morgan@willow-labs.example.com>",
        check=answers("requested", "TLP:RED", "RED", "not_requested"),
    ),
    Scenario(
        "incident_answers_come_in_a_reply",
        "incident",
        lambda: [
            Mail(OUTSIDER, REPORT + "詳細は追ってご連絡します。\n"),
            Mail(
                OUTSIDER,
                "追加のご連絡です。\n" + BLOCK.format("不要", "協議会構成員限り", "不要"),
                subject="Re: ご報告（追記）",
                reply_to_first=True,
            ),
        ],
        frozenset({"non_member"}),
        check=answers("not_requested", "協議会構成員限り", None, "not_requested"),
        subject=INCIDENT_SUBJECT,
    ),
    Scenario(  # the reply quotes our checklist (its examples and the empty block): not answers
        "incident_reply_answers_one_and_quotes_the_checklist",
        "incident",
        lambda: [
            Mail(OUTSIDER, REPORT + "取り急ぎご報告いたします。\n"),
            Mail(
                OUTSIDER,
                "お世話になっております。確認①について回答いたします。\n"
                "確認①（秘密指定の有無）：被害組織名は秘密に指定してほしい\n\n"
                "②と③は社内で検討中です。\n\n" + quoted_checklist(),
                subject=f"Re: {INCIDENT_SUBJECT}",
                reply_to_first=True,
            ),
        ],
        frozenset({"sharing_scope", "external_coordination", "non_member"}),
        check=answers("requested", None, None, None),
        subject=INCIDENT_SUBJECT,
    ),
]

SCENARIOS = MEMBERSHIP + INCIDENT


# ---- running the batch --------------------------------------------------------------------------


def case_subject(index: int, scenario: Scenario, first: Mail) -> str:
    """The subject the scenario's case is found by: unique thanks to the number."""
    return f"{first.subject or scenario.subject}（No.{index:02d}）"


def raw_mails(index: int, scenario: Scenario, mails: list[Mail]) -> list[dict]:
    """The scenario's messages as MULTIAPPEND items; a follow-up answers the first message."""
    out, first_id = [], f"<scenario-{index:03d}-0@example.co.jp>"
    for n, mail in enumerate(mails):
        raw = make_mail(
            subject=case_subject(index, scenario, mail) if n == 0 else mail.subject or scenario.subject,
            sender=mail.sender,
            to="kyogikai-shomu@example.jp" if scenario.mailbox == "membership" else "csc-anken@example.jp",
            body=mail.body,
            attachments=list(mail.attachments),
            message_id=f"<scenario-{index:03d}-{n}@example.co.jp>",
            in_reply_to=first_id if mail.reply_to_first else None,
            when=mail.date,
        )
        out.append({"msg": raw, "date": mail.date} if mail.date else {"msg": raw})
    return out


def append(account, messages: list[dict]) -> None:
    """APPEND with the arrival date (INTERNALDATE) given per message."""
    with account.client(None) as client:
        client.multiappend("INBOX", messages)


def write_register(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, REGISTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def unlock_all(engine, config, case_ids: list[str]) -> None:
    """Staff type the phoned-in password for every file of these cases that waits for one."""
    with Session(engine) as session:
        pending = session.exec(
            select(Attachment.id)
            .where(col(Attachment.case_id).in_(case_ids), Attachment.state == "password_pending")
            .order_by(Attachment.id)  # in order of arrival
        ).all()
        for attachment_id in pending:
            result = unlock(session, config=config, attachment_id=attachment_id, password=PASSWORD, by="test")
            assert result.opened, result
            session.commit()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, dovecot):
    """Every scenario delivered, polled once per mailbox and opened: (workspace, engine, {name: case id}).

    One engine for the whole module: each make_engine() opens and closes the database file, and
    closing any descriptor of it drops the SQLite locks the process's open connections hold."""
    from conftest import Workspace

    patch = pytest.MonkeyPatch()
    workspace = Workspace(root=tmp_path_factory.mktemp("scenarios"), monkeypatch=patch)
    periods = ", ".join(f'{{ start = "{s}", end = "{e}" }}' for s, e in PERIODS)
    workspace.extra = f'[replies]\nmode = "hold"\n\n[membership]\nrecruitment_periods = [{periods}]\n'
    accounts = {"membership": dovecot.add_account(), "incident": dovecot.add_account()}
    workspace.add_imap(accounts["membership"])
    workspace.add_imap(
        accounts["incident"], name="anken", profile="incident", prefix="CSC", address="csc-anken@example.jp"
    )
    assert workspace.cli("init").returncode == 0

    rows = [row for s in SCENARIOS for row in s.register] + [ICHO_P.register_row(ICHO, poc="する")]
    imported = workspace.cli("register", "import", str(write_register(workspace.root / "register.csv", rows)))
    assert imported.returncode == 0, imported.stderr

    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    mailbox = {m.profile: m for m in config.mailbox}

    # What was accepted earlier (Q15: the previous registration), opened and accepted as staff do.
    earlier_mails = [
        m
        for i, s in enumerate(SCENARIOS)
        if s.accepted_before
        for m in raw_mails(100 + i, s, s.accepted_before())
    ]
    append(accounts["membership"], earlier_mails)
    earlier = poller.poll(mailbox["membership"]).case_ids
    assert len(earlier) == len(earlier_mails)
    unlock_all(engine, config, earlier)
    for case_id in earlier:
        accepted = workspace.cli("set-status", case_id, "accepted")
        assert accepted.returncode == 0, accepted.stderr

    subjects: dict[str, str] = {}
    for profile in ("membership", "incident"):
        messages = []
        for i, s in enumerate(SCENARIOS):
            if s.mailbox == profile:
                mails = s.mails()
                subjects[case_subject(i, s, mails[0])] = s.name
                messages += raw_mails(i, s, mails)
        append(accounts[profile], messages)
        report = poller.poll(mailbox[profile])
        assert (report.fetched, report.quarantined) == (len(messages), 0)

    with Session(engine) as session:
        found = session.exec(select(Case).where(col(Case.id).not_in(earlier))).all()
        cases = {subjects[c.subject]: c.id for c in found}
    assert set(cases) == {s.name for s in SCENARIOS}

    unlock_all(engine, config, [cases[s.name] for s in SCENARIOS if s.unlock and not s.unlock_by_cli])
    for s in SCENARIOS:
        if s.unlock_by_cli:
            with Session(engine) as session:
                ids = session.exec(select(Attachment.id).where(Attachment.case_id == cases[s.name])).all()
            for attachment_id in ids:
                opened = workspace.cli(
                    "unlock", str(attachment_id), "--password-stdin", input=PASSWORD + "\n"
                )
                assert opened.returncode == 0, opened.stdout + opened.stderr
    yield workspace, engine, cases
    engine.dispose()
    patch.undo()


@pytest.fixture(scope="module")
def queue(batch) -> dict[str, dict]:
    workspace, _, _ = batch
    listed = workspace.cli("queue", "--json")
    assert listed.returncode == 0, listed.stderr
    return {item["id"]: item for item in json.loads(listed.stdout)}


def test_there_are_enough_scenarios_for_both_mailboxes():
    assert len(SCENARIOS) >= 30
    assert {s.mailbox for s in SCENARIOS} == {"membership", "incident"}
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: Scenario, batch, queue):
    workspace, engine, cases = batch
    case_id = cases[scenario.name]
    assert set(queue[case_id]["open_findings"]) == scenario.expected

    with Session(engine) as session:
        rows = session.exec(select(Finding).where(Finding.case_id == case_id, Finding.open)).all()
    assert {f.code for f in rows} == scenario.expected
    if scenario.expected <= INFO_ONLY:  # a complete submission: nothing for the sender or staff to act on
        assert all(f.severity == "info" for f in rows), [(f.code, f.severity) for f in rows]
        assert queue[case_id]["status"] == "ready_for_review"
    if scenario.check:
        shown = workspace.cli("show", case_id, "--json")
        assert shown.returncode == 0, shown.stderr
        scenario.check(json.loads(shown.stdout))
