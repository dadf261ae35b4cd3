"""``pip install ./sdk/python`` in a clean virtual environment, then the README's quick
start against a live service, from an empty folder: the distribution carries everything
it needs (its generated client, its dependencies declared)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.cli_steps import run
from tests.sdk.conftest import LiveService

SDK = Path(__file__).resolve().parents[2] / "sdk" / "python"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live")]


def _quick_start() -> str:
    readme = (SDK / "README.md").read_text()
    found = re.search(r"## Quick start.*?```python\n(.*?)```", readme, re.DOTALL)
    assert found is not None, "the README has a quick start in Python"
    return found.group(1)


def test_pip_install_then_the_readme_example_works(tmp_path: Path, live: LiveService) -> None:
    source = tmp_path / "sdk"
    shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    venv = tmp_path / "venv"
    # A clean environment with nothing in it; this pip installs into it (``--python``),
    # as the environment's own pip would (seeding one costs about 4 s of CPU).
    here = dict(os.environ)
    run(sys.executable, "-m", "venv", "--without-pip", venv, env=here)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", source, env=here)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "example.py").write_text(_quick_start())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BILLING_SYNC_API_KEY": live.key,
        "BILLING_SYNC_API_URL": live.url,
    }
    printed = run(python, "example.py", env=env, cwd=empty)
    assert printed.split() == ["readme-customer", "True", "1.0"]
