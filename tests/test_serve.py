"""``billing-sync serve`` as an operator starts it: embedded defaults, PORT honoured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli_steps import MAKE_RUN, new_key, run_steps
from tests.loopback import LOOPBACK

CLI = Path(sys.executable).parent / "billing-sync"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_graphql_on_port_with_nothing_installed(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PORT": str(port),
        "LOG_FORMAT": "json",
    }
    for name in ("REDIS_URL", "STRIPE_API_KEY", "HOST"):
        env.pop(name, None)

    key = new_key(run_steps(sys.executable, MAKE_RUN, env))
    server = subprocess.Popen(
        [str(CLI), "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a loaded machine may take a while to import
        ready = None
        while time.monotonic() < deadline and ready is None:
            try:
                ready = LOOPBACK.get(f"{base}/readyz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None and ready.status_code == 200
        response = LOOPBACK.post(
            f"{base}/graphql",
            headers={"X-API-KEY": key},
            json={
                "query": 'mutation { provisionCustomer(input: {customerId: "c-1", '
                'couponRefId: "coupon-id"}) { customer { customerId coupon { refId } } } }'
            },
        )
        assert response.json() == {
            "data": {
                "provisionCustomer": {
                    "customer": {"customerId": "c-1", "coupon": {"refId": "coupon-id"}}
                }
            }
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
