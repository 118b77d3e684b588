"""One request's spans join into one trace across tenant → Kafka → ledger, exported by OTLP.

The test runs a small OTLP/HTTP receiver of its own (``POST /v1/traces``, protobuf
``ExportTraceServiceRequest``, parsed with ``opentelemetry-proto``) and starts one extra tenant replica
and one extra ledger replica beside the platform's, sharing its databases and Kafka, with
``XINYI_OTLP_ENDPOINT`` pointing at the receiver (the platform's own services export nothing: export is
off by default). The ledger replica asks the tenant replica for estates over gRPC, so every hop of
the trace is in a process that exports.

Which ledger process handles the event. The ledger replica joins the platform's consumer group
(``ledger.tenant-events``) as any further replica would: no group or setting of its own, which would
replay the topic or change what the platform does. Kafka then assigns it some of the topic's
partitions, and the platform's ledger the others. The test reads the group's assignment from the
broker (the one member that was not there before the replica started is the replica) and onboards an
estate whose code, the record key, hashes (murmur2, as the producer partitions) to one of the
replica's partitions. So the replica's consumer, and no other, handles ``EstateOnboarded``. Should the
group rebalance in between (the platform's ledger restarting), the test says so rather than wait in
vain.

What is checked. The spans of the onboarding request (the tenant's ``POST /v1/estates``, its ``publish
xinyi.tenant.events.v1`` into the outbox, the ledger's ``process xinyi.tenant.events.v1`` that opens the
trust books from the event, and the ledger's own ``publish`` of ``TrustBooksOpened``) all carry the
trace id that the tenant answered as ``x-request-id``, link parent to child, and form one tree with the
HTTP span as its only root; the ledger replica's log line for the event names the same trace and span.
Then a resident's read of the books on the ledger replica, which asks the tenant replica over gRPC
which households are the resident's (``CheckMembership``), is one trace too: the ledger's HTTP span,
its gRPC client span and the tenant's gRPC server span under it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaAdminClient
from kafka.partitioner import murmur2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

from tests.e2e.conftest import estate_body, onboard, wait_for_books
from tests.harness import PORTS, REPO_DIR, bearer, eventually, unique_code
from xinyi_shared.kafka_topics import LEDGER_EVENTS, TENANT_EVENTS

pytestmark = pytest.mark.e2e

LEDGER_GROUP = "ledger.tenant-events"  # ledger_service.entrypoints.consumers.tenant_subscription
ONBOARDED = "xinyi.tenant.v1.EstateOnboarded"
BOOKS_OPENED = "xinyi.ledger.v1.TrustBooksOpened"
CHECK_MEMBERSHIP = "xinyi.tenant.v1.TenantService/CheckMembership"
KAFKA = f"127.0.0.1:{PORTS['KAFKA_PORT']}"


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: dict[str, Any]


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    return getattr(value, which) if which else None


class _TraceReceiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver (protobuf) that keeps every span it is sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.spans: list[ExportedSpan] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def keep(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ExportedSpan(
                            service=str(resource.get("service.name", "")),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=SpanMessage.SpanKind.Name(span.kind),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )
        with self.lock:
            self.spans.extend(received)

    def of_trace(self, trace_id: str) -> list[ExportedSpan]:
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _TraceReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.keep(request)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    service: str
    url: str
    grpc_target: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _start_replica(service: str, logs: Path, otlp_endpoint: str, tenant_grpc_target: str) -> Replica:
    http_port, grpc_port = free_port(), free_port()
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("OTEL_")},
        "XINYI_HTTP_PORT": str(http_port),
        "XINYI_GRPC_PORT": str(grpc_port),
        "XINYI_HTTP_WORKERS": "1",  # one process: one member of each consumer group
        "XINYI_DB_PORT": str(PORTS["POSTGRES_PORT"]),
        "XINYI_KAFKA_BOOTSTRAP": KAFKA,
        "XINYI_KEYCLOAK_URL": f"http://127.0.0.1:{PORTS['KEYCLOAK_PORT']}",
        "XINYI_TENANT_GRPC_TARGET": tenant_grpc_target,
        "XINYI_LEDGER_GRPC_TARGET": f"127.0.0.1:{PORTS['LEDGER_GRPC_PORT']}",
        "XINYI_OTLP_ENDPOINT": otlp_endpoint,
        # Spans leave within a fifth of a second rather than the SDK's 5 s.
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "PYTHONUNBUFFERED": "1",
    }
    log = logs / f"{service}-replica.log"
    process = subprocess.Popen(
        [sys.executable, "-m", f"{service}_service", "serve"],
        cwd=REPO_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    replica = Replica(service, f"http://127.0.0.1:{http_port}", f"127.0.0.1:{grpc_port}", process, log)

    def ready() -> bool | None:
        if process.poll() is not None:
            raise AssertionError(f"the {service} replica exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            return httpx.get(f"{replica.url}/health/ready", timeout=5).status_code == 200 or None
        except httpx.HTTPError:
            return None

    try:
        eventually(ready, timeout=90, what=f"the {service} replica")
    except BaseException:
        replica.stop()
        raise
    return replica


def _members(admin: KafkaAdminClient) -> dict[str, set[int]]:
    """The ledger group's members and the partitions of the tenant topic each holds (empty while the
    group is rebalancing)."""
    group = admin.describe_groups([LEDGER_GROUP])[LEDGER_GROUP]
    if group["group_state"] != "Stable":
        return {}
    members: dict[str, set[int]] = {}
    for member in group["members"]:
        assignment = member.get("member_assignment") or {}
        members[member["member_id"]] = {
            partition
            for assigned in assignment.get("assigned_partitions", [])
            if assigned["topic"] == TENANT_EVENTS
            for partition in assigned["partitions"]
        }
    return members


@dataclass
class Platform:
    receiver: _TraceReceiver
    tenant: Replica
    ledger: Replica
    admin: KafkaAdminClient
    ledger_member: str
    partitions: int
    ledger_partitions: set[int] = field(default_factory=set)

    def partition_of(self, estate_code: str) -> int:
        return (murmur2(estate_code.encode()) & 0x7FFFFFFF) % self.partitions


@pytest.fixture(scope="module")
def traced() -> Iterator[Platform]:
    receiver = _TraceReceiver()
    threading.Thread(target=receiver.serve_forever, name="otlp-receiver", daemon=True).start()
    admin = KafkaAdminClient(bootstrap_servers=KAFKA)
    replicas: list[Replica] = []
    try:
        with tempfile.TemporaryDirectory(prefix="xinyi-tracing-e2e-") as scratch:
            tenant = _start_replica(
                "tenant", Path(scratch), receiver.endpoint, f"127.0.0.1:{PORTS['TENANT_GRPC_PORT']}"
            )
            replicas.append(tenant)
            before = set(eventually(lambda: _members(admin) or None, timeout=60, what="the ledger group to be stable"))
            ledger = _start_replica("ledger", Path(scratch), receiver.endpoint, tenant.grpc_target)
            replicas.append(ledger)

            def replica_joined() -> tuple[str, set[int]] | None:
                joined = {member: held for member, held in _members(admin).items() if member not in before}
                if len(joined) == 1:
                    [(member, held)] = joined.items()
                    return (member, held) if held else None
                return None

            # A rebalance waits for every member to rejoin, and a member busy with a batch rejoins only at
            # its next poll (bounded by max.poll.interval.ms, 300 s): 90 s was once too short in CI.
            member, held = eventually(
                replica_joined, timeout=300, what="the ledger replica to hold partitions of the tenant topic"
            )
            partitions = len(admin.describe_topics([TENANT_EVENTS])[0]["partitions"])
            yield Platform(receiver, tenant, ledger, admin, member, partitions, held)
    finally:
        for replica in reversed(replicas):
            replica.stop()
        admin.close()
        receiver.shutdown()
        receiver.server_close()


def _tree(spans: list[ExportedSpan]) -> str:
    """The spans as an indented tree (for failure messages)."""
    children: dict[str, list[ExportedSpan]] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    ids = {span.span_id for span in spans}
    lines: list[str] = []

    def walk(span: ExportedSpan, depth: int) -> None:
        lines.append(f"{'  ' * depth}{span.service}: {span.name} [{span.kind}] {span.span_id}")
        for child in children.get(span.span_id, []):
            walk(child, depth + 1)

    for span in spans:
        if span.parent_span_id not in ids:
            lines.append(f"(parent {span.parent_span_id or 'none'})")
            walk(span, 1)
    return "\n".join(lines)


def _ancestors(span: ExportedSpan, by_id: dict[str, ExportedSpan]) -> list[str]:
    """The ids of the span's ancestors that were exported, nearest first."""
    found: list[str] = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        found.append(span.span_id)
    return found


def _the(spans: list[ExportedSpan], **wanted: Any) -> ExportedSpan | None:
    found = [span for span in spans if all(getattr(span, k) == v for k, v in wanted.items())]
    assert len(found) <= 1, found
    return found[0] if found else None


def _published(spans: list[ExportedSpan], service: str, event_type: str) -> ExportedSpan | None:
    """The first span of ``service`` publishing an event of ``event_type`` into its outbox."""
    return next(
        (
            s
            for s in spans
            if s.service == service
            and s.kind == "SPAN_KIND_PRODUCER"
            and s.attributes.get("cloudevents.event_type") == event_type
        ),
        None,
    )


def test_one_requests_spans_join_into_one_trace_across_tenant_kafka_and_ledger(
    traced: Platform, tenant_api, admin_token
) -> None:
    code = next(
        c for c in iter(lambda: unique_code("trace"), None) if traced.partition_of(c) in traced.ledger_partitions
    )

    created = httpx.post(
        f"{traced.tenant.url}/v1/estates", json=estate_body(code), headers=bearer(admin_token), timeout=60
    )
    assert created.status_code == 201, created.text
    trace_id = created.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id), trace_id

    def the_trace() -> dict[str, ExportedSpan] | None:
        spans = traced.receiver.of_trace(trace_id)
        consumed = [
            s for s in spans if s.kind == "SPAN_KIND_CONSUMER" and s.attributes.get("cloudevents.event_subject") == code
        ]
        found = {
            "http": _the(spans, service="tenant", kind="SPAN_KIND_SERVER", name="POST /v1/estates"),
            "publish": _published(spans, "tenant", ONBOARDED),
            "process": next((s for s in consumed if s.service == "ledger"), None),
            "books opened": _published(spans, "ledger", BOOKS_OPENED),
        }
        if any(span is None for span in found.values()):
            if _members(traced.admin).get(traced.ledger_member, traced.ledger_partitions) != traced.ledger_partitions:
                pytest.fail(
                    "the ledger group rebalanced during the test: the event may have gone to the platform's ledger"
                )
            return None
        return {name: span for name, span in found.items() if span is not None}

    spans = eventually(the_trace, timeout=60, what=f"the spans of trace {trace_id} from tenant and ledger")

    everything = traced.receiver.of_trace(trace_id)
    tree = _tree(everything)
    by_id = {span.span_id: span for span in everything}
    http, publish, process = spans["http"], spans["publish"], spans["process"]
    assert http.parent_span_id == "", tree  # the request began the trace
    # The event is recorded inside the request (under FastAPI's own endpoint span, when FastAPI traces).
    assert http.span_id in _ancestors(publish, by_id), tree
    assert {by_id[i].service for i in _ancestors(publish, by_id)} == {"tenant"}, tree
    assert publish.attributes["messaging.destination.name"] == TENANT_EVENTS
    assert process.parent_span_id == publish.span_id, tree
    assert process.attributes["messaging.consumer.group.name"] == LEDGER_GROUP
    assert process.attributes["xinyi.event.outcome"] == "applied"
    assert int(process.attributes["messaging.destination.partition.id"]) in traced.ledger_partitions
    assert spans["books opened"].parent_span_id == process.span_id, tree
    assert spans["books opened"].attributes["messaging.destination.name"] == LEDGER_EVENTS

    # One tree: every span of the trace hangs from another of it, up to the one root.
    time.sleep(1)  # stragglers of the same request (the books' own event, token fetches)
    everything = traced.receiver.of_trace(trace_id)
    ids = {span.span_id for span in everything}
    tree = _tree(everything)
    assert [span.name for span in everything if not span.parent_span_id] == ["POST /v1/estates"], tree
    assert {span.name: span.parent_span_id for span in everything if span.parent_span_id not in ids} == {
        "POST /v1/estates": ""
    }, tree
    assert {span.service for span in everything} == {"tenant", "ledger"}
    ledger_publishes = [s for s in everything if s.service == "ledger" and s.kind == "SPAN_KIND_PRODUCER"]
    assert ledger_publishes and all(s.parent_span_id == process.span_id for s in ledger_publishes), tree

    # The logs join the trace: the replica's line for the event names its trace (the request id) and span.
    applied = [
        json.loads(line)
        for line in traced.ledger.log.read_text(errors="replace").splitlines()
        if line.startswith("{") and trace_id in line and "event applied" in line
    ]
    assert [(line["request_id"], line["span_id"]) for line in applied] == [(trace_id, process.span_id)]


def test_a_read_that_asks_the_tenant_service_over_grpc_is_one_trace(
    traced: Platform, tenant_api, admin_token, make_member
) -> None:
    code = unique_code("trace")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, resident = make_member(code, "resident")
    wait_for_books(code, resident)

    # Not of the oversight: the ledger asks the tenant service which households are the resident's.
    read = httpx.get(f"{traced.ledger.url}/v1/estates/{code}/transactions", headers=bearer(resident), timeout=30)
    assert read.status_code == 200, read.text
    trace_id = read.headers["x-request-id"]

    def the_trace() -> dict[str, ExportedSpan] | None:
        spans = traced.receiver.of_trace(trace_id)
        found = {
            "http": _the(spans, service="ledger", kind="SPAN_KIND_SERVER", name="GET /v1/estates/{code}/transactions"),
            "grpc client": _the(spans, service="ledger", kind="SPAN_KIND_CLIENT", name=CHECK_MEMBERSHIP),
            "grpc server": _the(spans, service="tenant", kind="SPAN_KIND_SERVER", name=CHECK_MEMBERSHIP),
        }
        return None if any(span is None for span in found.values()) else found  # type: ignore[return-value]

    spans = eventually(the_trace, timeout=60, what=f"the spans of trace {trace_id} from ledger and tenant")
    everything = traced.receiver.of_trace(trace_id)
    tree = _tree(everything)
    by_id = {span.span_id: span for span in everything}
    http, client, server = spans["http"], spans["grpc client"], spans["grpc server"]
    assert http.parent_span_id == "", tree
    assert http.span_id in _ancestors(client, by_id), tree
    assert server.parent_span_id == client.span_id, tree
    assert server.attributes.get("rpc.service") in (None, "xinyi.tenant.v1.TenantService"), tree
    assert [span.name for span in everything if not span.parent_span_id] == [http.name], tree
