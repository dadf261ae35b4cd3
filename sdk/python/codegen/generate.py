"""Regenerate the SDK's typed client: ``make sdk-client`` runs this with the project's
Python (which can import the service) and the path of ariadne-codegen (installed in a
virtual environment of its own, ``.venv/codegen``: its pins of graphql-core and ruff are
not the service's).

1. The service's schema is written to ``sdk/python/schema.graphql``.
2. ariadne-codegen writes ``billing_sync_sdk/_generated`` from it and ``operations/``.
3. ``_generated/inputs.sha256`` records a digest of everything the client was made
   from, so a test can tell a stale client without running the generator.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
SCHEMA = SDK / "schema.graphql"
GENERATED = SDK / "billing_sync_sdk" / "_generated"
STAMP = GENERATED / "inputs.sha256"


def schema_sdl() -> str:
    """The schema the service serves now, as SDL."""
    from app.graphql.schema import new_schema  # noqa: PLC0415 - only the generator needs it

    return new_schema().as_str() + "\n"


def inputs() -> list[Path]:
    return [
        SCHEMA,
        *sorted((SDK / "operations").glob("*.graphql")),
        SDK / "codegen" / "codegen.toml",
        SDK / "codegen" / "requirements.lock",
    ]


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in inputs():
        digest.update(path.relative_to(SDK).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def generate(ariadne_codegen: str, into: Path = SDK) -> None:
    """Run the generator in ``into`` (a copy of sdk/python, or sdk/python itself)."""
    target = into / "billing_sync_sdk" / "_generated"
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(  # noqa: S603 - the generator the Makefile names
        [ariadne_codegen, "--config", "codegen/codegen.toml", "client"],
        cwd=into,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    SCHEMA.write_text(schema_sdl())
    generate(sys.argv[1])
    STAMP.write_text(inputs_digest() + "\n")


if __name__ == "__main__":
    main()
