"""``storage.database`` that cannot be used is a configuration error (exit 2) in one line naming the
key — never showing the URL, which may hold the PostgreSQL password."""

from __future__ import annotations

import os
import subprocess
import sys

PASSWORD = "Kasumi-9f3a-Secret"
BLOCK_PSYCOPG = "import sys; sys.modules['psycopg'] = None; from intake.cli import main; main()"


def test_a_url_that_cannot_be_read_is_one_line_naming_the_key_without_the_password(workspace):
    workspace.database = f"postgresql+psycopg://intake:{PASSWORD}@db.example.jp:notaport/intake"
    result = workspace.cli("init")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "intake: storage.database: not a database URL: "
        "sqlite:///FILE or postgresql+psycopg://USER@HOST/DATABASE"
    ]
    assert PASSWORD not in result.stdout + result.stderr


def test_postgresql_without_its_driver_says_which_extra_to_install(workspace):
    workspace.database = f"postgresql+psycopg://intake:{PASSWORD}@127.0.0.1:9/intake"
    workspace.write()
    env = {**os.environ, **workspace.environment, "INTAKE_DEBUG": "1"}  # even the trace shows no URL

    def intake(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", BLOCK_PSYCOPG, *args]  # as if psycopg were not installed
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=workspace.root, timeout=60
        )

    init, doctor = intake("init"), intake("doctor", "--json")
    assert init.returncode == 2
    assert init.stderr.strip().splitlines()[-1] == (
        "intake: storage.database: the driver for postgresql+psycopg is not installed: "
        "pip install 'intake[postgresql]'"
    )
    assert "pip install 'intake[postgresql]'" in doctor.stdout
    assert PASSWORD not in init.stdout + init.stderr + doctor.stdout + doctor.stderr
