"""Hostile input under a memory cap: one ``intake poll`` takes it all, keeps it all, and says why.

A Maildir of the membership mailbox holds, built here and never copied from a corpus: a 1 GiB zip
bomb of about 1 MB (and one whose directory lies about its size), Word files whose
word/document.xml explodes (a billion-laughs DTD, a million nested elements stored and deflated,
500 MB of paragraphs inside a file of 0.8 MB), a 60 MB message, a message of 10,000 MIME parts,
messages nested 200 levels deep (multiparts, forwarded messages), a header line of 1 MB, and one
ordinary application form. One ``intake poll``, run under :mod:`measured`'s launcher for its own
peak resident set size, must:

* exit 0 with a peak RSS under 300 MB;
* archive every message byte for byte and make each one either a case or an open quarantine entry;
* name, in the quarantine entry or the refused attachment, the limit that was passed in plain
  words (the ``[limits]`` key, or what the XML did);
* leave a case whose form was refused with the open finding ``attachment_unreadable`` and no
  acknowledgement in the outbox (replies are held, nothing is sent);
* process the ordinary message as usual.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hostile
import pytest
from conftest import Workspace
from measured import Measured, environment

from intake.forms import write_application
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import make_pdf
from support.samples import application

pytestmark = pytest.mark.e2e  # the poll runs as a separate process, for its own memory

RSS_CAP_MB = 300
ZIP_NAME = hostile.FORM_NAME.removesuffix(".docx") + ".zip"


@dataclass(frozen=True)
class Refused:
    """A message that goes to the quarantine, and the words its entry must hold."""

    build: Callable[[], bytes]
    says: str


@dataclass(frozen=True)
class Unreadable:
    """An attachment that is refused (``rejected``) or cannot be read (``failed``), and why."""

    build: Callable[[], bytes]
    filename: str
    content_type: str
    state: str
    says: str


QUARANTINED = {
    "60 MB message": Refused(hostile.huge_message, "limits.max_message_mb"),
    "10,000 MIME parts": Refused(hostile.many_parts, "limits.max_parts"),
    "200 nested multiparts": Refused(hostile.deep_multipart, "limits.max_depth"),
    "200 nested forwards": Refused(hostile.deep_forward, "limits.max_depth"),
    "1 MB header line": Refused(hostile.long_header_line, "limits.max_header_line_kb"),
}

ATTACHMENTS = {
    "1 GiB zip bomb": Unreadable(
        hostile.zip_bomb, ZIP_NAME, hostile.ZIP_TYPE, "rejected", "limits.max_unpacked_mb"
    ),
    # zipfile never inflates more than the directory declares, then the checksum fails
    "zip bomb whose directory lies": Unreadable(
        hostile.lying_zip_bomb, ZIP_NAME, hostile.ZIP_TYPE, "failed", "damaged"
    ),
    "billion laughs in document.xml": Unreadable(
        lambda: hostile.docx_with_document(hostile.billion_laughs()),
        hostile.FORM_NAME,
        DOCX_TYPE,
        "failed",
        "DTD or entities",
    ),
    # stored, not deflated: 7 MB passes limits.max_xml_mb and the ratio, so the parser must stop it
    "a million nested elements": Unreadable(
        lambda: hostile.docx_with_document(hostile.nested_elements(), zipfile.ZIP_STORED),
        hostile.FORM_NAME,
        DOCX_TYPE,
        "failed",
        "nested too deeply",
    ),
    "a million nested elements, deflated": Unreadable(
        lambda: hostile.docx_with_document(hostile.nested_elements()),
        hostile.FORM_NAME,
        DOCX_TYPE,
        "rejected",
        "limits.max_ratio",
    ),
    "500 MB document.xml": Unreadable(
        lambda: hostile.docx_with_document(hostile.huge_document()),
        hostile.FORM_NAME,
        DOCX_TYPE,
        "rejected",
        "limits.max_xml_mb",
    ),
}

ORDINARY = "ordinary application"
#: Another sender: the hostile mails all come from one address and use up its replies of the day
#: (replies.max_per_sender_per_day); the ordinary one must get its own reply.
ORDINARY_SENDER = "協議会 花子 <hanako@example.co.jp>"


def ordinary_mail() -> bytes:
    form = write_application(application())
    return make_mail(
        subject=ORDINARY, sender=ORDINARY_SENDER, attachments=[(hostile.FORM_NAME, form, DOCX_TYPE)]
    )


def attachment_mail(name: str) -> bytes:
    item = ATTACHMENTS[name]
    return make_mail(
        subject=name, sender=hostile.SENDER, attachments=[(item.filename, item.build(), item.content_type)]
    )


# ---- the one poll -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one poll over the whole mailbox left behind, read back through the CLI."""

    workspace: Workspace
    mails: dict[str, bytes]
    returncode: int
    peak_rss_kb: int
    report: dict
    stderr: str
    quarantine: list[dict] = field(default_factory=list)
    cases: dict[str, dict] = field(default_factory=dict)  # by the Message-ID of their message
    outbox: list[dict] = field(default_factory=list)

    def case_of(self, name: str) -> dict:
        return self.cases[message_id(self.mails[name])]

    def entries_of(self, name: str) -> list[dict]:
        digest = sha256(self.mails[name])
        return [e for e in self.quarantine if e["sha256"] == digest]


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID: <([^>\r\n]+)>", raw, re.MULTILINE | re.IGNORECASE)
    assert found, "every generated message has a Message-ID"
    return found.group(1).decode()


def built_mails(folder: Path) -> dict[str, bytes]:
    """Every message of the mailbox by name, built once per module; a copy is left in ``folder``."""
    builders = {name: item.build for name, item in QUARANTINED.items()}
    builders |= {name: (lambda name=name: attachment_mail(name)) for name in ATTACHMENTS}
    builders[ORDINARY] = ordinary_mail
    mails = {name: build() for name, build in builders.items()}
    for index, raw in enumerate(mails.values()):
        (folder / f"{index:02d}.eml").write_bytes(raw)
    return mails


def membership_maildir(workspace: Workspace) -> Path:
    """The membership mailbox as a Maildir; replies are held, so nothing is ever sent."""
    maildir = workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address=hostile.TO
    )
    workspace.extra = '[replies]\nmode = "hold"\n'
    assert workspace.cli("init").returncode == 0
    return maildir


def deliver(maildir: Path, mails: Iterable[bytes]) -> None:
    for index, raw in enumerate(mails):
        (maildir / "new" / f"1764460800.M{index}P1.example").write_bytes(raw)


def poll_measured(workspace: Workspace) -> tuple[int, int, str, str]:
    """Run ``intake poll --json`` under :mod:`measured`'s launcher; returns (exit code, the poll's
    own peak RSS in KB, stdout, stderr)."""
    workspace.write()
    out, err = workspace.root / "poll.out", workspace.root / "poll.err"
    env = environment(workspace.config_file, workspace.env)
    with out.open("wb") as stdout, err.open("wb") as stderr:
        poll = Measured.start(["poll", "--json"], env=env, cwd=workspace.root, stdout=stdout, stderr=stderr)
        code = poll.wait(timeout=900)
    return code, int(poll.peak_mb * 1024), out.read_text("utf-8"), err.read_text("utf-8")


def cli_json(workspace: Workspace, *args: str):
    result = workspace.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Iterator[Outcome]:
    mails = built_mails(tmp_path_factory.mktemp("hostile-mails"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        workspace = Workspace(root=tmp_path_factory.mktemp("hostile-workspace"), monkeypatch=monkeypatch)
        deliver(membership_maildir(workspace), mails.values())
        code, rss, stdout, stderr = poll_measured(workspace)
        result = Outcome(workspace, mails, code, rss, json.loads(stdout) if code == 0 else {}, stderr)
        result.quarantine = cli_json(workspace, "quarantine")
        for item in cli_json(workspace, "queue"):
            shown = cli_json(workspace, "show", item["id"])
            result.cases |= {message["message_id"]: shown for message in shown["messages"]}
        result.outbox = cli_json(workspace, "outbox")
        yield result


# ---- the claims -------------------------------------------------------------------------------


def attachment_of(raw: bytes) -> bytes:
    [part] = email.message_from_bytes(raw, policy=email.policy.default).iter_attachments()
    return part.get_content()


def packed_member(data: bytes) -> bytes:
    """The deflated bytes of a zip's only member, found from its local header."""
    [info] = zipfile.ZipFile(io.BytesIO(data)).infolist()
    at = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_length + extra_length
    return data[start : start + info.compress_size]


def inflated_size(packed: bytes) -> int:
    """Bytes a raw deflate stream really inflates to, counted 16 MB at a time."""
    inflater, total = zlib.decompressobj(-15), 0
    while packed:
        total += len(inflater.decompress(packed, 16 * hostile.MIB))
        packed = inflater.unconsumed_tail
    return total + len(inflater.flush())


def test_the_inputs_are_as_hostile_as_claimed(outcome):
    mails = outcome.mails
    assert len(mails["60 MB message"]) >= 60 * hostile.MIB
    assert mails["10,000 MIME parts"].count(b"\r\n--=_sep\r\n") == 10_000
    assert mails["200 nested multiparts"].count(b"boundary=") == 200
    assert mails["200 nested forwards"].count(b"Content-Type: message/rfc822") == 200
    assert max(map(len, mails["1 MB header line"].split(b"\r\n"))) >= hostile.MIB
    for name in ("1 GiB zip bomb", "zip bomb whose directory lies"):
        bomb = attachment_of(mails[name])
        assert len(bomb) < 2 * hostile.MIB
        assert inflated_size(packed_member(bomb)) >= 10**9
    with zipfile.ZipFile(io.BytesIO(attachment_of(mails["500 MB document.xml"]))) as docx:
        assert docx.getinfo("word/document.xml").file_size >= 500 * hostile.MIB
        assert "word/styles.xml" in docx.namelist()  # the rest of make_docx() is kept
    for name in ("a million nested elements", "a million nested elements, deflated"):
        with zipfile.ZipFile(io.BytesIO(attachment_of(mails[name]))) as docx:
            assert docx.read("word/document.xml").count(b"<a>") == 1_000_000
    with zipfile.ZipFile(io.BytesIO(attachment_of(mails["billion laughs in document.xml"]))) as docx:
        assert b'<!ENTITY lol9 "&lol8;&lol8;' in docx.read("word/document.xml")


def test_one_poll_takes_all_of_it_and_exits_0(outcome):
    assert outcome.returncode == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    [counts] = outcome.report["mailboxes"]
    assert counts["fetched"] == len(outcome.mails)
    assert counts["quarantined"] == len(QUARANTINED)
    assert counts["created"] == len(ATTACHMENTS) + 1
    assert outcome.report["errors"] == []


def test_peak_rss_stays_under_the_cap(outcome):
    peak_mb = outcome.peak_rss_kb / 1024  # ru_maxrss is in kilobytes on Linux
    print(f"peak RSS of intake poll: {peak_mb:.0f} MB")
    assert peak_mb < RSS_CAP_MB, f"intake poll peaked at {peak_mb:.0f} MB"


def test_every_message_is_archived_byte_for_byte(outcome):
    archive = outcome.workspace.root / "messages"
    for name, raw in outcome.mails.items():
        digest = sha256(raw)
        path = archive / digest[:2] / f"{digest}.eml"
        assert path.is_file(), f"{name} is not archived"
        assert path.stat().st_size == len(raw) and sha256(path.read_bytes()) == digest, name


@pytest.mark.parametrize("name", [*QUARANTINED, *ATTACHMENTS, ORDINARY])
def test_each_message_is_one_case_or_one_open_quarantine_entry(outcome, name):
    in_case = message_id(outcome.mails[name]) in outcome.cases
    entries = outcome.entries_of(name)
    assert in_case + len(entries) == 1, f"{name}: case {in_case}, quarantine {entries}"
    expected_in_quarantine = name in QUARANTINED
    assert bool(entries) == expected_in_quarantine


@pytest.mark.parametrize("name", QUARANTINED)
def test_quarantine_entry_names_the_limit(outcome, name):
    [entry] = outcome.entries_of(name)
    assert QUARANTINED[name].says in entry["error"], entry["error"]
    assert entry["size"] == len(outcome.mails[name])


@pytest.mark.parametrize("name", ATTACHMENTS)
def test_refused_form_is_said_plainly_and_never_acknowledged(outcome, name):
    expected = ATTACHMENTS[name]
    case = outcome.case_of(name)
    [attachment] = case["attachments"]
    assert attachment["filename"] == expected.filename
    assert attachment["state"] == expected.state, attachment
    assert expected.says in attachment["detail"], attachment["detail"]
    assert "attachment_unreadable" in case["open_findings"]
    [finding] = [f for f in case["findings"] if f["code"] == "attachment_unreadable"]
    assert expected.says in finding["message_en"]
    replies = [r for r in outcome.outbox if r["case_id"] == case["id"]]
    assert all(r["template"] != "acknowledgement" for r in replies), replies
    assert all(r["state"] == "held" for r in replies)


def test_the_ordinary_message_is_processed_as_usual(outcome):
    case = outcome.case_of(ORDINARY)
    [attachment] = case["attachments"]
    assert attachment["state"] == "plain" and attachment["document"] == "application", attachment
    assert case["fields"]["application"]["org_name"] == application()["org_name"]
    assert "attachment_unreadable" not in case["open_findings"]
    [reply] = [r for r in outcome.outbox if r["case_id"] == case["id"]]
    assert reply["template"] == "checklist" and reply["state"] == "held"  # unencrypted, no staff form


# ---- big, not hostile in shape ------------------------------------------------------------------


def a_burst_of_big_messages() -> Iterator[bytes]:
    """Eight messages of 40 MB: each is quarantined unparsed; a batch holds about 64 MB at most."""
    for _ in range(8):
        yield hostile.huge_message(40 * hostile.MIB)


def near_the_limits() -> Iterator[bytes]:
    """27.5 MB with a 19.9 MB attachment: under limits.max_message_mb and max_attachment_mb."""
    scan = make_pdf() + os.urandom(int(19.9 * hostile.MIB))
    yield make_mail(subject="スキャンした資料", attachments=[("資料.pdf", scan, "application/pdf")])


def poll_peak_mb(workspace, mails: Iterable[bytes]) -> float:
    deliver(membership_maildir(workspace), mails)
    code, peak_kb, _, stderr = poll_measured(workspace)
    assert code == 0, stderr
    return peak_kb / 1024


def test_a_burst_of_big_messages_stays_under_the_cap(workspace):
    peak = poll_peak_mb(workspace, a_burst_of_big_messages())
    assert peak < RSS_CAP_MB, f"intake poll peaked at {peak:.0f} MB"
    assert len(cli_json(workspace, "quarantine")) == 8


@pytest.mark.xfail(
    strict=True,
    reason="known limit, stated in the README: the stdlib email parser peaks at about 9 times the "
    "message, so a message near max_message_mb = 30 passes 300 MB; lower max_message_mb to bound it",
)
def test_known_limit_a_message_just_under_the_limits_passes_the_cap(workspace):
    peak = poll_peak_mb(workspace, near_the_limits())
    assert peak < RSS_CAP_MB, f"intake poll peaked at {peak:.0f} MB"
