"""wrk (a C load generator from Debian's packages) driving the same request bytes.

On two cores a Python generator takes CPU from the server it measures and adds its own
scheduling delays to every latency; wrk uses a fraction of that. Each request is sent
verbatim (the bytes ``load.get`` / ``load.post_json`` encode), taken in turn by each
connection as ``load.run`` does; a response that is not 200, or whose body carries
GraphQL ``errors``, counts as failed. wrk keeps a latency histogram rather than every
sample, so the result carries one latency per completed request read off 1,000 of its
quantiles.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path

QUANTILES = 1000

_SCRIPT = r"""
local requests = dofile(os.getenv("BENCH_WRK_REQUESTS"))
local check_body = os.getenv("BENCH_WRK_CHECK_BODY") == "1"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  position = id
  stride = tonumber(os.getenv("BENCH_WRK_THREADS"))
  failed = 0
  first_failure = ""
end

function request()
  local chosen = requests[(position % #requests) + 1]
  position = position + stride
  return chosen
end

function response(status, headers, body)
  if status ~= 200 or (check_body and body and string.find(body, '"errors"', 1, true)) then
    failed = failed + 1
    if first_failure == "" then
      first_failure = tostring(status) .. " " .. string.sub(body or "", 1, 500)
    end
  end
end

function done(summary, latency, requests)
  local failures, first = 0, ""
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
    local seen = thread:get("first_failure")
    if first == "" and seen ~= nil then first = seen end
  end
  local quantiles = {}
  for i = 1, COUNT do
    quantiles[i] = latency:percentile(100.0 * (i - 0.5) / COUNT)
  end
  io.write("BENCH_WRK ", summary.duration, " ", summary.requests, " ", failures, " ",
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, "\n")
  io.write("BENCH_WRK_QUANTILES ", table.concat(quantiles, " "), "\n")
  io.write("BENCH_WRK_FIRST ", first, "\n")
end
""".replace("COUNT", str(QUANTILES))


def available() -> bool:
    """wrk is used when it is installed, unless BENCH_LOAD_GENERATOR=python."""
    return os.environ.get("BENCH_LOAD_GENERATOR", "wrk") == "wrk" and bool(shutil.which("wrk"))


def _lua_string(raw: bytes) -> str:
    return '"' + "".join(f"\\{byte}" for byte in raw) + '"'


def _requests_file(folder: Path, requests: Sequence[bytes]) -> Path:
    path = folder / "requests.lua"
    path.write_text("return {\n" + ",\n".join(_lua_string(each) for each in requests) + "\n}\n")
    return path


def _wrk(
    folder: Path,
    env: dict[str, str],
    url: str,
    connections: int,
    threads: int,
    seconds: float,
    during: Callable[[float], object] | None = None,
) -> tuple[str, float]:
    """Runs wrk for ``seconds``; returns its output and the CPU seconds it used."""
    command = [
        "wrk",
        f"--connections={connections}",
        f"--threads={threads}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={folder / 'bench.lua'}",
        url,
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if during is not None:
        during(seconds)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {output[-2000:]}")
    return output, usage.ru_utime + usage.ru_stime


def run(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    seconds: float,
    warmup: float,
    processes: int,
    check_body: bool,
    cpu_seconds: Callable[[], float],
    during: Callable[[float], object] | None = None,
) -> tuple[int, int, float, array[float], float, str | None, float]:
    """(completed, failed, seconds, latencies, client CPU, first failure, server CPU)."""
    threads = max(1, min(processes, connections))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as name:
        folder = Path(name)
        (folder / "bench.lua").write_text(_SCRIPT)
        env = os.environ | {
            "BENCH_WRK_REQUESTS": str(_requests_file(folder, requests)),
            "BENCH_WRK_THREADS": str(threads),
            "BENCH_WRK_CHECK_BODY": "1" if check_body else "0",
        }
        url = f"http://{host}:{port}/"
        if warmup > 0:
            _wrk(folder, env, url, connections, threads, warmup)
        before = cpu_seconds()
        output, client_cpu = _wrk(folder, env, url, connections, threads, seconds, during)
        server_cpu = cpu_seconds() - before
    completed = failed = 0
    elapsed = seconds
    quantiles: list[float] = []
    first_failure: str | None = None
    for line in output.splitlines():
        if line.startswith("BENCH_WRK "):
            microseconds, completed, failed, socket_errors = (int(x) for x in line.split()[1:5])
            elapsed, failed = microseconds / 1e6, failed + socket_errors
        elif line.startswith("BENCH_WRK_QUANTILES "):
            quantiles = [float(x) / 1e6 for x in line.split()[1:]]
        elif line.startswith("BENCH_WRK_FIRST ") and line.strip() != "BENCH_WRK_FIRST":
            first_failure = line.partition(" ")[2]
    if not quantiles:
        raise RuntimeError(f"wrk printed no summary: {output[-2000:]}")
    step = QUANTILES / max(1, completed)
    latencies = array("d", (quantiles[min(QUANTILES - 1, int(i * step))] for i in range(completed)))
    return completed, failed, elapsed, latencies, client_cpu, first_failure, server_cpu
