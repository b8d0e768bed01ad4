"""Configuration errors: one line naming the file and the key, exit 2, no traceback (issue 2)."""

from __future__ import annotations

import pytest

from support.cli import run

GOOD_MAILBOX = """
[[mailbox]]
name = "kyogikai"
profile = "membership"
address = "kyogikai-shomu@example.jp"
case_prefix = "KYOGIKAI"
source = "maildir"
path = "maildir"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('poll_interval = "often"\n', "config.toml: poll_interval: Input should be a valid integer"),
        ("pol_interval = 60\n", "config.toml: pol_interval: unknown key"),
        ('[storage]\ndatabse = "x"\n', "config.toml: storage.databse: unknown key"),
        (
            GOOD_MAILBOX.replace("membership", "members"),
            "config.toml: mailbox[0].profile: Input should be 'membership' or 'incident'",
        ),
        (
            GOOD_MAILBOX.replace('source = "maildir"\npath = "maildir"', 'source = "imap"'),
            'config.toml: mailbox[0]: username: required when source = "imap"',
        ),
        (GOOD_MAILBOX + GOOD_MAILBOX, "config.toml: mailbox[1].name: 'kyogikai' is used by two mailboxes"),
        ('[replies]\nmode = "loud"\n', "config.toml: replies.mode: Input should be 'send', 'hold' or 'off'"),
        ("poll_interval = = 3\n", "config.toml: not valid TOML"),
    ],
)
def test_configuration_error_is_one_line_with_exit_2(workspace, text, expected):
    workspace.config_file.write_text(text, encoding="utf-8")
    for command in ("init", "poll", "queue"):
        result = _run(workspace, command)
        assert result.returncode == 2, result
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        assert expected in line


def _run(workspace, command):
    return run([command], env={"INTAKE_CONFIG": str(workspace.config_file)}, cwd=workspace.root)


def test_missing_secret_variable_names_the_key(workspace, monkeypatch):
    monkeypatch.delenv("INTAKE_NOT_SET", raising=False)
    workspace.config_file.write_text(
        GOOD_MAILBOX.replace(
            'source = "maildir"\npath = "maildir"',
            'source = "imap"\nusername = "u"\npassword_env = "INTAKE_NOT_SET"',
        ),
        encoding="utf-8",
    )
    _run(workspace, "init")
    result = _run(workspace, "poll")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "intake: mailbox 'kyogikai': password_env: environment variable INTAKE_NOT_SET is not set"
    )


def test_missing_file_is_a_configuration_error(workspace):
    result = _run(workspace, "queue")
    assert result.returncode == 2
    assert "no such configuration file" in result.stderr


def test_relative_paths_are_taken_from_the_config_folder(tmp_path):
    from intake.config import load_config

    (tmp_path / "config.toml").write_text('[storage]\narchive_dir = "msgs"\ndatabase = "sqlite:///db/x.db"\n')
    config = load_config(tmp_path / "config.toml")
    assert config.storage.archive_dir == tmp_path / "msgs"
    assert config.storage.database == f"sqlite:///{tmp_path.resolve()}/db/x.db"


def test_the_example_configuration_loads_and_documents_every_key(monkeypatch):
    from pathlib import Path

    from pydantic import BaseModel

    from intake.config import Config, load_config

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    monkeypatch.setenv("INTAKE_KYOGIKAI_PASSWORD", "not-a-real-one")
    config = load_config(example)
    assert [mb.name for mb in config.mailbox] == ["kyogikai", "anken"]

    text = example.read_text(encoding="utf-8")

    def keys(model: type[BaseModel]) -> set[str]:
        found = set()
        for name, field in model.model_fields.items():
            found.add(name)
            inner = getattr(field.annotation, "__args__", (field.annotation,))
            for kind in inner:
                sub = getattr(kind, "__args__", (kind,))[0] if hasattr(kind, "__args__") else kind
                if isinstance(sub, type) and issubclass(sub, BaseModel):
                    found |= keys(sub)
        return found

    undocumented = {
        key
        for key in keys(Config)
        if f"{key} =" not in text and f"[{key}]" not in text and f"[[{key}]]" not in text
    }
    assert undocumented == set()
