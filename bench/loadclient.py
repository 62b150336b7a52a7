"""A small asyncio load client (aiohttp) that runs a scenario on N connections for a fixed time.

Each scenario is an async callable ``scenario(session, base_url, worker_index, iteration) -> bool``
returning True for a completed unit of work (an error raises or returns False). Latency is
measured per unit. Loopback only: the base URL must be http://127.0.0.1.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

Scenario = Callable[[aiohttp.ClientSession, str, int, int], Awaitable[bool]]


@dataclass
class LoadResult:
    name: str
    connections: int
    seconds: float
    completed: int
    errors: int
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[index]

    def row(self) -> str:
        return (f"{self.name:<28} {self.connections:>5} {self.rate:>10.1f} {self.percentile(50):>8.1f} "
                f"{self.percentile(95):>8.1f} {self.percentile(99):>8.1f} {self.errors:>7}")

    @staticmethod
    def header() -> str:
        return (f"{'scenario':<28} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                f"{'errors':>7}")


async def _run(name: str, base_url: str, scenario: Scenario, connections: int, seconds: float) -> LoadResult:
    if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError("load is sent to loopback addresses only")
    latencies: list[float] = []
    counters = {"completed": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)

    async def worker(index: int) -> None:
        async with aiohttp.ClientSession(base_url=base_url, timeout=timeout,
                                         cookie_jar=aiohttp.CookieJar(unsafe=True),
                                         connector=connector, connector_owner=False) as session:
            iteration = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    ok = await scenario(session, base_url, index, iteration)
                except (TimeoutError, aiohttp.ClientError):
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                if ok:
                    counters["completed"] += 1
                    latencies.append(elapsed)
                else:
                    counters["errors"] += 1
                iteration += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    elapsed = time.monotonic() - started
    await connector.close()
    return LoadResult(name, connections, elapsed, counters["completed"], counters["errors"], latencies)


def run_load(name: str, base_url: str, scenario: Scenario, connections: int, seconds: float) -> LoadResult:
    return asyncio.run(_run(name, base_url, scenario, connections, seconds))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
