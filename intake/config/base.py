"""What every section of the configuration shares: strict, frozen sections, paths and days as TOML
writes them, and secrets read from the environment or a private file only when needed."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from intake.errors import ConfigError

FilePath = Annotated[Path, Field(strict=False)]  # written as a string in TOML
Day = Annotated[date, Field(strict=False)]  # a TOML date or a "YYYY-MM-DD" string


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _secret(env_name: str, key: str) -> SecretStr:
    if not env_name:
        return SecretStr("")
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(f"{key}: environment variable {env_name} is not set")
    return SecretStr(value)


def read_secret_file(path: Path, key: str) -> str:
    """A secret kept in a file: only its owner may read it (mode 0600 or stricter)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(f"{key}: {path} can be read by others (mode {mode:04o}); chmod 600 {path}")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{key}: {path} cannot be read ({exc.strerror})") from None
