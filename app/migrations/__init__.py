"""Run Alembic migrations from code (the CLI, ``make run`` and the tests use this).

The migration scripts ship inside this package and are found through it, so an
installed wheel migrates from any working directory; ``alembic.ini`` at the top of the
source tree only serves the ``alembic`` command while writing new revisions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCRIPTS = Path(__file__).resolve().parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("path_separator", "os")
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
