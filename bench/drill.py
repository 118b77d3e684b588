"""The scale-out drill (issue 15, item 5), shared by `make bench-scaleout` (bench/scaleout.py) and
tests/e2e/test_scaleout.py: replicas of the ledger and the tenant service under the payments load of
the ledger benchmark, through the front door, one ledger replica killed with SIGKILL mid-load; then
the checks that nothing was lost, duplicated or reordered and that the books balance.

The replicas are deploy/services.sh's (supervisord programs ``ledger``, ``ledger-2``, … on the
service's ports + 10·(k−1), pid files in ``$XINYI_STATE/services``); the front door is deploy/nginx.sh's
(``/api/ledger/`` balanced over every replica). :class:`Replicas` changes and restores their counts.

The clients (:class:`PaymentClients`) record every payment they mean to make under its own
idempotency key, which is also the payment's reference, and send it again with the same key until it
is answered 201 or refused for good (a 4xx other than 401/408/409-in-progress/429): a payment is
never given up because a replica died under it. The checks (:func:`check`) then read

- the ledger's ``payments`` (as its system role): each answered payment there exactly once, nothing
  refused there, no payment of the run's estates the clients did not mean;
- the ledger's topic from the offsets noted before the load (a plain kafka-python consumer): every
  outbox row of the run's estates recorded since is there, each estate's in one partition and in the
  order of the outbox's ``seq`` (the relay's order); repeats (at-least-once relaying after a kill)
  are counted, the first copy is the one that must be in order;
- the consumers: a ``processed_events`` claim of ``tenant.governance`` for every event of a type it
  handles, stamped in the order Kafka holds the estate's events, and the committed offsets of every
  group that reads the ledger's topic at the end offsets;
- the books: every transaction's postings and every estate's sum to zero, and the estate's
  ``GET /balances`` (through the front door) equal to the sums of its postings by account.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import TokenSource, estate_today, wait_for_platform
from bench.fixtures import BenchPlatform
from bench.load import LoadResult, Operation, Outcome, run_closed_loop
from tests.harness import PORTS, REPO_DIR, STATE_DIR, WEB_URL, connect

LEDGER_TOPIC = "xinyi.ledger.events.v1"
FRONT_DOOR_LEDGER = f"{WEB_URL}/api/ledger"
SERVICES = ("tenant", "ledger", "ticketing", "microfund")
RUN_DIR = STATE_DIR / "services"
REPLICAS_FILE = RUN_DIR / "replicas.env"
# Every consumer group of the ledger's topic (the services' Subscription names).
LEDGER_TOPIC_GROUPS = ("tenant.governance", "microfund.ledger-events", "ticketing.ledger-events")
GOVERNANCE_GROUP = "tenant.governance"
# The ledger's events the committee's read side applies (tenant_service.entrypoints.governance_consumer).
GOVERNANCE_LEDGER_TYPES = (
    "xinyi.ledger.v1.BooksMoved",
    "xinyi.ledger.v1.BudgetAdopted",
    "xinyi.ledger.v1.PeriodClosed",
    "xinyi.ledger.v1.CheckpointPublished",
    "xinyi.ledger.v1.CheckpointCosigned",
)
# The ledger's outbox relay lock (xinyi_shared.outbox.OutboxRelay: crc32 of "xinyi-outbox-ledger").
RELAY_LOCK_ID = zlib.crc32(b"xinyi-outbox-ledger")
RETRYABLE = {401, 408, 425, 429}  # 401: a token that expired in flight (fetched again)
GIVE_UP_SECONDS = 300.0  # one payment's retries, at most (the platform is then down, not restarting)


def say(message: str) -> None:
    print(message, flush=True)


# Replicas -----------------------------------------------------------------------------------------


def read_replica_counts() -> dict[str, int]:
    """The replica counts of the last ``deploy/services.sh up`` (1 for a service it does not name)."""
    counts = dict.fromkeys(SERVICES, 1)
    if REPLICAS_FILE.exists():
        for line in REPLICAS_FILE.read_text().splitlines():
            found = re.fullmatch(r"XINYI_([A-Z]+)_REPLICAS=([1-9])", line.strip())
            if found and found.group(1).lower() in counts:
                counts[found.group(1).lower()] = int(found.group(2))
    return counts


def replica_name(service: str, k: int) -> str:
    return service if k == 1 else f"{service}-{k}"


def replica_http_port(service: str, k: int) -> int:
    return PORTS[f"{service.upper()}_HTTP_PORT"] + 10 * (k - 1)


def pid_of(name: str) -> int:
    """The replica's pid as its pid file says (0 when there is none)."""
    path = RUN_DIR / f"{name}.pid"
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip())
    return 0


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (a replica's master and its workers)."""
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (Path(entry.path) / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    members.append(int(entry.name))
    return members


def ready(service: str, k: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{replica_http_port(service, k)}/health/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class Replicas:
    """deploy/services.sh and deploy/nginx.sh, as the drill drives them."""

    def __init__(self) -> None:
        self.saved = read_replica_counts()

    def _run(self, command: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> str:
        environment = {k: v for k, v in os.environ.items() if k != "XINYI_REPLICAS"}
        environment.update(env or {})
        done = subprocess.run(
            command, cwd=REPO_DIR, env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}"
            )
        return done.stdout

    def ctl(self, *args: str) -> str:
        return self._run([str(REPO_DIR / "deploy" / "services.sh"), "ctl", *args], timeout=120)

    def state(self, name: str) -> str:
        with contextlib.suppress(RuntimeError):
            fields = self.ctl("status", name).split()
            return fields[1] if len(fields) > 1 else "UNKNOWN"
        return "UNKNOWN"

    def scale(self, counts: dict[str, int]) -> None:
        """``deploy/services.sh up`` with these counts (the others as saved), then ``deploy/nginx.sh up``."""
        wanted = {**read_replica_counts(), **counts}
        env = {f"XINYI_{service.upper()}_REPLICAS": str(n) for service, n in wanted.items()}
        self._run([str(REPO_DIR / "deploy" / "services.sh"), "up"], env)
        self._run([str(REPO_DIR / "deploy" / "nginx.sh"), "up"], env)

    def restore(self) -> None:
        """The counts the platform had when the drill began, every replica started and ready."""
        self.scale(self.saved)

    def stop(self, *names: str) -> None:
        if names:
            self.ctl("stop", *names)

    def start(self, *names: str) -> None:
        if names:
            self.ctl("start", *names)

    def wait_ready(self, service: str, k: int, timeout: float = 300) -> float:
        """Until replica k answers /health/ready; how long that took."""
        started = time.monotonic()
        while not ready(service, k):
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"{replica_name(service, k)} not ready after {timeout:.0f} s ({self.state(replica_name(service, k))})"
                )
            time.sleep(1)
        return time.monotonic() - started


def relay_lock_holder(database: psycopg.Connection) -> int:
    """The process group (a ledger replica's master pid) whose worker holds the ledger's outbox
    relay lock at this moment, else 0: the PostgreSQL backend holding the advisory lock, its client
    port, and the local process on the other end of that connection (``ss -p``, as root)."""
    row = database.execute(
        "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (RELAY_LOCK_ID,),
    ).fetchone()
    if row is None or row[0] is None:
        return 0
    listing = subprocess.run(
        ["ss", "-tnpH", "src", f"127.0.0.1:{row[0]}"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    found = re.search(r"pid=(\d+)", listing)
    if found is None:
        return 0
    with contextlib.suppress(OSError):
        return os.getpgid(int(found.group(1)))
    return 0


@dataclass
class Kill:
    """One replica killed with SIGKILL mid-load and what became of it."""

    name: str
    mode: str  # "group": the replica's process group (master and workers); "process": its pid alone
    pid: int
    at_seconds: float  # into the load
    held_relay_lock: bool
    killed_at: float = 0.0  # time.monotonic()
    orphans: list[int] = field(default_factory=list)  # its workers still alive after a "process" kill
    new_pid: int = 0
    new_pid_seconds: float | None = None  # after the kill, until the pid file named a new live process
    ready_seconds: float | None = None  # after the kill, until the replica's port answered ready again
    error: str = ""


def kill_replica(name: str, mode: str, prefer_relay_holder: list[str], at_seconds: float) -> Kill:
    """SIGKILL to ``name`` — or, when one of ``prefer_relay_holder`` holds the outbox relay lock
    during a 3-second look, to that one, in the middle of its relay round."""
    pids = {candidate: pid_of(candidate) for candidate in prefer_relay_holder}
    held = False
    with contextlib.suppress(Exception), connect("ledger", "system") as database:  # best effort
        database.autocommit = True
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            holder = relay_lock_holder(database)
            chosen = next((n for n, pid in pids.items() if pid and pid == holder), None)
            if chosen is not None:
                name, held = chosen, True
                break
            time.sleep(0.01)
    pid = pid_of(name)
    if not alive(pid):
        return Kill(name, mode, pid, at_seconds, held, error=f"{name}'s pid {pid} is not running")
    if mode == "group":
        os.killpg(pid, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGKILL)
    kill = Kill(name, mode, pid, at_seconds, held, killed_at=time.monotonic())
    if mode == "process":
        time.sleep(0.5)
        kill.orphans = [member for member in group_members(pid) if member != pid]
    return kill


def wait_new_pid(kill: Kill, timeout: float) -> None:
    """Until the pid file names a new live process of the killed replica (supervisord's restart)."""
    deadline = kill.killed_at + timeout
    while time.monotonic() < deadline:
        pid = pid_of(kill.name)
        if pid and pid != kill.pid and alive(pid):
            kill.new_pid = pid
            kill.new_pid_seconds = time.monotonic() - kill.killed_at
            return
        time.sleep(0.1)


def follow_restart(kill: Kill, service: str, k: int, timeout: float) -> None:
    """Wait for supervisord's new process of the killed replica to be running and its port to
    answer ready, with no orphaned worker of the killed one left (which would answer in its place);
    the times are counted from the kill."""
    if not kill.new_pid:
        wait_new_pid(kill, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = pid_of(kill.name)
        if pid != kill.pid and alive(pid) and ready(service, k) and not [p for p in kill.orphans if alive(p)]:
            kill.new_pid = pid
            kill.ready_seconds = time.monotonic() - kill.killed_at
            return
        time.sleep(0.5)
    if not kill.new_pid:
        kill.error = f"no new process of {kill.name} within {timeout:.0f} s"
    else:
        kill.error = f"{kill.name} (pid {pid_of(kill.name)}) not ready within {timeout:.0f} s"


def end_orphans(kill: Kill) -> list[int]:
    """SIGTERM (then SIGKILL) to the workers a "process" kill left running; the ones that were."""
    left = [pid for pid in kill.orphans if alive(pid)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(alive(pid) for pid in left):
        time.sleep(0.2)
    for pid in left:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return left


# The payments -------------------------------------------------------------------------------------


@dataclass
class Intent:
    """One payment a client means to make: its key (also its reference) and how it ended."""

    key: str
    code: str
    household_id: str
    amount_fen: int
    phase: str
    status: str = "pending"  # recorded (201), refused (a definitive 4xx), unanswered (gave up)
    attempts: int = 0
    answered_at: float = 0.0  # time.monotonic() of the final answer
    last_error: str = ""


class PaymentClients:
    """The payments workload of bench/workloads.py through the front door, with the retries of a
    client that must not lose a payment: every intent is kept in :attr:`intents`."""

    def __init__(self, manager: TokenSource, households: dict[str, list[str]], base_url: str = FRONT_DOOR_LEDGER):
        self.manager = manager
        self.households = households
        self.codes = sorted(households)
        self.base_url = base_url
        self.intents: dict[str, Intent] = {}
        self.lock = threading.Lock()
        self.retries: Counter[str] = Counter()
        self.consumers: dict[str, list[list[int]]] = {}  # group -> each member's ledger partitions, mid-load

    def run(self, phase: str, clients: int, seconds: float, warmup: float = 1.0) -> LoadResult:
        today = estate_today().isoformat()

        def make(index: int) -> tuple[Operation, Callable[[], None]]:
            client = httpx.Client(
                base_url=self.base_url,
                timeout=60,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            rng = random.Random(f"{phase}-{index}")

            def pay(sequence: int) -> Outcome:
                code = self.codes[(index + sequence) % len(self.codes)]
                key = f"xs-{uuid.uuid4().hex}"
                intent = Intent(key, code, rng.choice(self.households[code]), rng.randint(100, 50_000), phase)
                with self.lock:
                    self.intents[key] = intent
                self._until_answered(client, intent, today)
                if intent.status == "recorded":
                    return Outcome()
                return Outcome(0, f"{intent.status}: {intent.last_error}")

            return pay, client.close

        return run_closed_loop(clients, make, seconds, warmup)

    def _until_answered(self, client: httpx.Client, intent: Intent, today: str) -> None:
        body = {
            "household_id": intent.household_id,
            "amount_fen": intent.amount_fen,
            "method": "wechat_pay",
            "reference": intent.key,
            "received_on": today,
        }
        give_up = time.monotonic() + GIVE_UP_SECONDS
        pause = 0.1
        while True:
            intent.attempts += 1
            label = ""
            try:
                response = client.post(
                    f"/v1/estates/{intent.code}/payments",
                    json=body,
                    headers={**self.manager.headers(), "Idempotency-Key": intent.key},
                )
            except httpx.HTTPError as error:
                label = error.__class__.__name__
            else:
                status = response.status_code
                if status == 201:
                    intent.status, intent.answered_at = "recorded", time.monotonic()
                    return
                text = response.text[:200]
                in_progress = status == 409 and "in progress" in text
                if 400 <= status < 500 and status not in RETRYABLE and not in_progress:
                    intent.status, intent.answered_at = "refused", time.monotonic()
                    intent.last_error = f"HTTP {status}: {text}"
                    return
                label = f"HTTP {status}" + (" in progress" if in_progress else "")
            intent.last_error = label
            with self.lock:
                self.retries[label] += 1
            if time.monotonic() > give_up:
                intent.status, intent.answered_at = "unanswered", time.monotonic()
                return
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def timeline(self, phase: str, origin: float) -> dict[int, int]:
        """Payments of ``phase`` answered 201 in each second after ``origin`` (time.monotonic())."""
        seconds: Counter[int] = Counter()
        for intent in self.intents.values():
            if intent.phase == phase and intent.status == "recorded":
                seconds[int(intent.answered_at - origin)] += 1
        return dict(sorted(seconds.items()))

    def recorded_per_second(self, phase: str, since: float, until: float) -> float:
        """Payments of ``phase`` answered 201 between two time.monotonic() instants, per second."""
        count = sum(
            1
            for i in self.intents.values()
            if i.phase == phase and i.status == "recorded" and since <= i.answered_at < until
        )
        return count / (until - since) if until > since else 0.0


# The checks -------------------------------------------------------------------------------------


@dataclass
class Marks:
    """Where things stood before the load: the outbox's last seq and the topic's end offsets."""

    outbox_seq: int
    offsets: dict[int, int]  # partition -> end offset
    phase_b_seq: int = 0  # the outbox's last seq when phase B began (0: no phase A)


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{PORTS['KAFKA_PORT']}"


def end_offsets() -> dict[int, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(LEDGER_TOPIC, p) for p in sorted(consumer.partitions_for_topic(LEDGER_TOPIC) or ())
        ]
        return {tp.partition: int(offset) for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def outbox_seq() -> int:
    with connect("ledger", "system") as ledger:
        row = ledger.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
    return int(row[0]) if row else 0


def mark() -> Marks:
    return Marks(outbox_seq=outbox_seq(), offsets=end_offsets())


@dataclass
class Record:
    partition: int
    offset: int
    event_id: str
    subject: str
    event_type: str


def read_topic(start: dict[int, int], codes: set[str], timeout: float = 120) -> tuple[list[Record], dict[int, int]]:
    """Every record of the run's estates from ``start`` to the end offsets of now, and those ends."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False, max_poll_records=2000)
    try:
        partitions = [
            TopicPartition(LEDGER_TOPIC, p) for p in sorted(consumer.partitions_for_topic(LEDGER_TOPIC) or ())
        ]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, start.get(tp.partition, 0))
        ends = {tp: int(offset) for tp, offset in consumer.end_offsets(partitions).items()}
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not read {LEDGER_TOPIC} to its end in {timeout:.0f} s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for message in batch:
                    if message.offset >= ends[tp]:
                        continue
                    headers = {k: v.decode() for k, v in message.headers or []}
                    subject = headers.get("ce_subject", "")
                    if subject in codes:
                        records.append(
                            Record(
                                tp.partition,
                                message.offset,
                                headers.get("ce_id", ""),
                                subject,
                                headers.get("ce_type", ""),
                            )
                        )
        return records, {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def committed_offsets(group: str) -> dict[int, int]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    try:
        if hasattr(admin, "list_group_offsets"):  # kafka-python 3
            offsets = admin.list_group_offsets({group: None})[group]
        else:
            offsets = admin.list_consumer_group_offsets(group)
        return {tp.partition: int(meta.offset) for tp, meta in offsets.items() if tp.topic == LEDGER_TOPIC}
    finally:
        admin.close()


# The fields of Checks that must be zero or empty.
FAILURES = (
    "lost",
    "duplicated",
    "refused_but_recorded",
    "unexpected",
    "unanswered",
    "unpublished",
    "missing_in_kafka",
    "estates_in_several_partitions",
    "out_of_order",
    "unclaimed",
    "applied_out_of_order",
    "lagging_groups",
    "unbalanced_transactions",
    "unbalanced_estates",
    "balance_mismatches",
    "problems",
)


def shares(group: str) -> list[list[int]]:
    """The ledger topic's partitions each member of ``group`` holds now (how the replicas share it)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    try:
        described: Any = admin.describe_groups([group])
    finally:
        admin.close()
    if isinstance(described, dict):  # kafka-python 3: plain dicts
        members = described.get(group, {}).get("members", [])
        return [
            sorted(
                p
                for a in m["member_assignment"]["assigned_partitions"]
                if a["topic"] == LEDGER_TOPIC
                for p in a["partitions"]
            )
            for m in members
        ]
    result = []
    for information in described:
        for member in information.members:
            assignment = member.member_assignment
            result.append(sorted(p for topic, ps in assignment.assignment if topic == LEDGER_TOPIC for p in ps))
    return result


@dataclass
class Checks:
    intended: int = 0
    recorded: int = 0  # answered 201
    refused: int = 0
    unanswered: int = 0
    lost: int = 0  # answered 201 (or unanswered) and not in the ledger
    duplicated: int = 0  # payments beyond the first with the same reference
    refused_but_recorded: int = 0
    unexpected: int = 0  # payments of the run's estates with a reference no client meant
    events: int = 0  # outbox rows of the run's estates since the mark
    unpublished: int = 0  # still not relayed after the wait
    missing_in_kafka: int = 0
    kafka_records: int = 0
    kafka_repeats: int = 0  # records of an event already read (at-least-once relaying)
    estates_in_several_partitions: int = 0
    out_of_order: int = 0  # events read before an event of the same estate with a smaller seq
    order_examples: list[str] = field(default_factory=list)
    out_of_order_by_phase: dict[str, int] = field(default_factory=dict)  # the phase of the late event
    governance_events: int = 0
    applied_examples: list[str] = field(default_factory=list)
    applied_out_of_order: int = 0  # claims of tenant.governance stamped before those of events Kafka has earlier
    unclaimed: int = 0  # events of a type tenant.governance handles without its processed_events claim
    lagging_groups: dict[str, dict[int, int]] = field(default_factory=dict)  # group -> partition -> behind
    unbalanced_transactions: int = 0
    unbalanced_estates: list[str] = field(default_factory=list)
    balance_mismatches: list[str] = field(default_factory=list)  # GET /balances ≠ the sums of postings
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures()

    def failures(self) -> list[str]:
        """What failed, as ``field: value``."""
        return [f"{name}: {getattr(self, name)}" for name in FAILURES if getattr(self, name)]


def _check_payments(checks: Checks, intents: dict[str, Intent], codes: list[str]) -> None:
    checks.intended = len(intents)
    checks.recorded = sum(1 for i in intents.values() if i.status == "recorded")
    checks.refused = sum(1 for i in intents.values() if i.status == "refused")
    checks.unanswered = sum(1 for i in intents.values() if i.status not in ("recorded", "refused"))
    with connect("ledger", "system") as ledger:
        rows = ledger.execute(
            "SELECT reference, count(*) FROM payments WHERE estate_code = ANY(%s) GROUP BY reference", (codes,)
        ).fetchall()
    in_ledger = {str(reference): int(n) for reference, n in rows}
    for key, intent in intents.items():
        n = in_ledger.get(key, 0)
        if intent.status == "refused":
            checks.refused_but_recorded += n > 0
        elif n == 0:
            checks.lost += 1
        checks.duplicated += max(0, n - 1)
    checks.unexpected = sum(n for reference, n in in_ledger.items() if reference not in intents)


def _outbox_since(seq: int, codes: list[str]) -> list[tuple[str, str, str, int, bool]]:
    with connect("ledger", "system") as ledger:
        rows = ledger.execute(
            "SELECT id::text, estate_code, event_type, seq, published_at IS NOT NULL FROM outbox "
            "WHERE seq > %s AND estate_code = ANY(%s) ORDER BY seq",
            (seq, codes),
        ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), bool(r[4])) for r in rows]


def _check_events(checks: Checks, marks: Marks, codes: list[str], timeout: float) -> dict[int, int]:
    deadline = time.monotonic() + timeout
    rows = _outbox_since(marks.outbox_seq, codes)
    while any(not published for *_, published in rows) and time.monotonic() < deadline:
        time.sleep(1)
        rows = _outbox_since(marks.outbox_seq, codes)
    checks.events = len(rows)
    checks.unpublished = sum(1 for *_, published in rows if not published)
    seq_of = {event_id: seq for event_id, _, _, seq, _ in rows}
    records, ends = read_topic(marks.offsets, set(codes))
    checks.kafka_records = len(records)
    seen: set[str] = set()
    partitions: dict[str, set[int]] = {}
    last_seq: dict[str, int] = {}
    kafka_order: dict[str, list[str]] = {}  # estate -> its events' ids in the order Kafka has them
    # Records in each partition's offset order; an estate's events are in one partition.
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.event_id not in seq_of:
            continue  # recorded before the mark, relayed after it
        partitions.setdefault(record.subject, set()).add(record.partition)
        if record.event_id in seen:
            checks.kafka_repeats += 1
            continue
        seen.add(record.event_id)
        kafka_order.setdefault(record.subject, []).append(record.event_id)
        seq = seq_of[record.event_id]
        before = last_seq.get(record.subject, 0)
        if seq < before:
            checks.out_of_order += 1
            late_phase = "B" if seq > marks.phase_b_seq else "A"
            checks.out_of_order_by_phase[late_phase] = checks.out_of_order_by_phase.get(late_phase, 0) + 1
            if len(checks.order_examples) < 5:
                checks.order_examples.append(
                    f"{record.subject}: seq {seq} ({record.event_type}) at {record.partition}/{record.offset} after seq {before}"
                )
        last_seq[record.subject] = max(before, seq)
    checks.missing_in_kafka = sum(1 for event_id, *_, published in rows if published and event_id not in seen)
    checks.estates_in_several_partitions = sum(1 for p in partitions.values() if len(p) > 1)
    handled = [event_id for event_id, _, event_type, _, _ in rows if event_type in GOVERNANCE_LEDGER_TYPES]
    checks.governance_events = len(handled)
    with connect("tenant", "system") as tenant:
        tenant.autocommit = True
        while True:
            claimed = {
                str(r[0]): r[1]
                for r in tenant.execute(
                    "SELECT event_id, processed_at FROM processed_events WHERE consumer = %s AND event_id = ANY(%s)",
                    (GOVERNANCE_GROUP, handled),
                ).fetchall()
            }
            checks.unclaimed = len(handled) - len(claimed)
            if not checks.unclaimed or time.monotonic() > deadline:
                break
            time.sleep(1)
    # Applied in the order Kafka delivers them: along each estate's records, the claims' processed_at
    # (their transactions' start) never goes back. (Kafka's order against the outbox's is out_of_order.)
    type_of = {event_id: event_type for event_id, _, event_type, _, _ in rows}
    for ids in kafka_order.values():
        latest: Any = None
        for event_id in ids:
            stamp = claimed.get(event_id) if type_of.get(event_id) in GOVERNANCE_LEDGER_TYPES else None
            if stamp is None:
                continue
            if latest is not None and stamp < latest:
                checks.applied_out_of_order += 1
                if len(checks.applied_examples) < 5:
                    checks.applied_examples.append(
                        f"{event_id} claimed at {stamp.isoformat()} after {latest.isoformat()}"
                    )
            latest = stamp if latest is None else max(latest, stamp)
    return ends


def _check_offsets(checks: Checks, ends: dict[int, int], timeout: float) -> None:
    """Every group of the ledger's topic has committed at least the end offsets the check read to."""
    deadline = time.monotonic() + timeout
    for group in LEDGER_TOPIC_GROUPS:
        while True:
            committed = committed_offsets(group)
            behind = {p: end - committed.get(p, 0) for p, end in ends.items() if committed.get(p, 0) < end}
            if not behind or time.monotonic() > deadline:
                break
            time.sleep(1)
        if behind:
            checks.lagging_groups[group] = behind


def _check_books(checks: Checks, codes: list[str], manager: TokenSource) -> None:
    with connect("ledger", "system") as ledger:
        ledger.autocommit = True
        checks.unbalanced_transactions = int(
            ledger.execute(
                "SELECT count(*) FROM (SELECT transaction_id FROM postings WHERE estate_code = ANY(%s) "
                "GROUP BY transaction_id HAVING sum(amount_fen) <> 0) unbalanced",
                (codes,),
            ).fetchone()[0]  # type: ignore[index]
        )
        checks.unbalanced_estates = [
            f"{code}: {total}"
            for code, total in ledger.execute(
                "SELECT estate_code, sum(amount_fen) FROM postings WHERE estate_code = ANY(%s) "
                "GROUP BY estate_code HAVING sum(amount_fen) <> 0",
                (codes,),
            ).fetchall()
        ]
        with httpx.Client(base_url=FRONT_DOOR_LEDGER, timeout=60) as front_door:
            for code in codes:
                # The remuneration accruer posts moments after payments: two looks that agree.
                for _attempt in range(10):
                    sums = {
                        str(account): int(total)
                        for account, total in ledger.execute(
                            "SELECT account, sum(amount_fen) FROM postings WHERE estate_code = %s GROUP BY account",
                            (code,),
                        ).fetchall()
                    }
                    response = front_door.get(f"/v1/estates/{code}/balances", headers=manager.headers())
                    if response.status_code != 200:
                        mismatch = f"{code}: GET /balances answered {response.status_code}"
                    else:
                        api = {k: v for k, v in response.json().items() if v}
                        mismatch = (
                            ""
                            if api == {k: v for k, v in sums.items() if v}
                            else f"{code}: API {api} ≠ postings {sums}"
                        )
                    if not mismatch:
                        break
                    time.sleep(1)
                if mismatch:
                    checks.balance_mismatches.append(mismatch)


def check(
    clients: PaymentClients, marks: Marks, codes: list[str], manager: TokenSource, timeout: float = 180
) -> tuple[Checks, dict[str, float]]:
    """Every check of the drill, and how long each took (s)."""
    checks = Checks()
    took: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], None]]] = []
    ends: dict[int, int] = {}

    def events() -> None:
        nonlocal ends
        ends = _check_events(checks, marks, codes, timeout)

    steps = [
        ("payments", lambda: _check_payments(checks, clients.intents, codes)),
        ("events", events),
        ("offsets", lambda: _check_offsets(checks, ends, timeout)),
        ("books", lambda: _check_books(checks, codes, manager)),
    ]
    for name, step in steps:
        started = time.monotonic()
        try:
            step()
        except Exception as error:  # noqa: BLE001 - the other checks still run and the failure is reported
            checks.problems.append(f"{name} check failed: {error.__class__.__name__}: {error}")
        took[name] = time.monotonic() - started
    return checks, took


# The drill ----------------------------------------------------------------------------------------


@dataclass
class DrillSettings:
    estates: int = 50
    households: int = 20  # per estate
    clients: int = 8
    seconds: float = 60  # of load in each phase
    warmup: float = 1.0
    settle: float = 5.0  # more unmeasured load before phase B, whose replicas have just (re)started
    kill_at: float = 0.5  # share of phase B's load after which a ledger replica is killed
    kill_mode: str = "group"  # "group" (the replica's master and workers) or "process" (its pid alone)
    baseline: bool = True  # phase A: one ledger and one tenant replica
    bill: bool = True  # bill the estates first, so payments settle bills as in `make bench`
    restart_timeout: float = 300
    check_timeout: float = 180


@dataclass
class Phase:
    name: str
    replicas: dict[str, int]
    load: LoadResult
    payments_per_second: float
    kill: Kill | None = None
    before_kill_per_second: float | None = None  # over the KILL_SPAN seconds before the kill
    after_kill_per_second: float | None = None  # over the KILL_SPAN seconds after it
    timeline: dict[int, int] = field(default_factory=dict)  # second of the phase -> payments answered 201


@dataclass
class DrillResult:
    settings: DrillSettings
    estates: list[str]
    phases: list[Phase]
    checks: Checks
    check_seconds: dict[str, float]
    retries: dict[str, int]
    consumers: dict[str, list[list[int]]]  # group -> each member's ledger partitions just before the kill
    front_door_after: int  # the status of GET /api/ledger/health/ready through the front door at the end
    restored: dict[str, int]
    notes: list[str]

    @property
    def ratio(self) -> float | None:
        by = {p.name: p.payments_per_second for p in self.phases}
        if "A" in by and "B" in by and by["A"]:
            return by["B"] / by["A"]
        return None


PHASE_A = {"ledger": 1, "tenant": 1}
KILL_SPAN = 5.0  # seconds before and after the kill over which the payments' rate is compared
PHASE_B = {"ledger": 3, "tenant": 2}


def _phase_b_load(
    clients: PaymentClients, replicas: Replicas, settings: DrillSettings, notes: list[str]
) -> tuple[LoadResult, Kill | None, float, float]:
    """The load of phase B with the kill in the middle; the load, the kill, when the load's window
    opened and when the kill happened (time.monotonic())."""
    killed: list[Kill] = []
    started = time.monotonic()
    consumers = clients.consumers
    warmup = settings.warmup + settings.settle
    kill_after = warmup + settings.kill_at * settings.seconds

    def killer() -> None:
        time.sleep(kill_after)
        for group in LEDGER_TOPIC_GROUPS:
            try:
                consumers[group] = shares(group)
            except Exception as error:  # noqa: BLE001 - informational
                notes.append(f"could not describe {group}: {error}")
        try:
            kill = kill_replica("ledger-2", settings.kill_mode, ["ledger-2", "ledger-3"], time.monotonic() - started)
            killed.append(kill)
            if not kill.error:
                wait_new_pid(kill, 60)
        except Exception as error:  # noqa: BLE001 - reported; the load goes on
            notes.append(f"the kill failed: {error.__class__.__name__}: {error}")

    thread = threading.Thread(target=killer, name="killer", daemon=True)
    thread.start()
    load = clients.run("B", settings.clients, settings.seconds, warmup)
    thread.join()
    kill = killed[0] if killed else None
    return load, kill, started, started + kill.at_seconds if kill else 0.0


def run_drill(
    platform: BenchPlatform,
    settings: DrillSettings,
    before_load: Callable[[], None] | None = None,
    log: Callable[[str], None] = say,
) -> DrillResult:
    """Set up the estates (on ``platform``, torn down by the caller), run phase A (unless
    ``settings.baseline`` is off) and phase B, restore the replica counts, check. ``before_load`` runs
    just before the first load (the bench's pgbench yardstick)."""
    replicas = Replicas()
    notes: list[str] = []
    phases: list[Phase] = []
    kill: Kill | None = None
    log(f"replicas before the drill: {replicas.saved}")
    try:
        log(f"setting up {settings.estates} estates of {settings.households} households")
        wait_for_platform(120)  # others restart services while they work
        platform.register_hierarchy()
        platform.create_manager()
        made = platform.make_estates({f"so{i:03d}": settings.households for i in range(settings.estates)})
        codes = sorted(made)
        if settings.bill:
            from bench.workloads import bill_estate

            period = estate_today().strftime("%Y-%m")
            problems = [p for code in codes if (p := bill_estate(platform.manager_tokens, code, period))]
            if problems:
                notes.append(
                    f"{len(problems)} estates could not be billed (payments became prepaid credit): {problems[0]}"
                )
        clients = PaymentClients(platform.manager_tokens, made)
        log(f"scaling to {PHASE_B} replicas (ledger, tenant) for the drill")
        replicas.scale(PHASE_B)
        marks = mark()
        if before_load is not None:
            before_load()
        if settings.baseline:
            stopped = ["ledger-2", "ledger-3", "tenant-2"]
            log(f"phase A: {', '.join(stopped)} stopped; {settings.clients} clients for {settings.seconds:.0f} s")
            replicas.stop(*stopped)
            started_a = time.monotonic()
            try:
                load = clients.run("A", settings.clients, settings.seconds, settings.warmup)
            finally:
                replicas.start(*stopped)
            marks.phase_b_seq = outbox_seq()
            phases.append(
                Phase("A", dict(PHASE_A), load, load.units_per_second, timeline=clients.timeline("A", started_a))
            )
            log(f"  {load.units_per_second:.1f} payments/s, p50 {load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms")
            for name, (service, k) in {
                "ledger-2": ("ledger", 2),
                "ledger-3": ("ledger", 3),
                "tenant-2": ("tenant", 2),
            }.items():
                log(f"  {name} ready again after {replicas.wait_ready(service, k, settings.restart_timeout):.0f} s")
        log(
            f"phase B: 3 ledger and 2 tenant replicas; {settings.clients} clients for {settings.seconds:.0f} s, a kill -9 at {settings.kill_at:.0%}"
        )
        load, kill, started, killed_at = _phase_b_load(clients, replicas, settings, notes)
        phase = Phase("B", dict(PHASE_B), load, load.units_per_second, kill)
        if kill is not None:
            phase.before_kill_per_second = clients.recorded_per_second("B", killed_at - KILL_SPAN, killed_at)
            phase.after_kill_per_second = clients.recorded_per_second("B", killed_at, killed_at + KILL_SPAN)
            log(
                f"  killed {kill.name} (pid {kill.pid}, {kill.mode}) {kill.at_seconds:.1f} s in"
                + (", while it held the outbox relay lock" if kill.held_relay_lock else "")
                + (f"; its workers {kill.orphans} outlived it" if kill.orphans else "")
            )
        phase.timeline = clients.timeline("B", started)
        phases.append(phase)
        log(f"  {load.units_per_second:.1f} payments/s, p50 {load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms")
        if kill is not None and not kill.error:
            k = int(kill.name.rsplit("-", 1)[1]) if "-" in kill.name else 1
            follow_restart(kill, "ledger", k, settings.restart_timeout if not kill.orphans else 30)
            if kill.orphans and kill.error:
                ended = end_orphans(kill)
                notes.append(
                    f"kill -9 of {kill.name}'s pid alone left its workers {ended} serving its port, so "
                    f"supervisord's new process could not bind it ({kill.error}); the drill ended them"
                )
                kill.error = ""
                follow_restart(kill, "ledger", k, settings.restart_timeout)
            log(
                f"  {kill.name}: new pid {kill.new_pid} after {kill.new_pid_seconds or 0:.1f} s, ready after "
                f"{kill.ready_seconds if kill.ready_seconds is not None else float('nan'):.1f} s {kill.error}"
            )
    finally:
        if kill is not None and [pid for pid in kill.orphans if alive(pid)]:
            end_orphans(kill)  # a "process" kill's workers must not outlive the drill
        log(f"restoring the replicas: {replicas.saved}")
        try:
            replicas.restore()
        except Exception as error:  # noqa: BLE001 - reported, and the caller still tears down
            notes.append(f"restoring the replicas failed: {error}")
            log(f"  restoring the replicas failed: {error}")
    log("checking: payments, events, consumers, books")
    checks, took = check(clients, marks, codes, platform.manager_tokens, settings.check_timeout)
    try:
        front_door = httpx.get(f"{FRONT_DOOR_LEDGER}/health/ready", timeout=10).status_code
    except httpx.HTTPError:
        front_door = 0
    return DrillResult(
        settings=settings,
        estates=codes,
        phases=phases,
        checks=checks,
        check_seconds=took,
        retries=dict(clients.retries),
        consumers=clients.consumers,
        front_door_after=front_door,
        restored=read_replica_counts(),
        notes=notes,
    )


@contextlib.contextmanager
def platform_for(run_id: str, log: Callable[[str], None] = say) -> Iterator[BenchPlatform]:
    """The run's estates, torn down (offboarded, rows removed) however the drill ends."""
    platform = BenchPlatform(run_id)
    try:
        yield platform
    finally:
        log("teardown: offboarding the estates and removing their rows")
        wait_for_platform(120)  # others restart services while they work
        for problem in platform.teardown():
            log(f"  teardown: {problem}")
