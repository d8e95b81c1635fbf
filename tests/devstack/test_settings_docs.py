""".env.example and the README's configuration table document every setting, with true defaults."""

from __future__ import annotations

import dataclasses
import re
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
