"""Where a request's time goes in the server: py-spy samples, sorted into the layers.

py-spy samples the running ``billing-sync serve`` while the load generator keeps it
busy; only samples of the thread holding the GIL are kept (``--gil``), because a Python
server can run one thread's Python at a time and that is what its throughput is made
of. Each sample is given to one layer of the request's path: first by the application
frames on its stack (the API-key lookup, the service call and its parts, the unit of
work, the thread-pool hop), otherwise by the library nearest to the sampled leaf
(uvicorn, the request-id middleware, FastAPI, Strawberry). A layer's share of the
samples times the GIL time per request is its cost per request.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import load

PY_SPY = Path(sys.executable).parent / "py-spy"
RATE = 250  # samples per second

# (layer, function name, a fragment of its file): the first rule any frame matches wins.
APPLICATION = [
    ("API-key lookup (dependency, thread hop, session, query)", "graphql_context", "app/main"),
    ("API-key lookup (dependency, thread hop, session, query)", "_authenticate", "app/main"),
    ("usage read (feature_usage query)", "current_usage", "app/entitlements/usage"),
    ("state: cache lookup, or load on a miss", "state_for", "app/entitlements/service"),
    ("features by refId (cached)", "features", "app/entitlements/service"),
    ("decision (service.check, rest)", "check", "app/entitlements/service"),
    ("Entitlement.of (result type)", "of", "app/graphql/entitlement_types"),
    ("session + transaction (in_transaction)", "call_in_unit_of_work", "app/graphql/context"),
    ("thread-pool hop (context.run)", "run", "app/graphql/context"),
    ("thread-pool hop (context.run)", "WorkerThread.run", "anyio/"),
]
# Otherwise the layer of the frame nearest to the leaf that belongs to one of these (the
# standard library and anyio belong to none: their callers say what they were doing).
LIBRARIES = [
    ("event loop (uvloop: sockets, callbacks)", ("asyncio/runners",)),
    ("request-id middleware (BaseHTTPMiddleware)", ("starlette/middleware/base",)),
    ("uvicorn + httptools (HTTP in and out)", ("uvicorn/", "httptools")),
    ("Strawberry HTTP view (body, JSON in and out)", ("strawberry/http", "strawberry/fastapi")),
    ("Strawberry + graphql-core (parse, validate, execute)", ("strawberry/", "graphql/")),
    ("FastAPI + Starlette (routing, dependencies, response)", ("fastapi/", "starlette/")),
]
OTHER = "event loop and the rest"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*)\)$")


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for raw in stack.split(";"):
        match = FRAME.match(raw)
        if match is not None:
            frames.append((match["function"], match["file"]))
    return frames


def layer(stack: str) -> str:
    frames = _frames(stack)
    for name, function, file in APPLICATION:
        for frame_function, frame_file in frames:
            if frame_function == function and file in frame_file:
                return name
    for _, file in reversed(frames):
        for name, fragments in LIBRARIES:
            if any(fragment in file for fragment in fragments):
                return name
    return OTHER


def layers(raw: str) -> Counter[str]:
    """Samples by layer, from py-spy's raw (collapsed stacks) output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            counts[layer(stack)] += int(count)
    return counts


def sample(
    pid: int, port: int, requests: Sequence[bytes], args: argparse.Namespace
) -> tuple[Counter[str], load.Result]:
    """Drive ``requests`` and sample the server over the measured window."""
    seconds = max(1, round(args.seconds))
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "samples.txt"

        def record(_: float) -> None:
            subprocess.run(
                [
                    *(str(PY_SPY), "record", "--pid", str(pid), "--gil", "--nonblocking"),
                    *("--nolineno", "--full-filenames", "--format", "raw", "--rate", str(RATE)),
                    *("--duration", str(seconds), "--output", str(output)),
                ],
                check=True,
                capture_output=True,
            )

        result = load.run(
            "127.0.0.1",
            port,
            requests,
            connections=args.connections,
            seconds=seconds,
            warmup=1.0,
            processes=args.processes,
            server_pid=pid,
            during=record,
        )
        return layers(output.read_text()), result


def profile(service: Any, workloads: dict[str, list[bytes]], args: argparse.Namespace) -> None:
    """Print each layer's GIL time per request for the ceiling and for GetEntitlement."""
    if not PY_SPY.exists():
        print("py-spy is not installed (it is in the dev extras): no profile")
        return
    seconds = max(1, round(args.seconds))
    profiles = {}
    for name in ("ceiling", "GetEntitlement"):
        counts, result = sample(service.pid, service.port, workloads[name], args)
        total = sum(counts.values())
        per_request = {
            layer: count / RATE / (result.rate * seconds) for layer, count in counts.items()
        }
        held = total / RATE / seconds
        print(
            f"\n{name}: {result.rate:.0f} req/s while sampled, server CPU "
            f"{result.server_cpu / seconds:.0%}; the GIL was held {held:.0%} of the time, "
            f"{held / result.rate * 1000:.2f} ms per request"
        )
        profiles[name] = per_request
    print(f"\n{'layer (GIL time per request, ms)':<58} {'ceiling':>8} {'check':>8} {'added':>8}")
    names = sorted(
        set(profiles["ceiling"]) | set(profiles["GetEntitlement"]),
        key=lambda layer: -profiles["GetEntitlement"].get(layer, 0.0),
    )
    for name in names:
        ceiling = profiles["ceiling"].get(name, 0.0) * 1000
        check = profiles["GetEntitlement"].get(name, 0.0) * 1000
        print(f"{name:<58} {ceiling:8.3f} {check:8.3f} {check - ceiling:+8.3f}")
