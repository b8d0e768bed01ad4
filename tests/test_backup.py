"""``intake backup DIR`` and ``intake restore DIR``: a database filled the real way (``intake demo``:
mail polled from Maildirs, an encrypted form waiting for its password, an incident, a bounce), a
password phoned in ahead (the key file), the desk's session key; backed up, restored into an empty
folder under another configuration, and the same queue, cases, audit and archived bytes come back —
the restored copy even opens the demo's encrypted form from its restored archive."""

from __future__ import annotations

import base64
import json
import mailbox
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake.config import load_config
from intake.db import head_revision
from intake.desk.guard import session_key
from intake.tools.backup import KEPT_FILES, configured_path
from intake.tools.demo import DEMO_PASSWORD
from support.cli import run
from support.crypto_keys import (
    PASSPHRASE,
    PASSPHRASE_ENV,
    REPORTER,
    SECRETARIAT,
    PgpWorld,
    SmimeWorld,
    make_pgp_world,
    make_smime_world,
    pgp_mime,
    smime_enveloped,
)


def intake(config: Path, *args: str, input: str | None = None):
    """``intake --config CONFIG ARGS`` in this process, from the configuration's folder's parent."""
    return run(
        ["--config", str(config), *args], env={"COLUMNS": "200"}, cwd=config.parent.parent, input=input
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The demo's configuration, its data made by the real commands; every kept file present."""
    root = tmp_path_factory.mktemp("source")
    made = run(["demo", "--dir", str(root / "demo")], env={"COLUMNS": "200"}, cwd=root)
    assert made.returncode == 0, made.stderr
    config = root / "demo" / "config.toml"
    ahead = intake(
        config, "expect-password", "--org", "例示商事株式会社", "--password-stdin", input="Kasumi#2026\n"
    )
    assert ahead.returncode == 0, ahead.stderr  # seals the password with storage.key_file
    session_key(load_config(config).desk.session_key_file)  # what intake desk makes on its first start
    for _name, key in KEPT_FILES:  # any other kept file (a token cache): opaque bytes, mode 0600
        path = configured_path(load_config(config), key)
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.write_bytes(secrets.token_bytes(200))
            path.chmod(0o600)
    return config


def target_config(folder: Path, data: Path, source: Path | None = None) -> Path:
    """A configuration in ``folder`` naming every item under ``data`` (an empty folder), with the
    mailboxes and the rest of ``source``'s configuration."""
    sections: dict[str, dict[str, str]] = {
        "storage": {"database": f"sqlite:///{data}/intake.db", "archive_dir": f"{data}/messages"}
    }
    for name, key in KEPT_FILES:
        section, option = key.split(".")
        sections.setdefault(section, {})[option] = f"{data}/keys/{name}"
    text = "".join(
        f"[{section}]\n" + "".join(f'{k} = "{v}"\n' for k, v in items.items())
        for section, items in sections.items()
    )
    if source is not None:  # the demo's storage comes before its mailboxes; it has no [desk]
        demo = source.read_text(encoding="utf-8")
        text += demo[demo.index("[[mailbox]]") :]
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return folder / "config.toml"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def backed_up(source: Path, folder: Path) -> dict:
    done = intake(source, "backup", str(folder))
    assert done.returncode == 0, done.stderr
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_a_backup_restored_into_an_empty_folder_gives_back_the_same_cases_and_files(source, tmp_path):
    manifest = backed_up(source, tmp_path / "backup")
    assert manifest["schema_revision"] == head_revision() and manifest["intake_version"]
    assert set(manifest["kept_files"].values()) == {key for _, key in KEPT_FILES}
    for name, entry in manifest["files"].items():
        assert (tmp_path / "backup" / name).stat().st_size == entry["size"]
        assert mode(tmp_path / "backup" / name) == 0o600, name
    assert mode(tmp_path / "backup") == 0o700
    assert not [n for n in manifest["files"] if n.startswith("archive/.state")]  # the pollers' locks

    data = tmp_path / "restored"
    data.mkdir()
    config = target_config(tmp_path / "etc", data, source)
    restored = intake(config, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr

    for args in (["queue", "--all", "--json"], ["audit", "--json"], ["outbox", "--json"]):
        assert intake(config, *args).stdout == intake(source, *args).stdout, args
    cases = json.loads(intake(source, "queue", "--all", "--json").stdout)
    assert len(cases) >= 4
    for case in cases:
        assert (
            intake(config, "show", case["id"], "--json").stdout
            == intake(source, "show", case["id"], "--json").stdout
        )
    original = load_config(source)
    assert tree(data / "messages") == {
        n: b for n, b in tree(original.storage.archive_dir).items() if not n.startswith(".state/")
    }
    for name, key in KEPT_FILES:
        assert (data / "keys" / name).read_bytes() == configured_path(original, key).read_bytes()
        assert mode(data / "keys" / name) == 0o600
    assert mode(data / "intake.db") == 0o600

    [form] = [a for a in _attachments(config) if a["state"] == "password_pending"]
    opened = intake(config, "unlock", str(form["id"]), "--password-stdin", input=DEMO_PASSWORD + "\n")
    assert opened.returncode == 0, opened.stderr  # read from the restored archive


def _attachments(config: Path) -> list[dict]:
    cases = json.loads(intake(config, "queue", "--all", "--json").stdout)
    shown = [json.loads(intake(config, "show", c["id"], "--json").stdout) for c in cases]
    return [a for case in shown for a in case["attachments"]]


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_damaged_backup_is_refused_in_one_line_and_nothing_is_written(source, tmp_path, damage):
    manifest = backed_up(source, tmp_path / "backup")
    name = next(n for n in sorted(manifest["files"]) if n.startswith("archive/"))
    victim = tmp_path / "backup" / name
    if damage == "changed":
        victim.write_bytes(victim.read_bytes().replace(b"e", b"E", 1))
    else:
        victim.unlink()
    data = tmp_path / "restored"
    config = target_config(tmp_path / "etc", data)

    refused = intake(config, "restore", str(tmp_path / "backup"))

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and str(victim) in refused.stderr
    assert not data.exists()


def test_restore_over_existing_data_needs_force(source, tmp_path):
    backed_up(source, tmp_path / "backup")
    config = target_config(tmp_path / "etc", tmp_path / "restored")
    assert intake(config, "restore", str(tmp_path / "backup")).returncode == 0
    assert intake(config, "note", "CSC-2026-0001", "後から追加したメモ").returncode == 0

    again = intake(config, "restore", str(tmp_path / "backup"))
    assert again.returncode == 1
    assert "the database" in again.stderr and "--force" in again.stderr

    forced = intake(config, "restore", str(tmp_path / "backup"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "後から追加したメモ" not in intake(config, "show", "CSC-2026-0001", "--json").stdout
    assert (
        intake(config, "queue", "--all", "--json").stdout == intake(source, "queue", "--all", "--json").stdout
    )


def test_backup_wants_a_new_or_empty_folder(source, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "something").write_text("kept", encoding="utf-8")
    refused = intake(source, "backup", str(folder))
    assert refused.returncode == 1 and "not an empty folder" in refused.stderr
    assert (folder / "something").read_text(encoding="utf-8") == "kept"
    into_archive = load_config(source).storage.archive_dir / "backup"
    refused = intake(source, "backup", str(into_archive))
    assert refused.returncode == 1 and "archive_dir" in refused.stderr and not into_archive.exists()


def test_a_backup_taken_while_a_writer_holds_the_database_is_its_last_committed_state(source, tmp_path):
    database = Path(load_config(source).storage.database.removeprefix("sqlite:///"))
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE unfinished (x)")  # the poller in the middle of a message
    try:
        started = time.monotonic()
        backed_up(source, tmp_path / "backup")
        assert time.monotonic() - started < 20  # did not wait for the writer
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(tmp_path / "backup" / "intake.db")
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    copy.close()
    assert "unfinished" not in tables and "alembic_version" in tables
    assert not (tmp_path / "backup" / "intake.db-wal").exists()


def test_a_backup_of_a_newer_schema_is_refused(source, tmp_path):
    backed_up(source, tmp_path / "backup")
    manifest_file = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps({**manifest, "schema_revision": "9999"}), encoding="utf-8")
    config = target_config(tmp_path / "etc", tmp_path / "restored")
    refused = intake(config, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "9999" in refused.stderr
    assert not (tmp_path / "restored").exists()


def test_only_a_sqlite_database_is_backed_up_by_intake(tmp_path):
    config = tmp_path / "etc" / "config.toml"
    config.parent.mkdir()
    config.write_text('[storage]\ndatabase = "postgresql://intake@db.example.jp/intake"\n', encoding="utf-8")
    for args in (["backup", str(tmp_path / "b")], ["restore", str(tmp_path / "b")]):
        refused = intake(config, *args)
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1 and "pg_dump" in refused.stderr
    assert not (tmp_path / "b").exists()


def test_a_folder_without_a_manifest_is_not_a_backup(source, tmp_path):
    (tmp_path / "b").mkdir()
    config = target_config(tmp_path / "etc", tmp_path / "restored")
    refused = intake(config, "restore", str(tmp_path / "b"))
    assert refused.returncode == 1 and "manifest.json" in refused.stderr
    assert os.listdir(tmp_path / "b") == []


# ---- the PGP and S/MIME keys (--with-keys) -------------------------------------------------

BACKUP_PASSPHRASE = "Hozon-no-Aikotoba#2026-Kasumigaseki"
SEAL_ENV = "INTAKE_BACKUP_PASSPHRASE"
INCIDENT_REPORT = "株式会社例示の山田です。\n不審な通信を検知しました。\n確認①：不要　確認②：協議会構成員限り　確認③：不要\n"


@dataclass
class Keyed:
    """An installation with a GnuPG home and S/MIME files, one encrypted report polled."""

    config: Path
    pgp: PgpWorld
    smime: SmimeWorld


def keyed_config(folder: Path, *, home: Path, smime: dict[str, Path]) -> Path:
    """A configuration in ``folder``: SQLite, a Maildir for the incident mailbox, the keys where named."""
    crypto = "".join(f'{key} = "{path}"\n' for key, path in {"gnupg_home": home, **smime}.items())
    folder.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(folder / "maildir", create=True)
    (folder / "config.toml").write_text(
        f'[storage]\ndatabase = "sqlite:///{folder}/intake.db"\narchive_dir = "{folder}/messages"\n\n'
        f'[[mailbox]]\nname = "anken"\nprofile = "incident"\naddress = "{SECRETARIAT}"\n'
        f'case_prefix = "CSC"\nsource = "maildir"\npath = "{folder}/maildir"\n\n'
        f'[replies]\nmode = "hold"\n\n[crypto]\npassphrase_env = "{PASSPHRASE_ENV}"\n{crypto}',
        encoding="utf-8",
    )
    return folder / "config.toml"


def with_env(config: Path, *args: str, **env: str):
    """``intake`` with the PGP key's passphrase and ``env`` (e.g. the backup passphrase) set."""
    return run(
        ["--config", str(config), *args],
        env={"COLUMNS": "200", PASSPHRASE_ENV: PASSPHRASE, **env},
        cwd=config.parent,
    )


def poll_report(config: Path, raw: bytes) -> dict:
    """Deliver ``raw`` into the configuration's Maildir, poll, and show the case it made."""
    before = {c["id"] for c in json.loads(with_env(config, "queue", "--all", "--json").stdout)}
    mailbox.Maildir(config.parent / "maildir").add(raw)
    assert with_env(config, "poll").returncode == 0
    [new] = [
        c for c in json.loads(with_env(config, "queue", "--all", "--json").stdout) if c["id"] not in before
    ]
    return json.loads(with_env(config, "show", new["id"], "--json").stdout)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    root = tmp_path_factory.mktemp("keyed")
    pgp, smime = make_pgp_world(), make_smime_world(root / "smime")
    files = {"smime_cert": smime.cert_file, "smime_key": smime.key_file, "smime_ca_file": smime.ca_file}
    config = keyed_config(root / "office", home=pgp.home, smime=files)
    assert with_env(config, "init").returncode == 0
    case = poll_report(config, pgp_mime(pgp, INCIDENT_REPORT, sign_with=pgp.reporter_fpr))
    assert case["messages"][0]["security"]["decrypted"]
    yield Keyed(config, pgp, smime)
    pgp.stop()


def secrets_of(keyed: Keyed) -> dict[str, bytes]:
    """Bytes that must never be found in clear in a backup folder."""
    key_pem = keyed.smime.key_file.read_bytes()
    found = {"backup passphrase": BACKUP_PASSPHRASE.encode(), "PGP passphrase": PASSPHRASE.encode()}
    found["S/MIME key (PEM)"] = key_pem
    found["S/MIME key (a PEM line)"] = key_pem.splitlines()[5]
    found["S/MIME key (DER)"] = base64.b64decode(b"".join(key_pem.splitlines()[1:-1]))[-64:]
    for each in (keyed.pgp.home / "private-keys-v1.d").glob("*.key"):
        found[f"PGP secret key {each.name}"] = each.read_bytes()
        found[f"PGP secret key {each.name} (part)"] = each.read_bytes()[-48:]
    assert len(found) >= 7  # the secretariat's key has a primary key and a subkey
    return found


def test_a_backup_with_keys_restored_elsewhere_decrypts_and_verifies_signed_mail(keyed, tmp_path):
    folder = tmp_path / "backup"
    done = with_env(keyed.config, "backup", str(folder), "--with-keys", **{SEAL_ENV: BACKUP_PASSPHRASE})
    assert done.returncode == 0, done.stderr
    assert "not included" not in done.stdout and "crypto.gnupg_home" in done.stdout
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["keys"]["items"]) == {
        "crypto.gnupg_home", "crypto.smime_cert", "crypto.smime_key", "crypto.smime_ca_file"
    }  # fmt: skip
    assert manifest["files"]["keys.sealed"]["size"] == (folder / "keys.sealed").stat().st_size
    assert mode(folder / "keys.sealed") == 0o600
    for label, secret in secrets_of(keyed).items():
        for path in (p for p in folder.rglob("*") if p.is_file()):
            assert secret not in path.read_bytes(), f"{label} in {path.name}"
        assert secret.decode("latin-1") not in done.stdout + done.stderr

    new_home = Path(tempfile.mkdtemp(prefix="igpg", dir="/tmp")) / "home"  # short: gpg-agent's socket
    place = tmp_path / "elsewhere"
    smime = {"smime_cert": place / "keys/smime.pem", "smime_key": place / "keys/smime.key"}
    config = keyed_config(place, home=new_home, smime={**smime, "smime_ca_file": place / "keys/ca.pem"})
    try:
        restored = with_env(config, "restore", str(folder), **{SEAL_ENV: BACKUP_PASSPHRASE})
        assert restored.returncode == 0, restored.stderr
        assert mode(new_home) == 0o700 and mode(smime["smime_key"]) == 0o600
        assert smime["smime_key"].read_bytes() == keyed.smime.key_file.read_bytes()

        pgp, smime_world = keyed.pgp, keyed.smime
        signed_by = (smime_world.reporter_cert, smime_world.reporter_key)
        for raw, scheme in (
            (pgp_mime(pgp, INCIDENT_REPORT, sign_with=pgp.reporter_fpr, subject="復元後の報告"), "pgp_mime"),
            (smime_enveloped(smime_world.secretariat_cert, INCIDENT_REPORT, signed_by=signed_by), "smime"),
        ):
            case = poll_report(config, raw)
            security = case["messages"][0]["security"]
            assert (security["protection"], security["decrypted"]) == (scheme, True)
            assert (security["signature"], security["signer"]) == ("good", REPORTER)
            assert case["fields"]["incident"]["sharing_scope"] == "協議会構成員限り"
    finally:
        subprocess.run(["gpgconf", "--homedir", str(new_home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(new_home.parent, ignore_errors=True)


def test_keys_are_refused_in_one_line_without_their_passphrase_and_nothing_is_written(
    keyed, tmp_path, monkeypatch
):
    monkeypatch.delenv(SEAL_ENV, raising=False)
    monkeypatch.delenv("INTAKE_OTHER_PASSPHRASE", raising=False)
    for extra, named in (
        ([], SEAL_ENV),
        (["--keys-passphrase-env", "INTAKE_OTHER_PASSPHRASE"], "INTAKE_OTHER_PASSPHRASE"),
    ):
        refused = with_env(keyed.config, "backup", str(tmp_path / "b"), "--with-keys", *extra)
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1 and named in refused.stderr
        assert not (tmp_path / "b").exists()

    folder = tmp_path / "backup"
    made = with_env(
        keyed.config, "backup", str(folder), "--with-keys", "--keys-passphrase-env", "INTAKE_OTHER_PASSPHRASE",
        INTAKE_OTHER_PASSPHRASE=BACKUP_PASSPHRASE,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    place = tmp_path / "elsewhere"
    smime = {"smime_key": place / "k", "smime_cert": place / "c", "smime_ca_file": place / "ca"}
    config = keyed_config(place, home=place / "gnupg", smime=smime)
    unset = with_env(config, "restore", str(folder))
    assert unset.returncode == 2 and unset.stderr.count("\n") == 1 and SEAL_ENV in unset.stderr
    wrong = with_env(config, "restore", str(folder), **{SEAL_ENV: "not-the-passphrase"})
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1 and "passphrase" in wrong.stderr
    assert "not-the-passphrase" not in wrong.stderr
    assert (
        not (place / "intake.db").exists() and not (place / "gnupg").exists() and not (place / "k").exists()
    )
    right = with_env(config, "restore", str(folder), "--keys-passphrase-env", "X", X=BACKUP_PASSPHRASE)
    assert right.returncode == 0, right.stderr
    assert (place / "k").read_bytes() == keyed.smime.key_file.read_bytes()
    again = with_env(config, "restore", str(folder), **{SEAL_ENV: BACKUP_PASSPHRASE})
    assert (
        again.returncode == 1
        and f"the GnuPG home {place / 'gnupg'}" in again.stderr
        and "--force" in again.stderr
    )


def test_a_backup_without_keys_says_in_one_line_that_they_were_left_out(keyed, source, tmp_path):
    done = with_env(keyed.config, "backup", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if "not included" in line]
    assert "crypto.gnupg_home" in line and "crypto.smime_key" in line and "--with-keys" in line
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert "keys" not in manifest and not (tmp_path / "b" / "keys.sealed").exists()

    plain = intake(source, "backup", str(tmp_path / "demo"))  # no [crypto]: nothing to say
    assert plain.returncode == 0 and "not included" not in plain.stdout
