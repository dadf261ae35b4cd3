"""Set-up commands of billing-sync's command line, run in one interpreter: each process
started costs a second or two of CPU (the service's imports), so a test that sets up a
database as an operator would (migrate, an environment, the catalog, a key) runs those
commands one after another in one process, each as the command line runs it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

_SCRIPT = """
import json, sys
from app.cli import app
for args in json.loads(sys.argv[1]):
    code = app(args, standalone_mode=False)  # a refusal is returned, not raised
    if code:
        sys.exit(f"{args} exited {code}")
"""

EXAMPLE_CATALOG = Path(__file__).resolve().parent.parent / "examples" / "catalog.yaml"

# make run's set-up, then a key; the last line printed is the key (``new_key``).
MAKE_RUN = (
    ("migrate",),
    ("environments", "create", "development"),
    ("catalog", "apply", str(EXAMPLE_CATALOG), "--environment", "development"),
    ("keys", "create", "--environment", "development"),
)


def run(*args: str | Path, env: dict[str, str], cwd: Path | None = None) -> str:
    """What a command printed; the test fails with its errors if it exits non-zero."""
    done = subprocess.run(
        [str(arg) for arg in args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def run_steps(
    python: str | Path,
    steps: Sequence[Sequence[str]],
    env: dict[str, str],
    cwd: Path | None = None,
) -> str:
    """Run ``steps`` (each a command line's arguments) with ``python``'s billing-sync;
    what they printed."""
    return run(python, "-c", _SCRIPT, json.dumps([list(s) for s in steps]), env=env, cwd=cwd)


def new_key(printed: str) -> str:
    return printed.strip().splitlines()[-1]
