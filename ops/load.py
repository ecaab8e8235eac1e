"""A bounded load generator (standard library only) and the figures drawn from what it saw.

`Load` keeps a fixed number of connections busy against 127.0.0.1 for a fixed time, each in its
own thread; `run_count` sends a fixed number of requests. Both record one `Sample` per request,
with monotonic times, so a report can cut the run into windows (before, during and after a
database restart). Every request has a timeout, and every loop ends by itself.
"""

import http.client
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ops.harness import USER_AGENT

TIMEOUT = 30.0  # seconds; gunicorn's own worker timeout is 30 s too


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # what the report calls it: "home", "code page (premium)", ...
    path: str
    cookie: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    server: int  # index into the servers
    started: float  # time.monotonic()
    finished: float
    status: int  # 0: no HTTP answer (see error)
    error: str = ""  # exception class when there was no answer
    retry_after: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def ms(self) -> float:
        return (self.finished - self.started) * 1000

    def outcome(self) -> str:
        """A short label for counting: "200", "503 + Retry-After", "500", "ConnectionResetError"."""
        if self.status == 0:
            return self.error
        if self.status == 503 and self.retry_after:
            return "503 + Retry-After"
        return str(self.status)


def request(servers: Sequence[int], server: int, target: Target) -> Sample:
    """One GET on a new connection (gunicorn's sync workers close every connection anyway)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,*/*"}
    if target.cookie:
        headers["Cookie"] = target.cookie
    connection = http.client.HTTPConnection("127.0.0.1", servers[server], timeout=TIMEOUT)
    started = time.monotonic()
    try:
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        response.read()
        return Sample(
            target.kind,
            server,
            started,
            time.monotonic(),
            response.status,
            retry_after=response.getheader("Retry-After") is not None,
        )
    except (OSError, http.client.HTTPException) as error:
        return Sample(target.kind, server, started, time.monotonic(), 0, type(error).__name__)
    finally:
        connection.close()


@dataclass
class Load:
    """`connections` threads, each sending one request after another, round robin over the
    servers, until `seconds` have passed. start(), then join() for the samples."""

    servers: Sequence[int]
    targets: Sequence[Target]  # the mix: a path listed twice is requested twice as often
    connections: int
    seconds: float
    seed: int = 1
    started: float = 0.0
    _threads: list[threading.Thread] = field(default_factory=list)
    _samples: list[list[Sample]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.started = time.monotonic()
        deadline = self.started + self.seconds
        for index in range(self.connections):
            samples: list[Sample] = []
            self._samples.append(samples)
            order = list(self.targets)
            random.Random(self.seed * 1000 + index).shuffle(order)  # noqa: S311 - an order, no secret
            thread = threading.Thread(
                target=self._run,
                args=(index, order, deadline, samples),
                name=f"load-{index}",
                daemon=True,
            )
            self._threads.append(thread)
        for thread in self._threads:
            thread.start()

    def _run(self, index: int, order: list[Target], deadline: float, out: list[Sample]) -> None:
        sent = 0
        while time.monotonic() < deadline and not self._stop.is_set():
            target = order[sent % len(order)]
            out.append(request(self.servers, (index + sent) % len(self.servers), target))
            sent += 1

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> list[Sample]:
        for thread in self._threads:
            thread.join(timeout=self.seconds + TIMEOUT + 10)
        return sorted((s for samples in self._samples for s in samples), key=lambda s: s.started)


def run_count(
    servers: Sequence[int], targets: Sequence[Target], count: int, concurrency: int
) -> list[Sample]:
    """Send `count` requests, `concurrency` at a time, cycling over targets and servers."""
    results: list[Sample | None] = [None] * count
    lock = threading.Lock()
    next_index = 0

    def work() -> None:
        nonlocal next_index
        while True:
            with lock:
                index = next_index
                next_index += 1
            if index >= count:
                return
            results[index] = request(servers, index % len(servers), targets[index % len(targets)])

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=count * TIMEOUT)
    return [sample for sample in results if sample is not None]


class Prober:
    """Requests one after another in a thread until stopped: what clients saw during an outage."""

    def __init__(self, servers: Sequence[int], targets: Sequence[Target], server: int) -> None:
        self.servers = servers
        self.targets = targets
        self.server = server
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)

    def _run(self) -> None:
        sent = 0
        deadline = time.monotonic() + 120  # bounded even if nobody stops it
        while not self._stop.is_set() and time.monotonic() < deadline:
            target = self.targets[sent % len(self.targets)]
            self.samples.append(request(self.servers, self.server, target))
            sent += 1
            self._stop.wait(0.02)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT + 5)
        return self.samples


# Figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize(samples: Sequence[Sample], seconds: float | None = None) -> dict[str, Any]:
    """Count, errors, outcomes, requests per second and latency of a set of samples."""
    latencies = [s.ms for s in samples]
    if seconds is None:
        seconds = (
            max(s.finished for s in samples) - min(s.started for s in samples) if samples else 0
        )
    errors = [s for s in samples if not s.ok]
    return {
        "requests": len(samples),
        "errors": len(errors),
        "outcomes": dict(Counter(s.outcome() for s in samples).most_common()),
        "error_outcomes": dict(Counter(s.outcome() for s in errors).most_common()),
        "seconds": round(seconds, 2),
        "rps": round(len(samples) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
    }


def by_kind(samples: Sequence[Sample]) -> dict[str, dict[str, Any]]:
    kinds = sorted({s.kind for s in samples})
    return {kind: summarize([s for s in samples if s.kind == kind]) for kind in kinds}
