"""Tracing (xinyi_shared.tracing) in one process: an HTTP request, the event it records in the outbox,
the Kafka record the relay would send, the consumer that handles it and the gRPC call the handler makes
all join one trace, parent to child, whose trace id is the request id everywhere; export is off unless
an endpoint is configured.

Kafka is replaced by the record the relay builds from the outbox row (its headers are the event's);
HTTP runs through Starlette's test client and gRPC through a real server and channel on loopback."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, ClassVar, cast

import grpc
import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id
from sqlalchemy.orm import Session

from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared import tracing
from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.consumer import IdempotentConsumer, Subscription
from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.grpc_client import channel
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.http import create_app
from xinyi_shared.logs import REQUEST_ID_HEADER, request_id_var
from xinyi_shared.outbox import publish
from xinyi_shared.settings import ServiceSettings

TENANT_EVENTS = "xinyi.tenant.events.v1"
PROBE = "xinyi.test.v1.Probe"


class _AnyToken(TokenVerifier):
    def __init__(self) -> None:
        pass

    def verify(self, token: str) -> Principal:
        return Principal(subject="svc", username="svc", roles=frozenset({Role.SERVICE}), estates=frozenset())


class _Outbox:
    """A session that keeps the events ``publish`` records (as the outbox row holds them) and claims
    every event a consumer handles."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []

    def execute(self, statement: Any, parameters: dict[str, Any]) -> Any:
        if str(statement).startswith("INSERT INTO outbox"):
            attributes = json.loads(parameters["attributes"])
            self.events.append(CloudEvent.from_attributes(attributes, parameters["payload"]))
        # A claim (INSERT INTO processed_events … RETURNING event_id) returns every event it is given.
        claimed = parameters.get("ids", [parameters.get("id")])
        return SimpleNamespace(first=lambda: ("claimed",), scalars=lambda: iter(claimed))


class _Database:
    """The consumer's database: every event is new (claimed), the handler's session is ``session``."""

    def __init__(self, session: _Outbox) -> None:
        self.session = session

    @contextlib.contextmanager
    def estate_session(self, estate_code: str) -> Iterator[_Outbox]:
        yield self.session


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.install(tracing.tracer_provider("test", SimpleSpanProcessor(exporter)))
    try:
        yield exporter
    finally:
        tracing.install(None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def probe() -> Iterator[tuple[grpc.Channel, list[str]]]:
    """A gRPC server answering ``Echo`` and ``Count``, which notes the request id each call saw."""
    seen: list[str] = []

    def echo(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append(request_id_var.get())
        return request

    def count(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        seen.append(request_id_var.get())
        yield from (bytes([n]) for n in range(3))

    def register(server: grpc.Server) -> None:
        handlers: dict[str, Any] = {
            "Echo": grpc.unary_unary_rpc_method_handler(echo),
            "Count": grpc.unary_stream_rpc_method_handler(count),
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(PROBE, handlers),))

    port = _free_port()
    server = GrpcServer("test", port, _AnyToken(), register, threads=2)
    server.start()
    try:
        with channel(f"127.0.0.1:{port}") as traced:
            yield traced, seen
    finally:
        server.stop()


def _one(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [span for span in spans.get_finished_spans() if span.name == name]
    assert len(found) == 1, [span.name for span in spans.get_finished_spans()]
    return found[0]


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def test_a_request_its_event_the_consumer_and_its_grpc_call_are_one_trace(
    spans: InMemorySpanExporter, probe: tuple[grpc.Channel, list[str]]
) -> None:
    traced_channel, seen_by_grpc = probe
    tenant_outbox, ledger_outbox = _Outbox(), _Outbox()

    # The tenant service: a request that records EstateOnboarded in the outbox.
    app = create_app(service="tenant", title="t", description="t", verifier=_AnyToken(), readiness_checks={})

    @app.post("/v1/estates/{code}")
    def onboard(code: str) -> dict[str, str]:
        estate = tenant_pb2.Estate(code=code, name="金河绿洲")
        publish(
            cast(Session, tenant_outbox),
            TENANT_EVENTS,
            "xinyi/tenant",
            code,
            tenant_events.EstateOnboarded(estate=estate),
        )
        return {"code": code}

    with TestClient(app) as client:
        answer = client.post("/v1/estates/jinhe-lvzhou")
    assert answer.status_code == 200
    request_id = answer.headers[REQUEST_ID_HEADER]

    # The relay sends the outbox row's event; the ledger's consumer takes the record.
    [event] = tenant_outbox.events
    record = SimpleNamespace(
        topic=TENANT_EVENTS, partition=3, offset=41, headers=event.kafka_headers(), value=event.data
    )
    seen_by_consumer: list[str] = []

    def open_books(session: Session, received: CloudEvent) -> None:
        seen_by_consumer.append(request_id_var.get())
        echo = traced_channel.unary_unary(f"/{PROBE}/Echo")
        assert echo(b"GetEstate", metadata=[("authorization", "Bearer t")], timeout=10) == b"GetEstate"
        count = traced_channel.unary_stream(f"/{PROBE}/Count")
        assert list(count(b"", metadata=[("authorization", "Bearer t")], timeout=10)) == [b"\0", b"\1", b"\2"]
        publish(session, "xinyi.ledger.events.v1", "xinyi/ledger", received.subject, tenant_events.EstateResumed())

    settings = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)
    subscription = Subscription("ledger.tenant-events", [TENANT_EVENTS], {event.type: open_books})
    consumer = IdempotentConsumer(settings, cast(Database, _Database(ledger_outbox)), subscription)
    consumer._handle(record)

    http = _one(spans, "POST /v1/estates/{code}")
    created = _one(spans, f"publish {TENANT_EVENTS}")
    consumed = _one(spans, f"process {TENANT_EVENTS}")
    echo_client, echo_server = (
        span
        for span in spans.get_finished_spans()
        if span.name == f"{PROBE}/Echo" and span.kind in (SpanKind.CLIENT, SpanKind.SERVER)
    )
    if echo_client.kind == SpanKind.SERVER:
        echo_client, echo_server = echo_server, echo_client
    count_spans = [span for span in spans.get_finished_spans() if span.name == f"{PROBE}/Count"]
    follow_up = _one(spans, "publish xinyi.ledger.events.v1")

    # One trace, whose id is the request id the caller was answered and every hop logged.
    everything = spans.get_finished_spans()
    assert {format_trace_id(span.context.trace_id) for span in everything} == {request_id}
    assert seen_by_consumer == [request_id]
    assert seen_by_grpc == [request_id, request_id]
    assert event.request_id == request_id

    # Parent to child: HTTP → outbox event → consumer → gRPC client → gRPC server, and the next event.
    assert http.kind == SpanKind.SERVER and http.parent is None
    assert http.attributes is not None and http.attributes["http.route"] == "/v1/estates/{code}"
    assert created.kind == SpanKind.PRODUCER and _parent_id(created) == http.context.span_id
    assert event.extensions["traceparent"].startswith(f"00-{request_id}-{format_span_id(created.context.span_id)}-")
    assert ("ce_traceparent", event.extensions["traceparent"].encode()) in record.headers
    assert "requestid" not in event.extensions  # the trace context carries it
    assert consumed.kind == SpanKind.CONSUMER and _parent_id(consumed) == created.context.span_id
    assert consumed.attributes is not None and consumed.attributes["messaging.consumer.group.name"] == subscription.name
    assert consumed.attributes["xinyi.event.outcome"] == "applied"
    assert _parent_id(echo_client) == consumed.context.span_id
    assert _parent_id(echo_server) == echo_client.context.span_id
    assert sorted((span.kind for span in count_spans), key=str) == sorted([SpanKind.CLIENT, SpanKind.SERVER], key=str)
    assert all(span.end_time is not None for span in count_spans)  # the stream's span ended with it
    assert _parent_id(follow_up) == consumed.context.span_id
    assert [e.type for e in ledger_outbox.events] == ["xinyi.tenant.v1.EstateResumed"]


def test_a_callers_trace_context_is_continued(spans: InMemorySpanExporter) -> None:
    app = create_app(service="tenant", title="t", description="t", verifier=_AnyToken(), readiness_checks={})

    @app.get("/v1/ping")
    def ping() -> dict[str, str]:
        return {"request_id": request_id_var.get()}

    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with TestClient(app) as client:
        answer = client.get("/v1/ping", headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"})
    assert answer.headers[REQUEST_ID_HEADER] == caller_trace == answer.json()["request_id"]
    span = _one(spans, "GET /v1/ping")
    assert span.parent is not None and span.parent.is_remote and format_span_id(span.parent.span_id) == caller_span


def test_a_callers_request_id_becomes_the_trace_id_when_it_can_be_one(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(service="tenant", title="t", description="t", verifier=_AnyToken(), readiness_checks={})

    @app.get("/v1/ping")
    def ping() -> None:
        return None

    cli_id = "0af7651916cd43dd8448eb211c80319c"  # what the CLI sends: a UUID4's 32 hex digits
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="xinyi_shared.http"):
        from_cli = client.get("/v1/ping", headers={REQUEST_ID_HEADER: cli_id})
        from_elsewhere = client.get("/v1/ping", headers={REQUEST_ID_HEADER: "req-db-1"})
        probe = client.get("/health/live")
    assert from_cli.headers[REQUEST_ID_HEADER] == cli_id
    first, second = (span for span in spans.get_finished_spans() if span.name == "GET /v1/ping")
    assert format_trace_id(first.context.trace_id) == cli_id and first.parent is None
    # Any other id cannot name a trace: the request id is the trace's, the caller's id is logged with it.
    assert from_elsewhere.headers[REQUEST_ID_HEADER] == format_trace_id(second.context.trace_id)
    [line] = [r for r in caplog.records if getattr(r, "client_request_id", None) == "req-db-1"]
    assert line.route == "/v1/ping"
    # Probes make no spans, and still answer with a request id.
    assert probe.headers[REQUEST_ID_HEADER]
    assert len(spans.get_finished_spans()) == 2


def test_log_lines_name_the_trace_and_the_span(spans: InMemorySpanExporter) -> None:
    from xinyi_shared.logs import _RequestIdFilter

    record = logging.makeLogRecord({"msg": "inside"})
    with tracing.tracer().start_as_current_span("work") as span:
        _RequestIdFilter("test").filter(record)
    assert record.request_id == format_trace_id(span.get_span_context().trace_id)
    assert record.span_id == format_span_id(span.get_span_context().span_id)


def test_without_tracing_the_request_id_itself_travels() -> None:
    token = request_id_var.set("req-42")
    try:
        assert tracing.outgoing_context("x-request-id") == {"x-request-id": "req-42"}
    finally:
        request_id_var.reset(token)


# Export


def _sampled(traceparent: str) -> bool:
    return bool(int(traceparent.rsplit("-", 1)[1], 16) & 1)


@pytest.fixture
def otel_env_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XINYI_OTLP_ENDPOINT", tracing.OTEL_ENDPOINT_ENV, tracing.OTEL_TRACES_ENDPOINT_ENV):
        monkeypatch.delenv(name, raising=False)


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)


@pytest.mark.usefixtures("otel_env_cleared")
def test_export_is_off_by_default_and_context_still_propagates() -> None:
    assert _settings().otlp_endpoint == ""
    assert tracing.otlp_traces_url(_settings()) is None
    provider = tracing.tracer_provider("ledger")
    tracer = provider.get_tracer("test")

    with tracer.start_as_current_span("a request begun here") as root:
        carrier: dict[str, str] = {}
        tracing.inject(carrier)
    assert root.get_span_context().is_valid and not root.is_recording()
    assert not _sampled(carrier["traceparent"])  # propagated, not sampled

    # A trace that a caller samples stays sampled for the services further along.
    parent = trace.set_span_in_context(
        trace.NonRecordingSpan(
            trace.SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True, trace.TraceFlags(1))
        )
    )
    with tracer.start_as_current_span("continued", context=parent):
        carrier = {}
        tracing.inject(carrier)
    assert carrier["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert _sampled(carrier["traceparent"])


@pytest.mark.usefixtures("otel_env_cleared")
def test_the_endpoint_comes_from_the_setting_or_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYI_OTLP_ENDPOINT", "http://collector:4318/")
    assert tracing.otlp_traces_url(_settings()) == "http://collector:4318/v1/traces"
    monkeypatch.delenv("XINYI_OTLP_ENDPOINT")
    monkeypatch.setenv(tracing.OTEL_ENDPOINT_ENV, "http://otel:4318")
    assert tracing.otlp_traces_url(_settings()) == "http://otel:4318/v1/traces"
    monkeypatch.setenv(tracing.OTEL_TRACES_ENDPOINT_ENV, "http://otel:4318/custom/traces")
    assert tracing.otlp_traces_url(_settings()) == "http://otel:4318/custom/traces"


class _Exporters:
    """Stands in for the OTLP exporter: notes each one made, exports nothing."""

    made: ClassVar[list[str | None]] = []

    def __init__(self, endpoint: str | None = None, **_: Any) -> None:
        self.made.append(endpoint)

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 0) -> bool:
        return True


@pytest.fixture
def configurable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """configure() without touching the process's global provider or this module's state for good."""
    from opentelemetry.exporter.otlp.proto.http import trace_exporter

    _Exporters.made = []
    monkeypatch.setattr(trace_exporter, "OTLPSpanExporter", _Exporters)
    monkeypatch.setattr(tracing.trace, "set_tracer_provider", lambda provider: None)
    try:
        yield _Exporters.made
    finally:
        tracing._State.configured = False
        tracing.install(None)


@pytest.mark.usefixtures("otel_env_cleared")
def test_configure_exports_nothing_without_an_endpoint(configurable: list[str | None]) -> None:
    provider = tracing.configure(_settings())
    with tracing.tracer().start_as_current_span("work") as span:
        assert span.get_span_context().is_valid and not span.is_recording()
    assert configurable == []
    assert provider.resource.attributes["service.name"] == "ledger"


@pytest.mark.usefixtures("otel_env_cleared")
def test_configure_exports_by_otlp_to_the_configured_endpoint(
    configurable: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYI_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    tracing.configure(_settings())
    with tracing.tracer().start_as_current_span("work") as span:
        assert span.is_recording()
    assert configurable == ["http://127.0.0.1:4318/v1/traces"]
