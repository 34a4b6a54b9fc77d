"""The scheduling recipes in deploy/: systemd units, the Actions workflow, cron lines."""

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracker.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ("tracker-harvest.service", "tracker-harvest.timer")
INSTALLED = "/opt/tracker/venv/bin/tracker"


def unit(name):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name)
    return parser


def seconds(value):
    m = re.fullmatch(r"(\d+)(s|min|h)?", value)
    return int(m.group(1)) * {"s": 1, None: 1, "min": 60, "h": 3600}[m.group(2)]


def test_systemd_units_say_what_the_readme_promises():
    service, timer = unit(UNITS[0]), unit(UNITS[1])
    assert timer["Timer"]["OnCalendar"] == "hourly" and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == UNITS[0]
    s = service["Service"]
    assert s["Type"] == "oneshot" and s["EnvironmentFile"].startswith("/etc/")
    # Longer than the harvest's graceful stop (~10 s) before systemd sends SIGKILL.
    assert s["KillSignal"] == "SIGTERM" and seconds(s["TimeoutStopSec"]) >= 30
    assert "75" in s["SuccessExitStatus"].split()  # the lock is held: not a failure
    assert s["ExecStart"].startswith(f"{INSTALLED} harvest ")


def test_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package: systemd)")
    # verify checks that ExecStart= exists: point it at a stand-in executable.
    fake = tmp_path / "tracker"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    probe = tmp_path / "probe.service"
    probe.write_text(f"[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart={fake}\n")
    check = subprocess.run([analyze, "verify", str(probe)], capture_output=True, text=True,
                           timeout=60)
    if check.returncode != 0:
        reason = f"systemd-analyze verify cannot run here: {check.stderr.strip()[:200]}"
        print(reason)
        pytest.skip(reason)
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text().replace(INSTALLED, str(fake))
        (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "tracker-harvest" not in result.stderr, result.stderr


def test_workflow_validates_against_github_schema():
    workflow = DEPLOY / "github-actions" / "tracker.yml"
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.github-workflows", str(workflow)],
                            capture_output=True, text=True, timeout=120)
    if "No module named check_jsonschema" in result.stderr:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    assert result.returncode == 0, result.stdout + result.stderr
    flow = yaml.safe_load(workflow.read_text())
    assert flow[True]["schedule"]  # YAML 1.1 reads the key `on` as True
    steps = flow["jobs"]["harvest"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    harvest = next(step for step in steps if "tracker harvest" in step.get("run", ""))
    assert harvest["env"]["GITHUB_APP_PRIVATE_KEY"] == "${{ secrets.TRACKER_APP_PRIVATE_KEY }}"
    assert "GITHUB_TOKEN" not in harvest["env"]  # App settings and a token would be exit 2
    assert "tracker status" in runs and "tracker site --output site" in runs


def cron_lines():
    lines = (DEPLOY / "cron").read_text().splitlines()
    return [ln for ln in lines if ln.strip() and not ln.startswith("#") and "=" not in ln.split()[0]]


def test_cron_lines_are_valid_and_in_the_docs():
    readme = (ROOT / "docs" / "running.md").read_text()
    field = r"(\*|\d+(-\d+)?(/\d+)?)(,(\*|\d+(-\d+)?(/\d+)?))*"
    assert cron_lines()
    for line in cron_lines():
        assert re.match(rf"^{field}( +{field}){{4}}  +\S", line), line
        assert line in readme, f"deploy/cron line missing from docs/running.md: {line}"
    assert cron_lines()[0] in (ROOT / "README.md").read_text()  # the hourly harvest


def tracker_commands():
    """Every `tracker ...` invocation in the recipes, as argument lists."""
    texts = [(DEPLOY / "cron").read_text(), (DEPLOY / "github-actions" / "tracker.yml").read_text(),
             (DEPLOY / "systemd" / UNITS[0]).read_text()]
    found = []
    for text in texts:
        for m in re.finditer(r"(?:^|[\s/])tracker ((?:harvest|status|site|digest|serve)[^&>\n]*)",
                             text, re.M):
            found.append(shlex.split(m.group(1)))
    return found


def test_recipes_use_real_options():
    commands = tracker_commands()
    assert {c[0] for c in commands} >= {"harvest", "status", "site"}
    for args in commands:
        if args[0] not in cli.commands:
            print(f"skipped `tracker {args[0]}`: not in this checkout yet")
            continue
        cli.commands[args[0]].make_context(args[0], args[1:])  # raises on a wrong option
