"""Shared fixtures.

Database tests run twice: on SQLite (always) and on PostgreSQL at TEST_DATABASE_URL.
Redis tests use TEST_REDIS_URL. When PostgreSQL or Redis is missing they skip on a
laptop and fail in CI (CI set), so CI always exercises the real services.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app import db, migrations
from app.config import Settings, set_settings
from app.entitlements import cache as entitlements_cache
from app.environments import key_cache
from app.environments import service as environments
from app.main import create_app
from app.models import Environment

# The fuzz suite's count of requests, in the summary of every run.
pytest_plugins = ["tests.fuzz.report"]

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
# Under pytest-xdist each worker process (gw0, gw1, ...) gets a database and a Redis
# database of its own, so the workers never wipe each other's state.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BASE_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _own_database(url: str) -> str:
    if not XDIST_WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False
    )


def _own_redis(url: str) -> str:
    if not XDIST_WORKER:
        return url
    base, _, number = url.rpartition("/")
    index = int(XDIST_WORKER.removeprefix("gw") or 0)
    return f"{base}/{int(number or 0) - index}"


TEST_DATABASE_URL = _own_database(BASE_DATABASE_URL)
TEST_REDIS_URL = _own_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))


def require_service(name: str, error: Exception) -> None:
    reason = f"{name} is not reachable ({error}); CI must run it"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _clear(engine: Engine) -> None:
    entitlements_cache.apply([entitlements_cache.ALL])
    key_cache.forget_all()
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrations.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def _create_database(url: str) -> None:
    """Create the worker's own database next to the configured one, once."""
    if url == BASE_DATABASE_URL:
        return
    name = make_url(url).database
    admin = db.make_engine(BASE_DATABASE_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    try:
        _create_database(TEST_DATABASE_URL)
    except Exception as exc:  # noqa: BLE001
        require_service("PostgreSQL", exc)
    engine = db.make_engine(TEST_DATABASE_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        require_service("PostgreSQL", exc)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(TEST_DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database; the test leaves nothing behind."""
    chosen: Engine = request.getfixturevalue(f"{request.param}_engine")
    db.set_engine(chosen)
    try:
        yield chosen
    finally:
        db.set_engine(None)
        _clear(chosen)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and inspecting state; tests commit it themselves."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def environment(session: Session) -> Environment:
    env = Environment(name="development")
    session.add(env)
    session.commit()
    return env


@pytest.fixture
def other_environment(session: Session) -> Environment:
    env = Environment(name="production")
    session.add(env)
    session.commit()
    return env


REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = REPO_ROOT / "examples" / "catalog.yaml"


@pytest.fixture(autouse=True)
def settings() -> Iterator[Settings]:
    """Every test runs on these settings, whatever the developer's environment holds."""
    chosen = Settings(
        app_env="test",
        log_format="json",
        database_url="sqlite://",
        _env_file=None,  # type: ignore[call-arg]
    )
    set_settings(chosen)
    yield chosen
    set_settings(None)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The whole service over HTTP, on the test database, with its in-process worker."""
    application = create_app(settings)
    with TestClient(application) as test_client:
        yield test_client


def issue_key(engine: Engine, environment_name: str) -> str:
    with Session(engine) as s:
        issued = environments.create_api_key(s, environment_name)
        s.commit()
        return issued.key


@pytest.fixture
def api_key(engine: Engine, environment: Environment) -> str:
    return issue_key(engine, environment.name)


@pytest.fixture
def other_api_key(engine: Engine, other_environment: Environment) -> str:
    return issue_key(engine, other_environment.name)


class GraphQL:
    """Posts GraphQL documents the way a backend would."""

    def __init__(self, client: TestClient, key: str | None) -> None:
        self.client = client
        self.key = key

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        key: str | None = ...,
    ) -> Any:  # type: ignore[assignment]
        headers = {}
        chosen = self.key if key is ... else key
        if chosen is not None:
            headers["X-API-KEY"] = chosen
        return self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The first error of a request that must fail, with no 500."""
        response = self.post(query, variables)
        assert response.status_code < 500, response.text
        body = response.json()
        assert body.get("errors"), body
        first: dict[str, Any] = body["errors"][0]
        return first


@pytest.fixture
def gql(client: TestClient, api_key: str) -> GraphQL:
    return GraphQL(client, api_key)


@pytest.fixture
def catalog_applied(session: Session, environment: Environment) -> None:
    """The shipped example catalog, applied to the development environment."""
    from app.catalog.schemas import load_catalog
    from app.catalog.service import apply_catalog

    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)
    apply_catalog(session, environment, spec)
    session.commit()
