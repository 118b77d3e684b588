"""The platform's workloads, each measured from this machine's loopback, bounded in time:

1. HTTP payments (``POST /v1/estates/{code}/payments``) by N clients over some estates;
2. gRPC batched posting (``LedgerService.PostTransactions``, 1,000 transactions a call);
3. a district's billing job (``POST /v1/districts/{d}/billing-runs`` → 202, then the job polled);
4. reads: the month's statement and a page of ``/transactions`` of a small and a large estate;
5. the event path: onboarding (``POST /v1/estates``) → the ledger's books open.

A workload whose endpoint the running ledger does not have yet answers :class:`NotAvailable`
with the reason instead of failing the run."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import httpx
import psycopg

from bench.common import TokenSource, estate_today, grpc_target, http_url, percentile, wait_for_platform
from bench.district_sql import District, count_postings
from bench.fixtures import BenchPlatform
from bench.load import LoadResult, Operation, Outcome, run_closed_loop
from tests.harness import connect
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi_shared.outbox import OUTBOX_CHANNEL

GRPC_CLIENT_ID = "microfund-service"  # a service account (role "service"), as the other services post
POSTING_KIND = "bench_transfer"
# Lines every estate's standard chart has open and the ledger does not manage (1100, 2000, 2100,
# 2200, 4000, 5000 are its own): cash in, common income "other" out.
POSTING_LINES = (("1000", 1), ("4190", -1))


@dataclass(frozen=True)
class NotAvailable:
    reason: str


def _stub(channel: grpc.Channel) -> Any:
    return ledger_pb2_grpc.LedgerServiceStub(channel)  # type: ignore[no-untyped-call]


def _metadata(tokens: TokenSource) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {tokens.token()}")]


R = TypeVar("R")


def retrying(call: Callable[[], R], attempts: int = 5) -> R:
    """A setup call, tried again (the same request: the same idempotency keys) while the ledger is
    UNAVAILABLE — others restart services on a shared development machine."""
    for attempt in range(attempts):
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                raise
            wait_for_platform(120)
    raise AssertionError("unreachable")


def _key() -> str:
    return f"xb-{uuid.uuid4().hex}"


def _error(response: httpx.Response) -> str:
    try:
        reason = response.json().get("reason", "")
    except (ValueError, AttributeError):
        reason = response.text
    return f"HTTP {response.status_code}: {str(reason)[:100]}"


# 1. Payments ------------------------------------------------------------------------------------


def payments(
    manager: TokenSource, households: dict[str, list[str]], clients: int, seconds: float, warmup: float = 1.0
) -> LoadResult:
    """``clients`` firm-manager clients paying random households of the given estates, each request
    to the next estate in turn (so the load spreads evenly)."""
    codes = sorted(households)
    today = estate_today().isoformat()

    def make(index: int) -> tuple[Operation, Callable[[], None]]:
        client = httpx.Client(
            base_url=http_url("ledger"), timeout=60, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
        )
        rng = random.Random(index)

        def pay(sequence: int) -> Outcome:
            code = codes[(index + sequence) % len(codes)]
            key = _key()
            response = client.post(
                f"/v1/estates/{code}/payments",
                json={
                    "household_id": rng.choice(households[code]),
                    "amount_fen": rng.randint(100, 50_000),
                    "method": "wechat_pay",
                    "reference": key,
                    "received_on": today,
                },
                headers={**manager.headers(), "Idempotency-Key": key},
            )
            return Outcome() if response.status_code == 201 else Outcome(0, _error(response))

        return pay, client.close

    return run_closed_loop(clients, make, seconds, warmup)


# 2. Batched posting over gRPC -----------------------------------------------------------------


def _batch_request(code: str, transactions: int, amount: int = 100) -> Any:
    return ledger_pb2.PostTransactionsRequest(
        estate_code=code,
        book="trust",
        transactions=[
            ledger_pb2.PostTransactionItem(
                idempotency_key=_key(),
                kind=POSTING_KIND,
                memo="xinyi bench",
                lines=[ledger_pb2.PostingLine(account=a, amount_fen=sign * amount) for a, sign in POSTING_LINES],
            )
            for _ in range(transactions)
        ],
    )


class BatchedPosting:
    """``LedgerService.PostTransactions`` as a service account calls it."""

    def __init__(self) -> None:
        self.tokens = TokenSource.service(GRPC_CLIENT_ID)

    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.tokens.token()}")]

    def unavailable(self, code: str) -> NotAvailable | None:
        """Why the method cannot be measured (stubs without it, server UNIMPLEMENTED), else None."""
        if not hasattr(ledger_pb2, "PostTransactionsRequest"):
            return NotAvailable("the generated stubs have no PostTransactions yet (make proto)")
        with grpc.insecure_channel(grpc_target("ledger")) as channel:
            stub = _stub(channel)
            if not hasattr(stub, "PostTransactions"):
                return NotAvailable("the generated stubs have no PostTransactions yet (make proto)")
            try:
                response = stub.PostTransactions(_batch_request(code, 1), metadata=self.metadata(), timeout=30)
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                    return NotAvailable("the ledger answers UNIMPLEMENTED for PostTransactions")
                return NotAvailable(f"PostTransactions failed: {error.code().name}: {error.details()}")
        if response.refused:
            result = response.results[0]
            return NotAvailable(f"PostTransactions refused the probe: {result.error_code} {result.error_reason}")
        return None

    def post(self, stub: Any, code: str, transactions: int) -> Outcome:
        response = stub.PostTransactions(_batch_request(code, transactions), metadata=self.metadata(), timeout=300)
        if response.refused:
            first = next(r for r in response.results if r.error_code)
            return Outcome(0, f"{response.refused} refused: {first.error_code} {first.error_reason[:80]}")
        return Outcome(response.posted * len(POSTING_LINES))

    def load(self, codes: list[str], clients: int, seconds: float, batch: int, warmup: float = 1.0) -> LoadResult:
        """``clients`` callers posting ``batch`` transactions a call; units are posting lines."""

        def make(index: int) -> tuple[Operation, Callable[[], None]]:
            channel = grpc.insecure_channel(grpc_target("ledger"))
            stub = _stub(channel)

            def call(sequence: int) -> Outcome:
                return self.post(stub, codes[(index + sequence) % len(codes)], batch)

            return call, channel.close

        return run_closed_loop(clients, make, seconds, warmup)


def fill_entries(code: str, transactions: int, budget_seconds: float, batch: int, callers: int = 2) -> int:
    """Post ``transactions`` entries into ``code`` for the read benchmark, ``batch`` a call
    (PostTransactions; 1: the single-transaction PostTransaction, while batched posting is not
    there) from ``callers`` threads; stops starting calls after ``budget_seconds``. Returns how
    many entries were posted."""
    tokens = TokenSource.service(GRPC_CLIENT_ID)
    deadline = time.monotonic() + budget_seconds
    lock = threading.Lock()
    claimed, posted = [0], [0]
    failures: list[str] = []

    def single(stub: Any) -> int:
        request = ledger_pb2.PostTransactionRequest(
            estate_code=code,
            book="trust",
            idempotency_key=_key(),
            kind=POSTING_KIND,
            memo="xinyi bench",
            lines=[ledger_pb2.PostingLine(account=a, amount_fen=s * 100) for a, s in POSTING_LINES],
        )
        retrying(lambda: stub.PostTransaction(request, metadata=_metadata(tokens), timeout=60))
        return 1

    def batched(stub: Any, size: int) -> int:
        request = _batch_request(code, size)
        response = retrying(lambda: stub.PostTransactions(request, metadata=_metadata(tokens), timeout=600))
        if response.refused:
            failures.append(next(r.error_reason for r in response.results if r.error_code))
        return int(response.posted + response.replayed)

    def worker() -> None:
        with grpc.insecure_channel(grpc_target("ledger")) as channel:
            stub = _stub(channel)
            while time.monotonic() < deadline and not failures:
                with lock:
                    size = min(batch, transactions - claimed[0])
                    if size <= 0:
                        return
                    claimed[0] += size
                try:
                    done = single(stub) if batch == 1 else batched(stub, size)
                except grpc.RpcError as error:
                    failures.append(f"{error.code().name}: {error.details()}")
                    return
                with lock:
                    posted[0] += done

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"posting the entries of {code} failed: {failures[0]}")
    return posted[0]


# 3. Billing ------------------------------------------------------------------------------------


@dataclass
class BillingResult:
    period: str
    seconds: float
    households_total: int
    households_done: int
    estates_done: int
    estates_total: int
    status: str
    posting_lines: int | None
    job: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def households_per_second(self) -> float:
        return self.households_done / self.seconds if self.seconds else 0.0

    @property
    def rows_per_second(self) -> float:
        """Posting lines written per second (two per household when they could not be counted)."""
        lines = self.posting_lines if self.posting_lines is not None else 2 * self.households_done
        return lines / self.seconds if self.seconds else 0.0


JOB_DONE = {"done", "completed", "succeeded", "finished"}
JOB_FAILED = {"failed", "error", "cancelled"}


def billing_job_api(ledger: httpx.Client) -> NotAvailable | None:
    """The job API is there when the ledger's OpenAPI lists ``/v1/billing-jobs/{…}``."""
    try:
        paths = ledger.get("/openapi.json").raise_for_status().json()["paths"]
    except (httpx.HTTPError, KeyError, ValueError) as error:
        return NotAvailable(f"cannot read the ledger's OpenAPI: {error}")
    if not any(path.startswith("/v1/billing-jobs/") for path in paths):
        return NotAvailable("the ledger has no billing job API yet (GET /v1/billing-jobs/{job_id})")
    return None


def _job_id(body: dict[str, Any]) -> str:
    for name in ("job_id", "id"):
        if body.get(name):
            return str(body[name])
    job = body.get("job")
    if isinstance(job, dict):
        return _job_id(job)
    raise RuntimeError(f"no job id in the billing run's answer: {json.dumps(body)[:300]}")


def billing(
    admin: TokenSource, district: District, period: str, timeout: float, poll_seconds: float = 0.25
) -> BillingResult | NotAvailable:
    """Bill the district for ``period`` and follow the job until it is done (or ``timeout``); a
    ledger without the job API (checked at setup, :func:`billing_job_api`) is NotAvailable here."""
    with httpx.Client(base_url=http_url("ledger"), timeout=60) as ledger:
        lines_before = count_postings(district)
        started = time.perf_counter()
        response = ledger.post(
            f"/v1/districts/{district.code}/billing-runs",
            json={"period": period},
            headers={**admin.headers(), "Idempotency-Key": _key()},
        )
        if response.status_code != 202:
            return NotAvailable(f"the district billing run answered {_error(response)} instead of 202 and a job")
        job_id = _job_id(response.json())
        job: dict[str, Any] = {}
        while time.perf_counter() - started < timeout:
            try:
                polled = ledger.get(f"/v1/billing-jobs/{job_id}", headers=admin.headers())
            except httpx.HTTPError:
                polled = None  # the ledger restarting: the job resumes, keep following it
            if polled is not None and polled.status_code == 200:
                job = polled.json()
                if str(job.get("status", "")).lower() in JOB_DONE | JOB_FAILED:
                    break
            time.sleep(poll_seconds)
        elapsed = time.perf_counter() - started
    status = str(job.get("status", "unknown")).lower()
    if status not in JOB_DONE | JOB_FAILED:
        status = f"still {status} after {timeout:.0f} s"
    lines_after = count_postings(district)
    return BillingResult(
        period=period,
        seconds=elapsed,
        households_total=int(job.get("households_total") or district.households),
        households_done=int(job.get("households_done") or 0),
        estates_done=int(job.get("estates_done") or 0),
        estates_total=int(job.get("estates_total") or district.estates),
        status=status,
        posting_lines=lines_after - lines_before if lines_before is not None and lines_after is not None else None,
        job=job,
    )


def bill_estate(manager: TokenSource, code: str, period: str, timeout: float = 300) -> str | None:
    """Bill one estate for ``period`` (so payments settle bills, as they mostly do); the problem, if any.
    Accepts the synchronous answer (200) and a job (202, followed until it ends)."""
    with httpx.Client(base_url=http_url("ledger"), timeout=timeout) as ledger:
        response = ledger.post(
            f"/v1/estates/{code}/billing-runs",
            json={"period": period},
            headers={**manager.headers(), "Idempotency-Key": _key()},
        )
        if response.status_code == 200:
            return None
        if response.status_code != 202:
            return _error(response)
        job_id = _job_id(response.json())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = ledger.get(f"/v1/billing-jobs/{job_id}", headers=manager.headers())
            status = str(job.json().get("status", "")).lower() if job.status_code == 200 else ""
            if status in JOB_DONE:
                return None
            if status in JOB_FAILED:
                return f"billing job {job_id} {status}: {job.text[:200]}"
            time.sleep(0.5)
        return f"billing job {job_id} not done after {timeout:.0f} s"


def wait_for_job_quiet(admin: TokenSource, district: District, timeout: float) -> None:
    """After a timed-out billing job: wait until the district's posting count stops moving, so the
    job does not disturb later measurements (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    last = count_postings(district)
    while time.monotonic() < deadline:
        time.sleep(5)
        now = count_postings(district)
        if now == last:
            return
        last = now


# 4. Reads --------------------------------------------------------------------------------------


@dataclass
class ReadResult:
    entries: dict[str, int]  # estate code -> entries posted into it
    latencies_ms: dict[tuple[str, str], list[float]]  # (endpoint, estate code) -> latencies
    errors: dict[str, int]

    def p50(self, endpoint: str, code: str) -> float:
        return percentile(self.latencies_ms.get((endpoint, code), []), 0.5)

    def p95(self, endpoint: str, code: str) -> float:
        return percentile(self.latencies_ms.get((endpoint, code), []), 0.95)


READ_ENDPOINTS = ("statement", "transactions")
FLOOR = ("health", "")  # GET /health/live: what any answer of the ledger costs over keep-alive


def reads(manager: TokenSource, entries: dict[str, int], seconds: float) -> ReadResult:
    """One client on one keep-alive connection reading the statement of the current month and the
    newest 100 transactions of each estate, and the ledger's ``/health/live`` (the floor any answer
    costs), in turn, for ``seconds`` (after two unmeasured reads of each)."""
    period = estate_today().strftime("%Y-%m")
    paths: dict[str, Callable[[str], str]] = {
        "statement": lambda code: f"/v1/estates/{code}/statements/{period}",
        "transactions": lambda code: f"/v1/estates/{code}/transactions?limit=100",
        "health": lambda _code: "/health/live",
    }
    latencies: dict[tuple[str, str], list[float]] = {(e, c): [] for e in READ_ENDPOINTS for c in entries}
    latencies[FLOOR] = []
    errors: dict[str, int] = {}
    with httpx.Client(base_url=http_url("ledger"), timeout=120) as ledger:
        for _ in range(2):
            for endpoint, code in latencies:
                ledger.get(paths[endpoint](code), headers=manager.headers())
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for endpoint, code in latencies:
                started = time.perf_counter()
                response = ledger.get(paths[endpoint](code), headers=manager.headers())
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code == 200:
                    latencies[(endpoint, code)].append(elapsed)
                else:
                    label = f"{endpoint}: {_error(response)}"
                    errors[label] = errors.get(label, 0) + 1
    return ReadResult(entries=entries, latencies_ms=latencies, errors=errors)


# 5. Event path ---------------------------------------------------------------------------------


@dataclass
class EventPathResult:
    onboarding_ms: list[float]  # the POST /v1/estates request itself
    books_open_ms: list[float]  # from its answer to the books being visible in the ledger's database
    timeouts: int
    failures: int  # onboardings refused or failed


def event_path(
    platform: BenchPlatform, names: list[str], timeout: float = 30, recheck_seconds: float = 0.01
) -> EventPathResult:
    """Onboard estates one after another; for each, the time from the onboarding's answer until
    the ledger's ``trust_books`` row is committed, read in the ledger's database as its system role
    (the ledger answers its HTTP API only to the estate's own people).

    The commit that opens the books also records ``TrustBooksOpened`` in the ledger's outbox, which
    notifies ``xinyi_outbox`` as it commits: the bench listens on that channel and looks for the row
    at each notification, and every ``recheck_seconds`` in case one was missed. (It polled every
    millisecond until 2026-12-02, which took a good part of a core from the path it measured.)"""
    onboarding, books_open = [], []
    timeouts = failures = 0
    with connect("ledger", "system") as database, connect("ledger", "system") as listener:
        database.autocommit = listener.autocommit = True
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        for name in names:
            code = platform.code(name)
            started = time.perf_counter()
            try:
                platform.onboard(code)
            except (RuntimeError, httpx.HTTPError):
                failures += 1
                continue
            answered = time.perf_counter()
            onboarding.append((answered - started) * 1000)
            while not _books_open(database, code):
                if time.perf_counter() - answered > timeout:
                    timeouts += 1
                    break
                for _ in listener.notifies(timeout=recheck_seconds, stop_after=1):
                    pass
            else:
                books_open.append((time.perf_counter() - answered) * 1000)
    return EventPathResult(onboarding_ms=onboarding, books_open_ms=books_open, timeouts=timeouts, failures=failures)


def _books_open(database: psycopg.Connection, code: str) -> bool:
    return database.execute("SELECT 1 FROM trust_books WHERE estate_code = %s", (code,)).fetchone() is not None
