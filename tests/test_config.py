"""Configuration errors: one line naming the file and the key, exit 2, no traceback (issue 2)."""

from __future__ import annotations

import tomllib

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
        (
            '[crypto]\nsmime_cert = "smime.pem"\n',
            "config.toml: crypto: smime_key: smime_cert and smime_key go together",
        ),
        ('[crypto]\nencrypt_replies = "always"\n', "config.toml: crypto.encrypt_replies: Input should be"),
        (
            '[trust]\nauthserv_ids = "mx.example.jp"\n',
            "config.toml: trust.authserv_ids: Input should be a valid list",
        ),
        (
            "[scan]\ntimeout_seconds = 0\n",
            "config.toml: scan.timeout_seconds: Input should be greater than 0",
        ),
        ("[scan]\nclamd = true\n", "config.toml: scan.clamd: unknown key"),
        (
            '[desk]\ntrusted_proxies = ["10.0.0.1", "proxy.example.jp"]\n',
            "config.toml: desk.trusted_proxies: 'proxy.example.jp' is not an IP address or network",
        ),
        (
            '[desk]\nforwarded_allow_ips = "127.0.0.1"\n',
            "config.toml: desk: forwarded_allow_ips: replaced by trusted_proxies",
        ),
        ("[desk]\nmax_upload_mb = 0\n", "config.toml: desk.max_upload_mb: Input should be greater than 0"),
        (
            "[unlock]\npassword_mail_hours = 0\n",
            "config.toml: unlock.password_mail_hours: Input should be greater than or equal to 1",
        ),
        (
            '[unlock]\npassword_mail_hours = "72"\n',
            "config.toml: unlock.password_mail_hours: Input should be",
        ),
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


def test_the_clamd_socket_is_taken_from_the_config_folder_and_empty_is_off(tmp_path):
    from intake.config import load_config

    (tmp_path / "config.toml").write_text('[scan]\nclamd_socket = "run/clamd.sock"\n')
    assert load_config(tmp_path / "config.toml").scan.clamd_socket == tmp_path / "run" / "clamd.sock"
    (tmp_path / "config.toml").write_text('[scan]\nclamd_socket = ""\n')
    assert load_config(tmp_path / "config.toml").scan.clamd_socket is None


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
        if not any(form in text for form in (f"{key} =", f"[{key}]", f"[[{key}]]", f".{key}]"))
    }
    assert undocumented == set()


MAILBOX = """[[mailbox]]
name = "anken"
profile = "incident"
address = "csc-anken@example.jp"
case_prefix = "CSC"
source = "imap"
username = "csc-anken@example.jp"
"""
SERVER_PROBLEMS = [
    (
        'host = "imap.example.jp"\nsecurity = "none"',
        'mailbox[0]: security: "none" would send the login in clear text to imap.example.jp',
    ),
    ('auth = "command"', 'mailbox[0]: token_command: required when auth = "command"'),
    (
        'auth = "microsoft"\n[mailbox.oauth]\ntenant = "example.onmicrosoft.com"',
        'mailbox[0]: oauth.client_id: required when auth = "microsoft"',
    ),
    (
        'auth = "microsoft"\n[mailbox.oauth]\nclient_id = "c"\ntenant = "t"',
        'mailbox[0]: oauth.client_secret_env: required for flow = "app"',
    ),
    (
        'auth = "google"\n[mailbox.oauth]\nflow = "device"',
        'mailbox[0]: oauth.flow: "device" is not a google flow',
    ),
    ('auth = "google"', 'mailbox[0]: oauth.service_account_file: required for flow = "service_account"'),
    ('security = "ssl3"', "mailbox[0].security: Input should be 'tls', 'starttls' or 'none'"),
    ('sent_folder = "INBOX"', "mailbox[0]: sent_folder: 'INBOX' is the folder intake reads mail from"),
    (
        'processed_folder = "Done"\nsent_folder = "Done"',
        "mailbox[0]: sent_folder: 'Done' is the folder intake reads mail from or moves it to",
    ),
]


@pytest.mark.parametrize(("lines", "said"), SERVER_PROBLEMS)
def test_server_keys_that_cannot_work_together_are_refused_naming_the_key(lines, said):
    from intake.config import parse_config
    from intake.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(MAILBOX + lines))
    assert said in str(caught.value)


def test_ssl_is_read_as_tls_and_plain_text_elsewhere_needs_allow_plaintext():
    from intake.config import parse_config

    config = parse_config(tomllib.loads(MAILBOX + 'security = "ssl"\n'))
    assert config.mailbox[0].security == "tls"
    lines = 'host = "imap.example.jp"\nsecurity = "none"\nallow_plaintext = true\n'
    assert parse_config(tomllib.loads(MAILBOX + lines)).mailbox[0].security == "none"


def test_a_client_secret_file_others_can_read_is_refused_with_the_chmod(tmp_path):
    from intake.config import parse_config
    from intake.errors import ConfigError

    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    lines = f'auth = "microsoft"\n[mailbox.oauth]\nclient_id = "c"\ntenant = "t"\nclient_secret_file = "{secret}"\n'
    mailbox = parse_config(tomllib.loads(MAILBOX + lines)).mailbox[0]
    with pytest.raises(ConfigError, match=f"can be read by others \\(mode 0644\\); chmod 600 {secret}"):
        mailbox.client_secret()
    secret.chmod(0o600)
    assert mailbox.client_secret().get_secret_value() == "s3cret"
