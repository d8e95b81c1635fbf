""".env.example and the README's configuration table document every setting, with true defaults."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {f.name.upper() for f in dataclasses.fields(Settings)}


def env_example() -> str:
    return (ROOT / ".env.example").read_text()


def test_env_example_names_every_setting_and_nothing_else():
    named = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", env_example(), re.M))
    assert named == SETTING_NAMES


def test_env_example_values_are_the_real_dev_defaults():
    values = dict(
        line.split("=", 1)
        for line in env_example().splitlines()
        if line and not line.startswith("#")
    )
    assert Settings.from_env(values) == Settings.from_env({})


def test_readme_configuration_table_lists_every_setting_with_its_type():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| (\w+) \|", readme, re.M))
    assert set(rows) == SETTING_NAMES
    kinds = {f.name.upper(): f.metadata["kind"] for f in dataclasses.fields(Settings)}
    assert rows == kinds


def test_readme_cli_command_reaches_the_tenants_group():
    readme = (ROOT / "README.md").read_text()
    apps = set(re.findall(r"flask --app '([^']+)' tenants", readme))
    assert len(apps) == 1
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", apps.pop(), "tenants", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "list" in done.stdout and "show" in done.stdout
