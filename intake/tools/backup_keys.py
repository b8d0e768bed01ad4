"""The secretariat's PGP and S/MIME keys in a backup (``intake backup --with-keys``), sealed.

The GnuPG home (``crypto.gnupg_home``) and the S/MIME files (``crypto.smime_cert``, ``smime_key``,
``smime_ca_file``) are packed into one tar archive in memory and sealed with a passphrase taken from
the environment: scrypt (``cryptography``'s KDF, n=2^17 r=8 p=1, a fresh salt) makes the AES-256-GCM
key, a fresh nonce encrypts, and the header (format and salt) is authenticated with it. A wrong
passphrase or a changed byte opens nothing. Neither the passphrase nor a key byte is written in
clear; the manifest names only which configuration keys the sealed file holds.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr

from intake.errors import ConfigError, IntakeError
from intake.tools.backup_files import inside, private_dirs, write_private

SEALED = "keys.sealed"
MAGIC = b"intake-keys 1\n"
SALT_BYTES, NONCE_BYTES = 16, 12
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
METHOD = "scrypt (n=2^17, r=8, p=1) + AES-256-GCM"  # named in the manifest
GNUPG = "gnupg"
#: What --with-keys seals: (name in the sealed archive, configuration key). The GnuPG home is a
#: folder; the others are single files.
KEY_ITEMS: tuple[tuple[str, str], ...] = (
    (GNUPG, "crypto.gnupg_home"),
    ("smime.crt", "crypto.smime_cert"),
    ("smime.key", "crypto.smime_key"),
    ("smime-ca.pem", "crypto.smime_ca_file"),
)
SECRET_KEYS = ("crypto.gnupg_home", "crypto.smime_key")  # what a backup without --with-keys leaves out


@dataclass(frozen=True)
class KeyFiles:
    """The opened archive: for each configuration key, its files (path inside the item, bytes)."""

    items: dict[str, list[tuple[str, bytes]]]


def passphrase_from(env_name: str) -> SecretStr:
    """The passphrase in ``env_name``; refused (exit 2) when it is not set or empty."""
    value = os.environ.get(env_name, "")
    if not value:
        raise ConfigError(
            f"--keys-passphrase-env: environment variable {env_name} is not set (or empty); "
            f"the keys are sealed with the passphrase it holds"
        )
    return SecretStr(value)


def seal(sources: dict[str, Path], passphrase: SecretStr, target: Path) -> dict:
    """Pack ``sources`` (configuration key → file or folder) into ``target``, sealed; returns the
    ``sha256`` and ``size`` of what was written."""
    plain = _pack(sources)
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    header = MAGIC + salt
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, header)
    return write_private(target, header + nonce + sealed)


def unseal(path: Path, passphrase: SecretStr) -> KeyFiles:
    """The key files sealed in ``path``; one line when the passphrase does not open them."""
    data = path.read_bytes()
    start = len(MAGIC) + SALT_BYTES
    if not data.startswith(MAGIC) or len(data) < start + NONCE_BYTES:
        raise IntakeError(f"{path}: not a sealed key archive of this intake")
    header, nonce, sealed = data[:start], data[start : start + NONCE_BYTES], data[start + NONCE_BYTES :]
    try:
        plain = AESGCM(_key(passphrase, header[len(MAGIC) :])).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise IntakeError(
            f"{path}: the passphrase does not open the sealed keys (a wrong passphrase, or the file changed)"
        ) from None
    return _unpack(plain)


def _key(passphrase: SecretStr, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase.get_secret_value().encode("utf-8"))


def key_sources(configured: dict[str, Path | None]) -> dict[str, Path]:
    """The key files and folders a configuration names (configuration key → path); a named one
    that is missing is refused."""
    found: dict[str, Path] = {}
    for _name, key in KEY_ITEMS:
        path = configured.get(key)
        if path is None:
            continue
        if not path.exists():
            raise IntakeError(f"{key}: {path} does not exist; nothing to seal")
        found[key] = path
    return found


def _pack(sources: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    names = {key: name for name, key in KEY_ITEMS}
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for key, path in sources.items():
            for relative, file in _files(path):
                _add(tar, f"{names[key]}/{relative}" if relative else names[key], file.read_bytes())
    return buffer.getvalue()


def _files(path: Path) -> list[tuple[str, Path]]:
    """A single file as ("", path); a GnuPG home as its regular files — not gpg-agent's sockets,
    not lock files (about processes running here, not keys)."""
    if path.is_file():
        return [("", path)]
    found = []
    for each in sorted(path.rglob("*")):
        if not stat.S_ISREG(each.lstat().st_mode) or each.name.startswith(".#lk") or each.suffix == ".lock":
            continue
        found.append((each.relative_to(path).as_posix(), each))
    return found


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def _unpack(plain: bytes) -> KeyFiles:
    keys = dict(KEY_ITEMS)
    items: dict[str, list[tuple[str, bytes]]] = {}
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r") as tar:
        for member in tar.getmembers():
            head, *rest = PurePosixPath(member.name).parts
            handle = tar.extractfile(member)
            if head not in keys or handle is None:
                raise IntakeError(f"{SEALED}: unexpected entry {member.name!r}")
            items.setdefault(keys[head], []).append(("/".join(rest), handle.read()))
    return KeyFiles(items)


def conflicts(opened: KeyFiles, targets: dict[str, Path]) -> list[str]:
    """What restoring the keys would replace: a GnuPG home holding files, a key file with other
    contents."""
    found = []
    for key, files in opened.items.items():
        target = targets[key]
        if key == "crypto.gnupg_home":
            if target.is_dir() and any(target.iterdir()):
                found.append(f"the GnuPG home {target}")
        elif target.exists() and target.read_bytes() != files[0][1]:
            found.append(f"{target}")
    return found


def put_back(opened: KeyFiles, targets: dict[str, Path]) -> None:
    """Write every key file where ``targets`` names its configuration key (0600, folders 0700)."""
    for key, files in opened.items.items():
        target = targets[key]
        if key == "crypto.gnupg_home":
            private_dirs(target)
            target.chmod(0o700)
            for relative, data in files:
                write_private(inside(target, relative), data)
        else:
            write_private(target, files[0][1])
