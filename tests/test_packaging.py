"""What an operator installs: the systemd units (``packaging/``, shipped in the wheel, printed for
this installation by ``intake service-unit``), checked by systemd's own ``systemd-analyze``; and
``scripts/lib/apt-install.sh``, the step of ``scripts/bootstrap`` that installs Debian packages
without starting their services and leaves no ``policy-rc.d`` behind — run here with a fake apt.

``systemd-analyze verify`` needs no running systemd and no ``intake`` user (it does not look users
up), but it does check that the ExecStart program exists and is executable, and it reports unknown
keys and bad values as warnings with exit code 0: so the units are verified with ExecStart pointing
at this installation's ``intake``, and any word from it is a failure.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake.resources import packaging_dir
from support.cli import run

REPO = Path(__file__).resolve().parents[1]
UNITS = REPO / "packaging"
INTAKE = Path(sys.executable).parent / "intake"  # this virtual environment's command
SHIPPED_COMMAND = "/opt/intake/bin/intake"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
    "User": "intake",
    "Group": "intake",
    "Restart": "on-failure",
    "StandardOutput": "journal",
    "StandardError": "journal",
}


def settings(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit (a key may be given more than once)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def verify(text: str, name: str, folder: Path) -> subprocess.CompletedProcess:
    unit = folder / name
    unit.write_text(text, encoding="utf-8")
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )


def with_this_intake(name: str) -> str:
    return (UNITS / name).read_text(encoding="utf-8").replace(SHIPPED_COMMAND, str(INTAKE))


@pytest.mark.parametrize("name", ["intake.service", "intake-desk.service"])
def test_the_shipped_units_pass_systemd_analyze_verify(name, tmp_path):
    result = verify(with_this_intake(name), name, tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_analyze_verify_would_catch_a_wrong_unit(tmp_path):
    """The check above is not empty: a misspelt key, a bad value or a missing program is reported."""
    text = with_this_intake("intake.service")
    for broken in (
        text.replace("ProtectSystem=strict", "ProtectSystem=stric"),
        text.replace("NoNewPrivileges=", "NoNewPrivilege="),
        text.replace(str(INTAKE), "/nonexistent/bin/intake"),
    ):
        result = verify(broken, "intake.service", tmp_path)
        assert result.returncode != 0 or result.stderr


@pytest.mark.parametrize(("name", "command"), [("intake.service", "run"), ("intake-desk.service", "desk")])
def test_the_units_run_intake_as_its_own_user_hardened_logging_to_the_journal(name, command):
    unit = settings((UNITS / name).read_text(encoding="utf-8"))
    assert unit["ExecStart"] == [f"{SHIPPED_COMMAND} --config /etc/intake/config.toml {command}"]
    for key, value in HARDENING.items():
        assert unit.get(key) == [value], key
    assert unit["ReadWritePaths"] == ["/var/lib/intake"]
    assert unit["StateDirectory"] == ["intake"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # a configuration error is not retried forever
    assert "MemoryDenyWriteExecute" not in unit  # LibreOffice's UNO bridge writes code pages
    assert unit["SystemCallFilter"][0] == "@system-service"


def test_only_the_poller_gets_the_mail_server_secrets():
    poller = settings((UNITS / "intake.service").read_text(encoding="utf-8"))
    desk = settings((UNITS / "intake-desk.service").read_text(encoding="utf-8"))
    assert poller["EnvironmentFile"] == ["/etc/intake/secrets.env"]
    assert "EnvironmentFile" not in desk
    assert desk["IPAddressDeny"] == ["any"] and desk["IPAddressAllow"] == ["localhost"]


@pytest.mark.parametrize("name", ["intake.service", "intake-desk.service"])
def test_systemd_rates_the_units_exposure_low(name, tmp_path):
    unit = tmp_path / name
    unit.write_text(with_this_intake(name), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level.group(1)) <= 2.0


def test_the_installed_intake_carries_the_same_units():
    """In CI intake is installed from its wheel: the units must be inside it."""
    for name in ("intake.service", "intake-desk.service"):
        assert (packaging_dir() / name).read_text(encoding="utf-8") == (UNITS / name).read_text(
            encoding="utf-8"
        )


@pytest.mark.parametrize(
    ("flag", "name", "command"), [((), "intake.service", "run"), (("--desk",), "intake-desk.service", "desk")]
)
def test_service_unit_prints_the_unit_for_this_installation_and_configuration(
    workspace, tmp_path, flag, name, command
):
    workspace.add_maildir()
    printed = workspace.cli("service-unit", *flag)
    assert printed.returncode == 0, printed.stderr
    unit = settings(printed.stdout)
    config = workspace.config_file.resolve()
    assert unit["ExecStart"] == [f"{INTAKE} --config {config} {command}"]
    assert unit["ReadWritePaths"] == [str(workspace.root)]  # the database, archive, keys, Maildir
    shipped = settings((UNITS / name).read_text(encoding="utf-8"))
    assert {k: v for k, v in unit.items() if k not in ("ExecStart", "ReadWritePaths")} == {
        k: v for k, v in shipped.items() if k not in ("ExecStart", "ReadWritePaths")
    }
    folder = tmp_path / "units"
    folder.mkdir()
    result = verify(printed.stdout, name, folder)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_service_unit_names_the_data_folders_of_the_configuration_and_quotes_them(
    workspace, tmp_path_factory
):
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # outside the workspace's folder
    data = elsewhere / "data 100%"
    maildir = elsewhere / "mail" / "anken"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    workspace.extra = f'key_file = "{data}/keys/intake.key"\n'
    workspace.mailboxes.append(
        '[[mailbox]]\nname = "anken"\nprofile = "incident"\naddress = "csc-anken@example.jp"\n'
        f'case_prefix = "CSC"\nsource = "maildir"\npath = "{maildir}"\n'
    )
    printed = workspace.cli("service-unit")
    assert printed.returncode == 0, printed.stderr
    [writable] = settings(printed.stdout)["ReadWritePaths"]
    assert writable == " ".join([f'"{data}/keys"'.replace("%", "%%"), str(maildir), str(workspace.root)])
    assert f"{data}/keys does not exist yet" in printed.stderr  # systemd would not start the unit
    desk = settings(workspace.cli("service-unit", "--desk").stdout)["ReadWritePaths"][0]
    assert str(maildir) not in desk  # the desk never moves mail
    units = elsewhere / "units"
    units.mkdir()
    result = verify(printed.stdout, "intake.service", units)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_service_unit_needs_a_configuration_that_loads(tmp_path):
    result = run(["--config", str(tmp_path / "missing.toml"), "service-unit"], env={}, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""


# -- scripts/lib/apt-install.sh: the bootstrap's apt step ------------------------------------------

FAKE_APT = """#!/bin/sh
# Records each call, whether the policy file was there during it, and what it answered.
if [ -e "$POLICY" ]; then "$POLICY" start dovecot; answer=$?; state=present; else answer=-; state=absent; fi
echo "$1 policy=$state answer=$answer" >> "$LOG"
echo "$*" >> "$LOG.args"
if [ "$1" = install ] && [ -n "${SLOW:-}" ]; then echo started >> "$LOG.started"; sleep 60; fi
if [ "$1" = install ] && [ -n "${FAIL:-}" ]; then exit 100; fi
exit 0
"""


def apt_install(tmp_path: Path, *, fail=False, slow=False, caller="") -> subprocess.Popen:
    fake = tmp_path / "fake-apt"
    fake.write_text(FAKE_APT, encoding="utf-8")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "INTAKE_POLICY_RC_D": str(tmp_path / "policy-rc.d"),
        "INTAKE_APT_GET": str(fake),
        "POLICY": str(tmp_path / "policy-rc.d"),
        "LOG": str(tmp_path / "apt.log"),
        "FAIL": "1" if fail else "",
        "SLOW": "1" if slow else "",
    }
    script = f'{caller}. scripts/lib/apt-install.sh; apt_install dovecot-imapd systemd; echo "after: $?"'
    return subprocess.Popen(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    out, _ = process.communicate(timeout=60)
    return process.returncode, out


def log(tmp_path: Path) -> list[str]:
    return (tmp_path / "apt.log").read_text(encoding="utf-8").splitlines()


def test_apt_install_keeps_services_stopped_during_the_install_and_removes_its_policy_after(tmp_path):
    code, out = finished(apt_install(tmp_path))
    assert (code, out) == (0, "after: 0\n")
    assert log(tmp_path) == ["update policy=present answer=101", "install policy=present answer=101"]
    assert not (tmp_path / "policy-rc.d").exists()


def test_apt_waits_for_a_busy_package_manager_instead_of_failing_at_once(tmp_path):
    finished(apt_install(tmp_path))
    calls = (tmp_path / "apt.log.args").read_text(encoding="utf-8").splitlines()
    assert [c.split()[0] for c in calls] == ["update", "install"]
    assert all("-o DPkg::Lock::Timeout=600" in c for c in calls), calls


def test_a_failing_install_removes_the_policy_too(tmp_path):
    code, out = finished(apt_install(tmp_path, fail=True))
    assert (code, out) == (0, "after: 100\n")  # the caller sees apt's failure
    assert log(tmp_path)[-1] == "install policy=present answer=101"
    assert not (tmp_path / "policy-rc.d").exists()

    strict = tmp_path / "strict"
    strict.mkdir()
    code, out = finished(apt_install(strict, fail=True, caller="set -euo pipefail; "))
    assert code == 100 and out == ""  # the bootstrap stops there
    assert not (strict / "policy-rc.d").exists()


def test_an_interrupted_install_removes_the_policy(tmp_path):
    process = apt_install(tmp_path, slow=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "apt.log.started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "policy-rc.d").exists()
    os.killpg(process.pid, signal.SIGTERM)  # as a terminal's Ctrl-C or a stopped CI job reaches all
    finished(process)
    assert not (tmp_path / "policy-rc.d").exists()


def test_a_policy_that_was_there_before_is_left_as_it_was(tmp_path):
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# the operator's own\nexit 0\n", encoding="utf-8")
    policy.chmod(0o700)
    for fail in (False, True):
        finished(apt_install(tmp_path, fail=fail))
        assert policy.read_text(encoding="utf-8") == "#!/bin/sh\n# the operator's own\nexit 0\n"
        assert stat.S_IMODE(policy.stat().st_mode) == 0o700
    assert set(log(tmp_path)) == {"update policy=present answer=0", "install policy=present answer=0"}


def test_bootstrap_installs_through_apt_install_and_brings_systemd_analyze():
    text = (REPO / "scripts" / "bootstrap").read_text(encoding="utf-8")
    assert ". scripts/lib/apt-install.sh" in text and 'apt_install "${missing[@]}"' in text
    assert "/usr/sbin/policy-rc.d" not in text  # made and removed by apt_install only
    packages = re.search(r"^packages=\((.*)\)$", text, re.MULTILINE).group(1).split()
    assert "systemd" in packages and "dovecot-imapd" in packages
    assert "postgresql" in packages  # the suite runs a second time on PostgreSQL
    assert "clamav-daemon" in packages and "libreoffice-calc-nogui" in packages  # clamd; Calc opens CSV
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / "bootstrap")]).returncode == 0


def test_ci_runs_the_readme_test_command_on_sqlite_and_on_postgresql():
    command = "bash scripts/bootstrap && .venv/bin/pytest && .venv/bin/pytest --db=postgresql"
    assert f"\n    {command}\n" in (REPO / "README.md").read_text(encoding="utf-8")
    assert f"\n{command}\n" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
