"""The example catalog ships inside the package, so an installed wheel or the container
image applies it from any working directory. In the source tree the packaged file links
to examples/catalog.yaml, which the README and ``make run`` name."""

from __future__ import annotations

from importlib.resources import files

EXAMPLE_NAME = "example.yaml"


def example_catalog() -> str:
    return files("app.catalog").joinpath(EXAMPLE_NAME).read_text(encoding="utf-8")
