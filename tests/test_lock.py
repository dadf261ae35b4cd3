"""The lock files are what was installed and tested, and what pyproject.toml allows.

``make`` installs requirements-dev.lock (with hashes), the Dockerfile
requirements.lock; a stale or hand-edited lock, or a virtual environment that drifted
from it, fails here instead of shipping untested versions.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"
DEV_LOCK = REPO_ROOT / "requirements-dev.lock"
# A pin opens a line, "name==version ; marker \", its hashes on the lines after.
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)"
    r"(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)
# The virtual environment's own installer, which venv puts there and no lock pins.
INSTALLER = {"pip", "setuptools"}


def pins(lock: Path) -> dict[str, str]:
    """The lock's exact versions that apply to this interpreter and platform."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match is None:
            continue
        marker = match["marker"]
        if marker is None or Marker(marker).evaluate():
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def pyproject_requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in listed]


def test_the_environment_holds_exactly_the_dev_lock() -> None:
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    installed.pop("billing-sync")
    installed.pop("billing-sync-sdk", None)  # sdk/python, installed from the checkout
    for name in INSTALLER:
        installed.pop(name, None)
    assert installed == pins(DEV_LOCK), (
        "the environment differs from requirements-dev.lock: rm -rf .venv && make install"
    )


def test_the_service_lock_pins_the_versions_the_dev_lock_pins() -> None:
    service, dev = pins(LOCK), pins(DEV_LOCK)
    assert service
    assert {name: dev.get(name) for name in service} == service


def test_each_lock_satisfies_pyproject() -> None:
    for lock, requirements in (
        (LOCK, pyproject_requirements()),
        (DEV_LOCK, pyproject_requirements() + pyproject_requirements("dev")),
    ):
        locked = pins(lock)
        for requirement in requirements:
            version = locked.get(canonicalize_name(requirement.name))
            assert version is not None, f"{lock.name} lacks {requirement}: run make lock"
            assert requirement.specifier.contains(version), (
                f"{lock.name} pins {requirement.name}=={version}, outside {requirement}: "
                "run make lock"
            )
