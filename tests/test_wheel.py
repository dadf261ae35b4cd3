"""billing-sync as a user installs it: the wheel in a fresh virtual environment, run
from an empty folder far from the source tree, with only the locked dependencies.

uv builds and installs (the same steps as README's pip ones, in seconds instead of a
minute), so this runs in every ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.billing.stack import free_port
from tests.cli_steps import MAKE_RUN, new_key, run, run_steps
from tests.conftest import REPO_ROOT
from tests.loopback import LOOPBACK

pytestmark = pytest.mark.slow

UV = Path(sys.executable).parent / "uv"
LOCK = REPO_ROOT / "requirements.lock"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the locked dependencies and the built wheel."""
    root = tmp_path_factory.mktemp("wheel")
    tools = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    tools["TMPDIR"] = str(root)  # uv leaves a lock file in its temporary folder
    # The sdist first, then the wheel from it: the wheel holds only what the sdist ships.
    run(UV, "build", "--quiet", "--out-dir", root / "dist", REPO_ROOT, env=tools, cwd=root)
    (wheel,) = (root / "dist").glob("billing_sync-*.whl")
    venv = root / "venv"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv, env=tools, cwd=root)
    python = venv / "bin" / "python"
    run(UV, "pip", "install", "--quiet", "--python", python, "--require-hashes",
        "-r", LOCK, env=tools, cwd=root)  # fmt: skip
    run(UV, "pip", "install", "--quiet", "--python", python, "--no-deps", wheel,
        env=tools, cwd=root)  # fmt: skip
    return venv


def test_the_installed_wheel_migrates_sets_up_and_serves_from_an_empty_folder(
    installed: Path, tmp_path: Path
) -> None:
    bin_dir = installed / "bin"
    empty = tmp_path / "empty"
    empty.mkdir()
    port = free_port()
    # Nothing from the developer's shell or the source tree: a user's environment.
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'billing-sync.db'}",
        "PORT": str(port),
        "LOG_FORMAT": "json",
    }

    where = run(bin_dir / "python", "-c", "import app; print(app.__file__)", env=env, cwd=empty)
    assert Path(where.strip()).is_relative_to(installed)
    cli = bin_dir / "billing-sync"
    # The set-up commands, run by the installed package's command line; the example
    # catalog also as package data, read through the installed package.
    example = ("catalog", "apply", "--example", "--environment", "development")
    steps = [*MAKE_RUN[:-1], example, MAKE_RUN[-1]]
    key = new_key(run_steps(bin_dir / "python", steps, env, cwd=empty))

    server = subprocess.Popen(
        [str(cli), "serve"],
        env=env,
        cwd=empty,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        ready = None
        while ready is None and server.poll() is None and time.monotonic() < deadline:
            try:
                ready = LOOPBACK.get(f"{base}/readyz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        if ready is None:
            server.terminate()
            pytest.fail(f"serve never answered /readyz:\n{server.communicate(timeout=20)[1]!r}")
        assert ready.status_code == 200
        # The key from `keys create` works, and the coupon comes from the applied catalog.
        answer = LOOPBACK.post(
            f"{base}/graphql",
            headers={"X-API-KEY": key},
            json={
                "query": 'mutation { provisionCustomer(input: {customerId: "c-1", '
                'couponRefId: "coupon-id"}) { customer { coupon { refId } } } }'
            },
        )
        assert answer.json() == {
            "data": {"provisionCustomer": {"customer": {"coupon": {"refId": "coupon-id"}}}}
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    # Nothing was looked for, or left, in the working directory.
    assert list(empty.iterdir()) == []
