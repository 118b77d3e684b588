"""Distributed tracing (OpenTelemetry): one trace per request, across HTTP, gRPC and Kafka hops.

- **Propagation** is W3C trace context (``traceparent``, ``tracestate``) through the global
  propagator of ``opentelemetry.propagate``: in HTTP headers (:mod:`xinyi_shared.http`), in gRPC
  metadata (:mod:`xinyi_shared.grpc_client`, :mod:`xinyi_shared.grpc_server`), and with each event as
  CloudEvents attributes (the distributed tracing extension; ``ce_traceparent`` in Kafka headers).
  An event's context is taken when the event enters the outbox, inside the transaction of the change
  it announces (:func:`event_span`): it names the request that caused it whichever process relays it
  later, and the consumer's span (:func:`consumer_span`) is that span's child.
- **The request id is the trace id** (32 hex digits): in the ``x-request-id`` answer, in error bodies
  and in every log line (``request_id``; ``span_id`` names the span), so a log line leads to its trace
  and back. A caller's ``traceparent`` wins; without one, a caller's ``x-request-id`` that has the
  shape of a trace id (32 hex digits, e.g. the CLI's, or a UUID) becomes the trace id of the new
  trace, so the caller's id still finds every line; any other caller id is kept in the request's log
  line only (``client_request_id``). A process without tracing (a unit test, a script that never
  called :func:`configure`) keeps the request id itself: the caller's, or a new one, sent on as
  ``x-request-id`` and the ``requestid`` CloudEvents attribute.
- **Export** is OTLP/HTTP, only when an endpoint is configured: ``XINYI_OTLP_ENDPOINT`` (the
  collector's base URL; ``/v1/traces`` is added) or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``. Off by default: ids are still made and context still
  propagated (so a service that exports further along keeps the trace), but a trace begun here is not
  sampled and nothing is recorded or sent.
- **No personal data in spans**: route templates, never paths or query strings; gRPC methods and
  status codes, never messages; an exception's type, never its text.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

from xinyi_shared.logs import new_request_id, request_id_var
from xinyi_shared.settings import ServiceSettings

if TYPE_CHECKING:
    from xinyi_shared.events import CloudEvent

log = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "xinyi_shared"
TRACES_PATH = "/v1/traces"
# The standard variables, honoured when XINYI_OTLP_ENDPOINT is empty (the first is a full URL).
OTEL_TRACES_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
OTEL_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"

# A caller's request id that can be a trace id: 32 hex digits, or a UUID with its dashes.
_TRACE_ID_SHAPED = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")

_W3C = TraceContextTextMapPropagator()

# The trace id the next root span takes instead of a random one (see _IdGenerator), set only around
# the start of an entry span.
_preferred_trace_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("preferred_trace_id", default=None)


class _IdGenerator(RandomIdGenerator):
    """Random ids, except a root span's trace id when the caller's request id has its shape."""

    def generate_trace_id(self) -> int:
        preferred = _preferred_trace_id.get()
        return preferred if preferred else super().generate_trace_id()

    def is_trace_id_random(self) -> bool:
        return _preferred_trace_id.get() is None


class _State:
    """The provider this process's spans go to: the one :func:`configure` made, or a test's."""

    lock = threading.Lock()
    provider: TracerProvider | None = None
    tracer: trace.Tracer | None = None
    configured = False


def otlp_traces_url(settings: ServiceSettings) -> str | None:
    """Where spans are exported (the full ``…/v1/traces`` URL), or None: export is off."""
    if configured := settings.otlp_endpoint.strip():
        return _traces_url(configured)
    if full := os.environ.get(OTEL_TRACES_ENDPOINT_ENV, "").strip():
        return full
    if base := os.environ.get(OTEL_ENDPOINT_ENV, "").strip():
        return _traces_url(base)
    return None


def _traces_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def tracer_provider(service: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """A provider for ``service`` (its ``service.name``). Without ``processor`` nothing is exported:
    a trace begun here is not sampled (its spans record nothing), one continued from a sampled caller
    keeps its flag for the services further along."""
    resource = Resource.create({"service.name": service, "service.namespace": "xinyi"})
    # With an exporter, the SDK's sampler (OTEL_TRACES_SAMPLER, by default parent-based always-on).
    sampler = None if processor is not None else ParentBased(ALWAYS_OFF)
    provider = TracerProvider(sampler=sampler, resource=resource, id_generator=_IdGenerator())
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def configure(settings: ServiceSettings) -> TracerProvider:
    """Tracing for this process (once; a worker process calls it when it builds its app)."""
    with _State.lock:
        if _State.configured and _State.provider is not None:
            return _State.provider
        url = otlp_traces_url(settings)
        processor: SpanProcessor | None = None
        if url is not None:
            # Imported only to export (it brings requests and the OTLP protobufs along).
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=url))
        provider = tracer_provider(settings.service_name, processor)
        trace.set_tracer_provider(provider)  # for any library that traces through the global API
        _install(provider)
        _State.configured = True
    log.info("tracing configured", extra={"otlp_traces_url": url or "", "exporting": url is not None})
    return provider


def install(provider: TracerProvider | None) -> None:
    """Send this process's spans to ``provider`` (None: back to the global one); for tests."""
    with _State.lock:
        _install(provider)


def _install(provider: TracerProvider | None) -> None:
    _State.provider = provider
    _State.tracer = provider.get_tracer(INSTRUMENTATION_NAME) if provider is not None else None


def tracer() -> trace.Tracer:
    return _State.tracer or trace.get_tracer(INSTRUMENTATION_NAME)


# Request ids


def trace_id_of_request_id(request_id: str | None) -> int | None:
    """The trace id a caller's request id can stand for (32 hex digits or a UUID), else None."""
    if not request_id or not _TRACE_ID_SHAPED.match(request_id):
        return None
    trace_id = int(request_id.replace("-", ""), 16)
    return trace_id or None


def request_id_of(span: Span) -> str:
    """The span's trace id as the request id ("" when the span has no trace context)."""
    span_context = span.get_span_context()
    return format_trace_id(span_context.trace_id) if span_context.is_valid else ""


def request_id_of_carrier(carrier: Mapping[str, str], caller_request_id: str | None) -> str:
    """The request id of a request that gets no span (refused at the door): its caller's trace id,
    else the caller's request id, else a new one."""
    span_context = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    if span_context.is_valid:
        return format_trace_id(span_context.trace_id)
    return caller_request_id or new_request_id()


def trace_id_of_traceparent(traceparent: str) -> str:
    """The trace id of a W3C ``traceparent`` value, or "" when it is not a valid one."""
    if not traceparent:
        return ""
    span_context = trace.get_current_span(_W3C.extract({"traceparent": traceparent})).get_span_context()
    return format_trace_id(span_context.trace_id) if span_context.is_valid else ""


# Propagation


def inject(carrier: MutableMapping[str, str], span: Span | None = None) -> None:
    """Write the trace context of ``span`` (default: the current span) into ``carrier``."""
    context = trace.set_span_in_context(span) if span is not None else None
    propagate.inject(carrier, context=context)


def outgoing_context(request_id_key: str) -> dict[str, str]:
    """What a call or an event carries from here: the W3C trace context of the current span, or, in
    a process without one (tracing not configured), the request id itself under ``request_id_key``."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        inject(carrier)
    elif request_id := request_id_var.get():
        carrier[request_id_key] = request_id
    return carrier


# Spans


def rpc_span_name(method: str) -> tuple[str, dict[str, Any]]:
    """The span name (``package.Service/Method``) and attributes of a gRPC ``/package.Service/Method``."""
    name = method.lstrip("/")
    service, _, rpc = name.rpartition("/")
    return name, {"rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc}


@contextmanager
def entry_span(
    name: str,
    *,
    kind: SpanKind,
    carrier: Mapping[str, str],
    caller_request_id: str | None = None,
    attributes: Attributes = None,
    errors_from_exceptions: bool = True,
) -> Iterator[Span]:
    """The span of work that enters this process (an HTTP request, a gRPC call, an event), current
    inside the block, continuing the trace context found in ``carrier``; the request id
    (:data:`~xinyi_shared.logs.request_id_var`) is its trace id for the block (see the module's doc).

    An exception that escapes marks the span as failed with the exception's type (never its message:
    a database error's carries the statement's parameters), unless ``errors_from_exceptions`` is off
    (the gRPC server sets the status from the call's code itself)."""
    parent = propagate.extract(carrier)
    has_parent = trace.get_current_span(parent).get_span_context().is_valid
    preferred = _preferred_trace_id.set(None if has_parent else trace_id_of_request_id(caller_request_id))
    try:
        span = tracer().start_span(name, context=parent, kind=kind, attributes=attributes)
    finally:
        _preferred_trace_id.reset(preferred)
    request_id = request_id_of(span) or caller_request_id or new_request_id()
    request_token = request_id_var.set(request_id)
    try:
        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                yield span
            except Exception as error:
                if errors_from_exceptions:
                    mark_failed(span, error)
                raise
    finally:
        request_id_var.reset(request_token)


def mark_failed(span: Span, error: BaseException | str) -> None:
    """The span failed: its status and ``error.type`` (an exception's qualified type, or a code)."""
    if isinstance(error, BaseException):
        kind = type(error)
        error = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    span.set_attribute("error.type", error)
    span.set_status(Status(StatusCode.ERROR, error))


@contextmanager
def event_span(topic: str, event_type: str, estate_code: str) -> Iterator[Span]:
    """The creation of an event in the outbox (a PRODUCER span, child of the current one): the
    event built inside the block carries this span's context to its consumers."""
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "create",
        "messaging.operation.name": "publish",
        "messaging.destination.name": topic,
        "cloudevents.event_type": event_type,
        "cloudevents.event_subject": estate_code,
    }
    with tracer().start_as_current_span(
        f"publish {topic}",
        kind=SpanKind.PRODUCER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=True,
    ) as span:
        yield span


@contextmanager
def consumer_span(event: CloudEvent, record: Any, group: str) -> Iterator[Span]:
    """The handling of one event taken from a Kafka ``record`` by the consumer ``group`` (a CONSUMER
    span), child of the span that created the event. An event made without a trace context (or before
    events carried one) begins a trace of its own, whose trace id is its request id when that can be one."""
    from xinyi_shared.events import REQUEST_ID_ATTRIBUTE

    topic = str(getattr(record, "topic", ""))
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": group,
        "messaging.message.id": event.id,
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_subject": event.subject,
    }
    if (partition := getattr(record, "partition", None)) is not None:
        attributes["messaging.destination.partition.id"] = str(partition)
    if (offset := getattr(record, "offset", None)) is not None:
        attributes["messaging.kafka.offset"] = offset
    with entry_span(
        f"process {topic}",
        kind=SpanKind.CONSUMER,
        carrier=event.extensions,
        caller_request_id=event.extensions.get(REQUEST_ID_ATTRIBUTE),
        attributes=attributes,
    ) as span:
        yield span


class TracedTransport(httpx.BaseTransport):
    """An httpx transport whose requests each get a CLIENT span (named by the method) and carry its
    trace context; ``inner`` sends them (default: httpx's own)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attributes: dict[str, Any] = {
            "http.request.method": request.method,
            "server.address": request.url.host,
            "server.port": request.url.port or (443 if request.url.scheme == "https" else 80),
        }
        with tracer().start_as_current_span(
            request.method,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            inject(request.headers)
            try:
                response = self._inner.handle_request(request)
            except Exception as error:
                mark_failed(span, error)
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                mark_failed(span, str(response.status_code))
            return response

    def close(self) -> None:
        self._inner.close()
