"""A lean HTTP/1.1 load generator, and a trivial server to show what it can drive.

The generator must not be what limits a benchmark on two cores, so it does as little as
a client can: several processes, each running keep-alive connections on raw asyncio
streams (uvloop when installed), sending request bytes encoded before the clock starts
and reading back only the status line, Content-Length and the body. Each request's
latency is measured from the first byte written to the last byte read.

Only requests that complete inside the measured window count; a warm-up before it
fills the server's caches and the connection pools.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench import wrk

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    uvloop = None


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark that loads workloads in interleaved rounds."""
    parser.add_argument("--seconds", type=float, default=10.0, help="per workload, in all")
    parser.add_argument("--rounds", type=int, default=5, help="slices of --seconds, interleaved")
    parser.add_argument("--warmup", type=float, default=2.0, help="before the first round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")


def get(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: bench"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_json(path: str, payload: Any, headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: bench",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Result:
    completed: int
    failed: int
    seconds: float
    latencies: array[float]  # seconds, sorted
    client_cpu: float  # CPU seconds the generator's processes spent in the window
    first_failure: str | None
    server_cpu: float = 0.0  # CPU seconds the watched server process spent in the window

    @property
    def rate(self) -> float:
        return self.completed / self.seconds

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, max(0, round(fraction * len(self.latencies)) - 1))
        return self.latencies[index]


def merge(results: Sequence[Result]) -> Result:
    """Several measured windows as one."""
    failures = [result.first_failure for result in results if result.first_failure]
    return Result(
        completed=sum(result.completed for result in results),
        failed=sum(result.failed for result in results),
        seconds=sum(result.seconds for result in results),
        latencies=array("d", sorted(x for result in results for x in result.latencies)),
        client_cpu=sum(result.client_cpu for result in results),
        first_failure=failures[0] if failures else None,
        server_cpu=sum(result.server_cpu for result in results),
    )


@dataclass(frozen=True)
class _Plan:
    host: str
    port: int
    requests: tuple[bytes, ...]
    connections: int
    first: int  # index of this process's first connection, to spread the requests
    stride: int  # connections in all processes
    warmup: float  # from the moment every process has connected to the window
    seconds: float
    check_body: bool


def _content_length(head: bytes) -> int:
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
    end = lowered.find(b"\r\n", at + 2)
    return int(lowered[at + 17 : end])


async def _drive(plan: _Plan, ready: Any) -> tuple[int, int, array[float], float, str | None]:
    loop_clock = time.perf_counter
    streams = [await asyncio.open_connection(plan.host, plan.port) for _ in range(plan.connections)]
    # Every process starts its clock when the last one has connected.
    await asyncio.get_running_loop().run_in_executor(None, ready.wait)
    window_open = loop_clock() + plan.warmup
    window_close = window_open + plan.seconds
    latencies: array[float] = array("d")
    failures = [0]
    first_failure: list[str] = []
    cpu: list[float] = []

    async def connection(index: int) -> None:
        reader, writer = streams[index - plan.first]
        requests, count = plan.requests, len(plan.requests)
        position = index
        try:
            while True:
                started = loop_clock()
                if started >= window_close:
                    return
                writer.write(requests[position % count])
                position += plan.stride
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(_content_length(head))
                finished = loop_clock()
                if not window_open <= finished <= window_close:
                    continue
                latencies.append(finished - started)
                if head[9:12] != b"200" or (plan.check_body and b'"errors"' in body):
                    failures[0] += 1
                    if not first_failure:
                        first_failure.append((head + body)[:600].decode(errors="replace"))
        finally:
            writer.close()

    async def clock() -> None:
        await asyncio.sleep(max(0.0, window_open - loop_clock()))
        cpu.append(time.process_time())
        await asyncio.sleep(max(0.0, window_close - loop_clock()))
        cpu.append(time.process_time())

    await asyncio.gather(clock(), *(connection(plan.first + i) for i in range(plan.connections)))
    used = cpu[1] - cpu[0] if len(cpu) == 2 else 0.0
    return len(latencies), failures[0], latencies, used, (first_failure or [None])[0]


def _process(plan: _Plan, ready: Any, results: Any) -> None:
    runner = uvloop.run if uvloop is not None else asyncio.run
    try:
        completed, failed, latencies, cpu, failure = runner(_drive(plan, ready))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        results.put(f"load generator process failed: {exc!r}")
        return
    results.put((completed, failed, latencies.tobytes(), cpu, failure))


def run(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int = 16,
    seconds: float = 10.0,
    warmup: float = 1.0,
    processes: int = 2,
    check_body: bool = True,
    server_pid: int | None = None,
    during: Callable[[float], object] = time.sleep,
) -> Result:
    """Keep ``connections`` requests in flight for ``warmup`` + ``seconds``; measure the
    last ``seconds``. Requests are taken in turn from ``requests``; ``server_pid`` names
    a process whose CPU time over the window is measured too; ``during(seconds)`` is
    called when the window opens (it must return when the window closes). wrk drives the
    load when it is installed (``bench/wrk.py``), this module's generator otherwise."""
    if wrk.available():
        completed, failed, elapsed, latencies, client, failure, server = wrk.run(
            host,
            port,
            requests,
            connections=connections,
            seconds=seconds,
            warmup=warmup,
            processes=processes,
            check_body=check_body,
            cpu_seconds=lambda: cpu_seconds(server_pid) if server_pid else 0.0,
            during=during,
        )
        return Result(completed, failed, elapsed, latencies, client, failure, server)
    processes = max(1, min(processes, connections))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    ready = context.Barrier(processes + 1)
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    workers = []
    first = 0
    for share in shares:
        plan = _Plan(
            host, port, tuple(requests), share, first, connections, warmup, seconds, check_body
        )
        workers.append(context.Process(target=_process, args=(plan, ready, results), daemon=True))
        first += share
    for worker in workers:
        worker.start()
    ready.wait(timeout=120)
    time.sleep(warmup)
    before = cpu_seconds(server_pid) if server_pid else 0.0
    during(seconds)
    server_cpu = cpu_seconds(server_pid) - before if server_pid else 0.0
    collected = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    for item in collected:
        if isinstance(item, str):
            raise RuntimeError(item)
    latencies: array[float] = array("d")
    for _, _, raw, _, _ in collected:
        part: array[float] = array("d")
        part.frombytes(raw)
        latencies.extend(part)
    latencies = array("d", sorted(latencies))
    failures = [failure for *_, failure in collected if failure]
    return Result(
        completed=sum(item[0] for item in collected),
        failed=sum(item[1] for item in collected),
        seconds=seconds,
        latencies=latencies,
        client_cpu=sum(item[3] for item in collected),
        first_failure=failures[0] if failures else None,
        server_cpu=server_cpu,
    )


# -- a trivial server -------------------------------------------------------------------

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class _Trivial(asyncio.Protocol):
    """Answers every request with the same 200, after reading its head and body."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[: end + 4]
            lowered = head.lower()
            length = _content_length(head) if b"\r\ncontent-length:" in lowered else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(_ANSWER)


def _serve_trivial(port: int, ready: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Trivial, "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    (uvloop.run if uvloop is not None else asyncio.run)(main())


class TrivialServer:
    """A one-process HTTP server that does no work, for as long as the block runs."""

    def __init__(self, port: int) -> None:
        self.port = port
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self._process = context.Process(
            target=_serve_trivial, args=(port, self._ready), daemon=True
        )

    def __enter__(self) -> TrivialServer:
        self._process.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the trivial server did not start")
        return self

    def __exit__(self, *_: object) -> None:
        self._process.terminate()
        self._process.join(timeout=10)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) a running process and the processes it
    started (several API processes under one ``serve``) have used."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                children += [int(child) for child in listed.read().split()]
    except FileNotFoundError:  # it ended meanwhile
        return 0.0
    own = sum(int(value) for value in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children)
