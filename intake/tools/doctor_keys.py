"""``intake doctor`` on the keys of ``[crypto]``: the secretariat's PGP key can be unlocked with its
passphrase, its S/MIME certificate and key load together. Nothing is written or sent."""

from __future__ import annotations

import shutil
from pathlib import Path

from intake.config import Config
from intake.errors import ConfigError
from intake.mail.crypto import PgpKeys, SmimeKeys

PGP_FIX = (
    "import the secretariat's secret key into [crypto] gnupg_home (gpg --homedir … --import) and "
    "set the environment variable passphrase_env names"
)
SMIME_FIX = "check [crypto] smime_cert / smime_key (PEM, the key mode 0600) and smime_passphrase_env"


def key_checks(config: Config, check) -> list:
    """One row per configured kind of key (``check`` builds a row: area, state, detail, fix)."""
    crypto, rows = config.crypto, []
    if crypto.gnupg_home is not None:
        rows.append(_pgp(config, crypto.gnupg_home, check))
    if crypto.smime_cert is not None and crypto.smime_key is not None:
        rows.append(_smime(config, crypto.smime_cert, crypto.smime_key, check))
    return rows


def _pgp(config: Config, home: Path, check):
    crypto = config.crypto
    if shutil.which("gpg") is None:
        return check("PGP key", "fail", "the gpg program is not installed", "apt-get install gnupg")
    try:
        keys = PgpKeys(home=home, passphrase=crypto.passphrase().get_secret_value())
        usable = keys.can_sign()
    except (ConfigError, OSError, ValueError) as exc:
        return check("PGP key", "fail", str(exc), PGP_FIX)
    if not usable:
        return check("PGP key", "fail", f"no secret key in {home} that the passphrase unlocks", PGP_FIX)
    return check("PGP key", "ok", f"{home}: the secret key unlocks")


def _smime(config: Config, cert: Path, key: Path, check):
    crypto = config.crypto
    try:
        SmimeKeys(
            cert=cert,
            key=key,
            passphrase=crypto.smime_passphrase().get_secret_value(),
            ca_file=crypto.smime_ca_file,
        )
    except (ConfigError, OSError, ValueError, TypeError) as exc:
        return check(
            "S/MIME key",
            "fail",
            f"{type(exc).__name__}: {exc}" if not isinstance(exc, ConfigError) else str(exc),
            SMIME_FIX,
        )
    return check("S/MIME key", "ok", f"{cert} with its key")
