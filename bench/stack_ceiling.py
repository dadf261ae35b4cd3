"""The bare stack, for a second ceiling: FastAPI + Strawberry answering ``{ __typename }``.

No billing-sync code at all: one FastAPI application with Strawberry's GraphQL router
and its parser and validation caches, served by uvicorn as ``billing-sync serve`` is
(one process, httptools, uvloop). What it answers is what the framework alone can do on
this machine; billing-sync's own ``{ __typename }`` adds the API-key lookup and its
middleware on top.

    with bare_stack(port) as pid: ...   # or: python bench/stack_ceiling.py PORT [WORKERS]
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def application() -> object:
    import strawberry  # noqa: PLC0415 - only the served process needs it
    from fastapi import FastAPI  # noqa: PLC0415
    from strawberry.extensions import ParserCache, ValidationCache  # noqa: PLC0415
    from strawberry.fastapi import GraphQLRouter  # noqa: PLC0415

    @strawberry.type
    class Query:
        @strawberry.field
        def ok(self) -> bool:
            return True

    schema = strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
    )
    app = FastAPI()
    app.include_router(GraphQLRouter(schema), prefix="/graphql")
    return app


@contextmanager
def bare_stack(port: int, workers: int = 1) -> Iterator[int]:
    """Serve the bare stack on ``port`` (in ``workers`` processes) until the block ends;
    yields its process id."""
    server = subprocess.Popen(
        [sys.executable, __file__, str(port), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}
                )
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield server.pid
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if workers > 1:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        uvicorn.run(
            "bench.stack_ceiling:application",
            factory=True,
            workers=workers,
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    else:
        uvicorn.run(
            application(),  # type: ignore[arg-type]
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
