"""The Dockerfile and docker-compose.yml, read as files (no container engine runs here).

Compose hands its ``command`` to the image's entry point, the ``billing-sync`` command
line, and its ``environment`` to the settings; both are checked against the real CLI and
the documented settings, so a renamed command or setting fails here, not at deploy.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from app.cli import app as cli_app
from app.config import Settings
from tests.conftest import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE = REPO_ROOT / "docker-compose.yml"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def image_services() -> dict[str, dict[str, Any]]:
    """The services that run this repository's image."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("build") in (".", "./")
    }


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", ["serve"])
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def parse_cli(arguments: list[str]) -> str:
    """The command ``billing-sync ARGUMENTS`` runs, its arguments parsed, nothing run."""
    command: Any = typer.main.get_command(cli_app)
    context = typer.Context(command, info_name="billing-sync")
    rest = list(arguments)
    while hasattr(command, "get_command"):  # a group: the next word names a command
        assert rest, f"{arguments} names a group, not a command"
        found = command.get_command(context, rest[0])
        assert found is not None, f"billing-sync has no command {rest[0]!r} ({arguments})"
        command, context = found, typer.Context(found, info_name=rest[0], parent=context)
        rest = rest[1:]
    command.make_context(context.info_name, rest, parent=context.parent)
    return context.command_path


def documented_settings() -> set[str]:
    """The names in README's Configuration table that are also fields of Settings."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names & {field.upper() for field in Settings.model_fields}


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[list[str]] = []
    for instruction in (line.strip() for line in text.splitlines()):
        if not instruction or instruction.startswith("#"):
            continue
        if instruction.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_parse_cli_refuses_what_billing_sync_would_refuse() -> None:
    assert parse_cli(["catalog", "apply", "--example", "-e", "dev"]) == "billing-sync catalog apply"
    for wrong in (["serv"], ["catalog"], ["worker", "--no-such-option"]):
        with pytest.raises((AssertionError, typer.TyperException)):
            parse_cli(wrong)


@pytest.mark.parametrize("name", sorted(image_services()))
def test_each_compose_command_is_a_billing_sync_command(name: str) -> None:
    parse_cli(command_of(image_services()[name]))


def test_compose_runs_the_api_the_worker_and_the_migrations() -> None:
    commands = [command_of(service)[0] for service in image_services().values()]
    assert {"serve", "worker", "migrate"} <= set(commands)


def test_each_variable_compose_sets_is_a_documented_setting() -> None:
    documented = documented_settings()
    assert {"DATABASE_URL", "REDIS_URL"} <= documented
    for name, service in image_services().items():
        environment = service.get("environment", {})
        names = (
            environment
            if isinstance(environment, dict)
            else [entry.split("=", 1)[0] for entry in environment]
        )
        assert set(names) <= documented, f"{name} sets undocumented {set(names) - documented}"


def test_the_image_is_built_in_stages_and_runs_unprivileged_from_the_lock() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    build, final = "\n".join(stages[0]), "\n".join(stages[-1])
    assert re.search(r"--require-hashes -r requirements\.lock", build)
    assert "COPY --from=build /opt/billing-sync /opt/billing-sync" in final
    # Nothing is built or installed in the final stage.
    assert not re.search(r"apt-get|pip( --python \S+)? install|pip wheel|gcc", final)
    user = [line.split()[1] for line in stages[-1] if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") and "/readyz" in line for line in stages[-1])
    assert 'ENTRYPOINT ["billing-sync"]' in stages[-1]
    assert 'CMD ["serve"]' in stages[-1]


def test_everything_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for stage in dockerfile_stages():
        for line in stage:
            parts = line.split()
            if parts[0] != "COPY" or any(p.startswith("--from") for p in parts):
                continue
            for source in parts[1:-1]:
                assert (REPO_ROOT / source).exists(), f"the Dockerfile copies missing {source}"
                assert Path(source).parts[0] not in ignored, f"{source} is in .dockerignore"
