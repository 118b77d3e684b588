"""A closed-loop load generator: N client threads, each with its own connection (an httpx.Client
with keep-alive, or a gRPC channel), sending one request after another for a fixed time.

Requests started during the warm-up are sent but not counted. The generator measures its own cost:
the CPU time of this process (all its threads) per counted request, so a figure limited by the
client is visible as such rather than blamed on the platform."""

from __future__ import annotations

import resource
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import percentile


@dataclass(frozen=True)
class Outcome:
    """What one request did: ``units`` counted (payments, posting lines…), or an error label."""

    units: int = 1
    error: str | None = None


Operation = Callable[[int], Outcome]  # called with a per-client sequence number


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    units: int
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    client_cpu_seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def units_per_second(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_ms, 0.95)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)

    @property
    def client_cpu_ms_per_request(self) -> float:
        return 1000 * self.client_cpu_seconds / self.requests if self.requests else 0.0

    @property
    def client_cpu_share(self) -> float:
        """The generator's CPU time as a share of one core over the measurement."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_closed_loop(
    clients: int,
    make_operation: Callable[[int], tuple[Operation, Callable[[], None]]],
    seconds: float,
    warmup: float = 1.0,
) -> LoadResult:
    """Run ``clients`` threads: a warm-up of ``warmup`` seconds (at least one request each when
    positive), then, once every client has finished its warm-up, ``seconds`` of measurement.
    ``make_operation(i)`` gives client ``i`` its request function and a function closing its
    connection.

    Every request started inside the window is counted, including the last ones that end after
    it; the measured time runs from the window's start to the last counted answer, so requests
    that take longer than the window (a 1,000-transaction call) are measured fairly."""
    operations = [make_operation(i) for i in range(clients)]
    lock = threading.Lock()
    result = LoadResult(clients=clients, seconds=seconds, requests=0, units=0)
    window = {"from": 0.0, "until": 0.0, "cpu": 0.0}
    last_answer = [0.0]

    def open_window() -> None:  # run by the barrier once every client has warmed up
        window["cpu"] = _cpu_seconds()
        window["from"] = time.perf_counter()
        window["until"] = window["from"] + seconds

    warmed_up = threading.Barrier(clients, action=open_window)

    def call(operation: Operation, sequence: int) -> Outcome:
        try:
            return operation(sequence)
        except Exception as error:  # noqa: BLE001 - a failed request is counted, not fatal
            return Outcome(0, f"{error.__class__.__name__}: {str(error)[:120]}")

    def client(index: int) -> None:
        operation, _ = operations[index]
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        requests = units = sequence = 0
        warmup_until = time.perf_counter() + warmup
        while warmup > 0:
            call(operation, sequence)
            sequence += 1
            if time.perf_counter() >= warmup_until:
                break
        warmed_up.wait()
        finished = 0.0
        while True:
            started = time.perf_counter()
            if started >= window["until"]:
                break
            outcome = call(operation, sequence)
            finished = time.perf_counter()
            sequence += 1
            if outcome.error is not None:
                errors[outcome.error] += 1
                continue
            requests += 1
            units += outcome.units
            latencies.append((finished - started) * 1000)
        with lock:
            result.requests += requests
            result.units += units
            result.errors.update(errors)
            result.latencies_ms.extend(latencies)
            last_answer[0] = max(last_answer[0], finished)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.client_cpu_seconds = _cpu_seconds() - window["cpu"]
    result.seconds = max(seconds, last_answer[0] - window["from"])
    for _, close in operations:
        close()
    return result
