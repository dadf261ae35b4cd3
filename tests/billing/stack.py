"""The service as a user deploys it, in real processes: ``billing-sync serve`` and
separate ``billing-sync worker`` processes on PostgreSQL and Redis (or the embedded
default on SQLite), talking to the Stripe test server over loopback HTTP.

Tests drive it over HTTP the way a backend would, and may kill or restart workers, or
stop a private Redis, while it runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.loopback import LOOPBACK
from tests.stripe_server.fixtures import TEST_API_KEY
from tests.stripe_server.server import StripeTestServer

CLI = Path(sys.executable).parent / "billing-sync"
WEBHOOK_SECRET = "whsec_live_stack_secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


class PrivateRedis:
    """A Redis server of the test's own, so the test may stop it without harming others."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "the private Redis")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


# Every process a stack started: whatever a test left running is killed when the test
# process exits, so that it never takes later runs' jobs or CPU.
_spawned: list[subprocess.Popen[bytes]] = []


@atexit.register
def _kill_leftovers() -> None:
    for process in _spawned:
        if process.poll() is None:
            process.kill()


class Stack:
    def __init__(
        self,
        stripe_server: StripeTestServer,
        *,
        database_url: str,
        redis_url: str | None,
        logs: Path,
        workers: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.stripe = stripe_server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis_url = redis_url
        # Under the test's tmp_path, which pytest keeps for its last three runs.
        self.logs = logs / "stack-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "PORT": str(self.port),
            "LOG_FORMAT": "json",
            "STRIPE_API_KEY": TEST_API_KEY,
            "STRIPE_API_BASE": stripe_server.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_RATE_LIMIT": "100",
            "SECRET_KEY": "live-stack-sealing-secret",
            "CHECKOUT_SUCCESS_URL": "https://app.example.com/billing/success",
            "CHECKOUT_CANCEL_URL": "https://app.example.com/billing/cancel",
            "OUTBOX_RELAY_INTERVAL_SECONDS": "0.5",
            "OUTBOX_RELAY_AFTER_SECONDS": "1",
            "JOB_RESULT_TIMEOUT_SECONDS": "20",
            "WORKER_THREADS": "4",
            **(extra_env or {}),
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            self.env.pop("REDIS_URL", None)
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.worker_count = workers if redis_url else 0
        stripe_server.configure_webhooks(f"{self.url}/webhooks/stripe", WEBHOOK_SECRET)

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [str(CLI), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        _spawned.append(process)
        return process

    def start(self) -> Stack:
        """Starts the API and the workers; stops them again when the API does not come up
        (left running, they would take the next tests' jobs from the shared Redis)."""
        try:
            self.api = self._spawn("api", "serve")
            for _ in range(self.worker_count):
                self.start_worker()
            wait_until(self._ready, 90, f"the API (logs in {self.logs})")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        try:
            return LOOPBACK.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn(f"worker-{len(self.workers)}", "worker")
        self.workers.append(worker)
        return worker

    def kill_workers(self) -> None:
        """kill -9: a crash, with messages in hand."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
        self.workers = []

    def stop(self) -> None:
        for process in [*self.workers, self.api]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.api]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.workers = []
        self.api = None

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def graphql(
        self, key: str, query: str, variables: dict[str, Any] | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        response = LOOPBACK.post(
            f"{self.url}/graphql",
            headers={"X-API-KEY": key},
            json={"query": query, "variables": variables or {}},
            timeout=timeout,
        )
        body: dict[str, Any] = response.json()
        body["http_status"] = response.status_code
        return body
