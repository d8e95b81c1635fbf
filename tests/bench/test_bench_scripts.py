"""Every bench runs as a script (``python bench/<name>.py``) as well as a module, with --no-docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The benches proper; minimal_app.py, docs.py and scale_docs.py are their helpers.
BENCHES = [
    p.stem
    for p in sorted((ROOT / "bench").glob("*.py"))
    if "def main(" in p.read_text() and p.stem != "__init__"
]


# Each case starts an interpreter that imports the whole app (a few seconds): make test runs one
# bench each way, make test-all (the slow set) all of them.
QUICK = {"script": "provision", "module": "public_api"}


def cases(way: str) -> list:
    return [n if n == QUICK[way] else pytest.param(n, marks=pytest.mark.slow) for n in BENCHES]


def test_every_bench_is_listed():
    assert {"provision", "public_api", "fanout", "fleet_migrate"} <= set(BENCHES)


@pytest.mark.parametrize("name", cases("script"))
def test_bench_runs_as_a_script_from_anywhere(name, tmp_path):
    # From another directory, so nothing depends on the current one being the repo root.
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--no-docs" in done.stdout


@pytest.mark.parametrize("name", cases("module"))
def test_bench_runs_as_a_module(name):
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--no-docs" in done.stdout
