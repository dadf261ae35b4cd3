"""A real ``billing-sync serve`` for the benchmarks: fresh SQLite, example catalog, a key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "billing-sync"


@dataclass(frozen=True)
class Service:
    base: str
    key: str
    pid: int = 0  # the server process, for its CPU time and a profiler
    database_url: str = ""

    @property
    def port(self) -> int:
        return int(self.base.rpartition(":")[2])

    @property
    def graphql(self) -> str:
        return f"{self.base}/graphql"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reset_postgresql(url: str) -> None:
    """Drop and create afresh the public schema of the database at ``url``."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL runs need it

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def database(url: str | None) -> tuple[dict[str, str], str]:
    """The settings ``running`` takes to serve from ``url`` (its schema reset first), or
    from a fresh SQLite file without one, and the database's name for the report."""
    if url is None:
        return {}, "SQLite (embedded)"
    reset_postgresql(url)
    return {"DATABASE_URL": url}, "PostgreSQL"


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@contextmanager
def running(**extra: str) -> Iterator[Service]:
    """Serve on a free loopback port until the block ends; ``extra`` adds settings."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            **extra,
        }
        for name in ("REDIS_URL", "STRIPE_API_KEY", "API_WORKERS"):
            if name not in extra:
                env.pop(name, None)
        cli(env, "migrate")
        cli(env, "environments", "create", "development")
        cli(env, "catalog", "apply", str(ROOT / "examples" / "catalog.yaml"), "-e", "development")
        key = cli(env, "keys", "create", "--environment", "development").strip().splitlines()[-1]
        server = subprocess.Popen(
            [str(CLI), "serve"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield Service(base, key, server.pid, env["DATABASE_URL"])
        finally:
            server.terminate()
            server.wait(timeout=20)
