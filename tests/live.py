"""A live ``billing-sync serve`` as ``make run`` serves it: set up by make run's commands
(migrate, the development environment, the example catalog, a key) on an SQLite file,
with no Redis, no Stripe key and no HOST, on a port of its own. One for the whole run
(starting one costs a few seconds of CPU): the modules that use it are marked
``xdist_group("live")``, which deals them to one worker (tests/scheduling.py); tests keep
apart by the ids they use."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.billing.stack import CLI, _spawned, free_port, wait_until
from tests.cli_steps import MAKE_RUN, new_key, run_steps
from tests.loopback import LOOPBACK


class LiveService:
    def __init__(self, folder: Path, database_url: str, redis_url: str | None = None) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("REDIS_URL", "STRIPE_API_KEY", "HOST"):
            self.env.pop(name, None)
        if redis_url is not None:
            self.env["REDIS_URL"] = redis_url
        self.servers: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        self.key = new_key(run_steps(sys.executable, MAKE_RUN, self.env))

    @property
    def url(self) -> str:
        return self.urls[0]

    def start(self) -> str:
        """One more API process, on a port of its own; its address."""
        port = free_port()
        log = (self.folder / f"api-{port}.log").open("ab")
        server = subprocess.Popen(
            [str(CLI), "serve"],
            env={**self.env, "PORT": str(port)},
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _spawned.append(server)
        self.servers.append(server)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), 60, f"billing-sync serve (logs in {self.folder})")
        self.urls.append(url)
        return url

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        self.servers = []

    def graphql(self, query: str, variables: dict[str, Any] | None = None, url: str = "") -> Any:
        """A call by "another client": plain HTTP, not the SDK under test."""
        response = LOOPBACK.post(
            f"{url or self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"X-API-KEY": self.key},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def _healthy(url: str) -> bool:
    try:
        return LOOPBACK.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("sdk-live")
    service = LiveService(folder, f"sqlite:///{folder / 'billing-sync.db'}")
    try:
        service.start()
        yield service
    finally:
        service.stop()
