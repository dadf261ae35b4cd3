"""Two API processes on one database: a change made through one is seen by the other.

Each process answers checks from its own cache; what keeps the other one right is the
invalidation it hears over Redis. Real ``billing-sync serve`` processes, a shared SQLite
file and the test Redis.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from app import db, migrations
from app.catalog.schemas import load_catalog
from app.catalog.service import apply_catalog
from app.models import Environment
from tests.billing.stack import CLI, free_port
from tests.conftest import EXAMPLE_CATALOG, TEST_REDIS_URL, issue_key, require_service
from tests.loopback import tls

# How long a starting `serve` may take to answer: three processes each import the
# service (over 30 s seen on two cores shared with another test run).
STARTUP = 90.0

CHECK = """
query($q: FetchEntitlementQuery!) {
  entitlement(query: $q) { isGranted accessDeniedReason currentUsage usageLimit }
}"""
PROVISION = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
REPORT = "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }"
ARCHIVE = """
mutation($input: ArchiveCustomerInput!) { archiveCustomer(input: $input) { customerId } }
"""


def _eventually(read: Callable[[], Any], expected: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    found = read()
    while found != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        found = read()
    assert found == expected


@pytest.fixture
def environment_variables(tmp_path: Path) -> dict[str, str]:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL).ping()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
        "REDIS_URL": TEST_REDIS_URL,
        "LOG_FORMAT": "json",
    }
    for name in ("STRIPE_API_KEY", "HOST", "PORT", "API_WORKERS"):
        env.pop(name, None)
    return env


@pytest.fixture
def two_processes(environment_variables: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    env = environment_variables
    # Set up in this process (the commands' own tests run them as commands).
    migrations.upgrade(env["DATABASE_URL"])
    engine = db.make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        environment = Environment(name="development")
        session.add(environment)
        session.commit()
        spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)
        apply_catalog(session, environment, spec)
        session.commit()
    key = issue_key(engine, "development")
    engine.dispose()
    servers, clients = [], []
    for _ in range(2):
        port = free_port()
        servers.append(
            subprocess.Popen(
                [str(CLI), "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, verify=tls()))
    try:
        for client in clients:
            _eventually(lambda c=client: _ready(c), True, timeout=STARTUP)

        def graphql(client: httpx.Client) -> Callable[..., Any]:
            def call(query: str, variables: dict[str, Any]) -> Any:
                body = {"query": query, "variables": variables}
                answer = client.post("/graphql", json=body, headers={"X-API-KEY": key}).json()
                assert "errors" not in answer, answer
                return answer["data"]

            return call

        yield graphql(clients[0]), graphql(clients[1])
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        for client in clients:
            client.close()


def _resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def test_changes_made_through_one_process_reach_the_other(two_processes: Any) -> None:
    writer, reader = two_processes

    def check(feature: str) -> Any:
        query = {"customerId": "two-1", "featureId": feature}
        answer = reader(CHECK, {"q": query})["entitlement"]
        return answer["isGranted"], answer["currentUsage"], answer["accessDeniedReason"]

    # A check cached "not found" on the reader, then the customer made on the writer.
    assert check("feature-02-campaigns") == (False, 0, "CustomerNotFound")
    provision = {"customerId": "two-1", "subscriptionParams": {"planId": "plan-revvenu-free"}}
    writer(PROVISION, {"input": provision})
    _eventually(lambda: check("feature-02-campaigns"), (True, 0, None))
    # Usage reported on the writer: its new value reaches the reader's cache.
    report = {"customerId": "two-1", "featureId": "feature-02-campaigns", "value": 1}
    writer(REPORT, {"input": report})
    _eventually(lambda: check("feature-02-campaigns"), (True, 1, None))
    # Archived on the writer: the reader's cached state is dropped.
    writer(ARCHIVE, {"input": {"customerId": "two-1"}})
    _eventually(lambda: check("feature-02-campaigns"), (False, 0, "CustomerIsArchived"))


def test_several_api_processes_need_redis(environment_variables: dict[str, str]) -> None:
    env = {**environment_variables}
    env.pop("REDIS_URL")
    done = subprocess.run(
        [str(CLI), "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "need REDIS_URL" in done.stderr


def test_serve_runs_several_api_processes(environment_variables: dict[str, str]) -> None:
    env = environment_variables
    port = free_port()
    server = subprocess.Popen(
        [str(CLI), "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, verify=tls())
        _eventually(lambda: _ready(client), True, timeout=STARTUP)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        commands = {child: Path(f"/proc/{child}/cmdline").read_bytes() for child in children}
        # The API processes, beside multiprocessing's own resource tracker.
        api = [child for child, command in commands.items() if b"resource_tracker" not in command]
        assert len(api) == 2
        # The supervisor only watches them: it never loads the application (about 80 MB
        # against an API process's 130; the one that answered has loaded all of it).
        loaded = max(_resident_kb(int(child)) for child in api)
        assert _resident_kb(server.pid) < loaded * 0.8
    finally:
        server.terminate()
        server.wait(timeout=20)
