"""Shared fixtures.

Database tests run twice: on SQLite (always) and on PostgreSQL, in a database of the
run's own on the server TEST_DATABASE_URL names (dropped at the end). Redis tests use a
Redis database of the run's own (8-15 on 127.0.0.1:6379, or TEST_REDIS_URL). When
PostgreSQL or Redis is missing they skip on a laptop and fail in CI (CI set), so CI
always exercises the real services.
"""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app import db, jobs, migrations
from app.billing import catalog as billing_catalog
from app.config import Settings, set_settings
from app.entitlements import cache as entitlements_cache
from app.environments import key_cache
from app.environments import service as environments
from app.main import create_app
from app.models import Environment
from webhooks import endpoint as webhook_endpoint

# The fuzz suite's count of requests, in the summary of every run; the order tests are
# dealt to parallel workers in.
pytest_plugins = ["tests.fuzz.report", "tests.scheduling"]

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
# Every run gets a PostgreSQL database and a Redis database of its own, and under
# pytest-xdist so does each worker process (gw0, gw1, ...): runs side by side on one
# machine never wipe each other's state, and nobody's own `test` database is touched.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
RUN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)[:10]
# TEST_DATABASE_URL names the server and the prefix of the run's database name.
BASE_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/billing_sync_test"
)
# A run holds a lock on each database it uses, in this folder, while it runs: a database
# whose lock nobody holds was left by a run that was killed, and is dropped.
LOCKS = Path(tempfile.gettempdir()) / "billing-sync-tests"
LOCKS.mkdir(exist_ok=True)
_held: list[IO[str]] = []


def _lock(name: str) -> bool:
    """Hold the lock called ``name`` for as long as this process lives, if it is free."""
    handle = (LOCKS / f"{name}.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _held.append(handle)
    return True


def _release(name: str) -> None:
    for handle in [h for h in _held if Path(h.name).name == f"{name}.lock"]:
        _held.remove(handle)
        handle.close()
    (LOCKS / f"{name}.lock").unlink(missing_ok=True)


def _own_database(url: str) -> str:
    parsed = make_url(url)
    name = f"{parsed.database}_{RUN}_{XDIST_WORKER or 'main'}"
    return parsed.set(database=name).render_as_string(hide_password=False)


# Redis databases a run may take, one per worker process; each is flushed by the tests.
# Eight: two runs side by side of four processes each.
REDIS_DATABASES = range(15, 7, -1)


def _own_redis() -> str:
    """TEST_REDIS_URL as given (a database per worker below it), else a free database."""
    given = os.environ.get("TEST_REDIS_URL")
    if given is not None:
        base, _, number = given.rpartition("/")
        index = int(XDIST_WORKER.removeprefix("gw") or 0)
        return f"{base}/{int(number or 0) - index}"
    for number in REDIS_DATABASES:
        if _lock(f"redis-{number}"):
            return f"redis://127.0.0.1:6379/{number}"
    raise RuntimeError(
        f"Redis databases {REDIS_DATABASES.stop + 1}-{REDIS_DATABASES.start} are all held by "
        "other test runs on this machine: wait for one to end, or set TEST_REDIS_URL"
    )


TEST_DATABASE_URL = _own_database(BASE_DATABASE_URL)
_redis_url: list[str] = []


def __getattr__(name: str) -> str:
    # TEST_REDIS_URL is taken on first use, so that xdist's controller (which runs no
    # test) holds no Redis database.
    if name != "TEST_REDIS_URL":
        raise AttributeError(name)
    if not _redis_url:
        _redis_url.append(_own_redis())
    return _redis_url[0]


def require_service(name: str, error: Exception) -> None:
    reason = f"{name} is not reachable ({error}); CI must run it"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _clear(engine: Engine) -> None:
    jobs.forget_sent_now()
    billing_catalog.forget_known_prices()
    entitlements_cache.apply([entitlements_cache.ALL])
    key_cache.forget_all()
    webhook_endpoint.forget_accounts()
    # DELETE, children first: on PostgreSQL, TRUNCATE of every table cost 100 ms or more
    # a test (new files for each table), DELETE of a test's few rows a few milliseconds;
    # sent as one batch of statements, one round trip, where the driver takes one.
    deletes = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("; ".join(deletes))
        else:
            for statement in deletes:
                connection.exec_driver_sql(statement)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrations.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def _admin() -> Engine:
    server = make_url(BASE_DATABASE_URL).set(database="postgres")
    return db.make_engine(server.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )


def _create_database(url: str) -> None:
    """Create this worker's database, dropping those that killed runs left behind."""
    name = make_url(url).database
    prefix = f"{make_url(BASE_DATABASE_URL).database}_"
    assert name is not None and _lock(name)
    admin = _admin()
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
                {"prefix": prefix},
            ).scalars()
            for left in [each for each in found if each != name]:
                if _lock(left):  # nobody holds it: its run is gone
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{left}" WITH (FORCE)'))
                    _release(left)
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def _drop_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
        _release(str(name))


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
    migrations.upgrade(TEST_DATABASE_URL)
    yield engine
    engine.dispose()
    _drop_database(TEST_DATABASE_URL)


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
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    """PostgreSQL alone as the process's engine (a test of PostgreSQL's own behaviour);
    the test leaves nothing behind."""
    db.set_engine(postgresql_engine)
    try:
        yield postgresql_engine
    finally:
        db.set_engine(None)
        _clear(postgresql_engine)


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


@functools.cache
def _test_settings() -> Settings:
    return Settings(
        app_env="test",
        log_format="json",
        database_url="sqlite://",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(autouse=True)
def settings() -> Iterator[Settings]:
    """Every test runs on these settings, whatever the developer's environment holds (read
    from it once; each test has a copy of its own to change)."""
    chosen = _test_settings().model_copy(deep=True)
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


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


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


# The rows a catalog's apply stores, by table, as its first apply on each database stored
# them, and the catalog version it left; keyed by database and catalog.
CATALOG_TABLES = (
    "feature",
    "product",
    "package",
    "package_price",
    "package_entitlement",
    "coupon",
    "promotion_code",
    "tax_rate",
)
_applied: dict[tuple[str, str], tuple[int, dict[str, list[dict[str, Any]]]]] = {}


def apply_recorded(
    session: Session, environment: Environment, catalog: str, apply: Callable[[], None]
) -> None:
    """``apply()``, a catalog's apply (named ``catalog``) to an environment of a database
    that holds no catalog yet: the first time on each database it runs and its rows are
    recorded; later, the same rows are inserted directly, with ids of their own, their
    environment's id and the time of the insert (an apply is deterministic, and costs
    tens of milliseconds of CPU a test). Where a catalog is held already (a second
    environment's, or a change to one), ``apply()`` runs."""
    connection = session.connection()
    held = connection.execute(
        text(" UNION ALL ".join(f"SELECT 1 FROM {table}" for table in CATALOG_TABLES))
    ).first()
    if held is not None:
        apply()
        return
    key = (str(session.get_bind().url), catalog)
    recorded = _applied.get(key)
    if recorded is None:
        apply()
        _applied[key] = _catalog_rows(session, environment)
        return
    version, rows = recorded
    _insert_catalog(session, environment, version, rows)


@pytest.fixture
def catalog_applied(session: Session, environment: Environment) -> None:
    """The shipped example catalog, applied to the development environment."""
    from app.catalog.schemas import load_catalog
    from app.catalog.service import apply_catalog

    def apply() -> None:
        spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)
        apply_catalog(session, environment, spec)
        session.commit()

    apply_recorded(session, environment, "examples/catalog.yaml", apply)


def _catalog_rows(
    session: Session, environment: Environment
) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    connection = session.connection()
    rows = {
        name: [dict(row._mapping) for row in connection.execute(table.select())]
        for name, table in SQLModel.metadata.tables.items()
        if name in CATALOG_TABLES
    }
    session.refresh(environment)
    session.commit()
    return environment.catalog_version, rows


def _insert_catalog(
    session: Session,
    environment: Environment,
    version: int,
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    from sqlalchemy import update

    from app.models.base import utcnow

    ids = {row["id"]: str(uuid.uuid4()) for found in rows.values() for row in found}
    now = utcnow()
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in rows or not rows[table.name]:
            continue
        fresh = []
        for row in rows[table.name]:
            copied = {
                key: ids.get(value, value) if isinstance(value, str) else value
                for key, value in row.items()
            }
            if "environment_id" in copied:
                copied["environment_id"] = environment.id
            for stamp in ("created_at", "updated_at"):
                if stamp in copied:
                    copied[stamp] = now
            fresh.append(copied)
        connection.execute(table.insert(), fresh)
    connection.execute(
        update(Environment)
        .where(Environment.id == environment.id)  # type: ignore[arg-type]
        .values(catalog_version=version)
    )
    session.commit()
    session.refresh(environment)
