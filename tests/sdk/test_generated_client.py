"""The SDK's generated client is made from the schema the service serves now: change
the schema (or an operation document) without ``make sdk-client`` and this fails."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "python"
CODEGEN = ROOT / ".venv" / "codegen" / "bin" / "ariadne-codegen"
AGAIN = "run `make sdk-client` and commit sdk/python"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdk_codegen", SDK / "codegen" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sdk_schema_is_the_one_the_service_serves() -> None:
    generate = _generator()
    assert (SDK / "schema.graphql").read_text() == generate.schema_sdl(), AGAIN


def test_the_generated_client_was_made_from_the_current_inputs() -> None:
    generate = _generator()
    stamp = (SDK / "billing_sync_sdk" / "_generated" / "inputs.sha256").read_text().strip()
    assert stamp == generate.inputs_digest(), AGAIN


@pytest.mark.skipif(not CODEGEN.exists(), reason="the generator is installed by make sdk-client")
def test_generating_again_changes_nothing(tmp_path: Path) -> None:
    generate = _generator()
    copy = tmp_path / "sdk"
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns("_generated", "*.egg-info"))
    generate.generate(str(CODEGEN), copy)
    made = copy / "billing_sync_sdk" / "_generated"
    held = SDK / "billing_sync_sdk" / "_generated"
    names = sorted(p.name for p in made.glob("*.py"))
    assert names == sorted(p.name for p in held.glob("*.py")), AGAIN
    for name in names:
        assert (made / name).read_text() == (held / name).read_text(), f"{name}: {AGAIN}"


def test_every_async_method_has_its_sync_twin() -> None:
    from billing_sync_sdk import BillingSyncClient
    from billing_sync_sdk._generated.client import GeneratedClient

    calls = {name for name in vars(GeneratedClient) if not name.startswith("_")}
    # A subscription is an async iterator: the sync client has no use for it.
    assert calls - {"entitlements_updated"} <= set(dir(BillingSyncClient))
