"""Calling another service over gRPC with this service's own token, in the caller's trace.

:func:`channel` opens a channel whose calls each get a CLIENT span and carry its W3C trace context
in their metadata (:class:`TracingClientInterceptor`); :func:`call_metadata` adds the service's token
(and, in a process without tracing, the request id itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import grpc
from opentelemetry.trace import Span, SpanKind

from xinyi_shared import tracing
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.errors import InvalidInput, NotFound, PermissionDenied, Unavailable, XinyiError
from xinyi_shared.logs import REQUEST_ID_HEADER


def call_metadata(tokens: ServiceTokenProvider) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {tokens.token()}"), *tracing.outgoing_context(REQUEST_ID_HEADER).items()]


# Calls are spread over every address the target resolves to (the replicas of a service: an
# ``ipv4:a:p1,a:p2`` list, or a Kubernetes headless Service's DNS name), not all sent to the first;
# a replica that goes away is dropped from the rotation and tried again when it comes back.
BALANCED: tuple[tuple[str, Any], ...] = (("grpc.lb_policy_name", "round_robin"),)


def balanced(target: str) -> bool:
    """Whether ``target`` names several replicas (an ``ipv4:`` list, or a DNS name resolved to many);
    a single ``host:port`` keeps gRPC's default (pick_first: reconnects at the next call after a drop)."""
    return ("," in target and target.startswith(("ipv4:", "ipv6:"))) or target.startswith("dns:")


def channel(target: str, options: Sequence[tuple[str, Any]] | None = None) -> grpc.Channel:
    """An insecure channel to ``target`` whose calls are traced, balanced over its replicas when it names several."""
    merged = (dict(BALANCED) if balanced(target) else {}) | dict(options or ())
    return grpc.intercept_channel(
        grpc.insecure_channel(target, options=list(merged.items())), TracingClientInterceptor()
    )


def translate_rpc_error(error: grpc.RpcError) -> XinyiError:
    """A remote failure as the domain error a caller can act on."""
    code = error.code()
    details = error.details() or code.name
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(details)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInput(details)
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        return PermissionDenied(details)
    return Unavailable(f"remote call failed: {code.name}: {details}")


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):  # type: ignore[misc]
    """The call's details with other metadata (grpc.ClientCallDetails has no constructor)."""


class TracingClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """A CLIENT span per call, named ``package.Service/Method``, whose trace context the call carries
    (replacing whatever trace context :func:`call_metadata` put there); a streamed answer's span ends
    with the stream."""

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        span, traced = self._start(details)
        try:
            outcome = continuation(traced, request)
        except BaseException as error:
            _finish(span, error.code() if isinstance(error, grpc.RpcError) else grpc.StatusCode.UNKNOWN)
            raise
        # At once for a blocking call (its outcome is done), at completion for a future.
        outcome.add_done_callback(lambda done: _finish(span, done.code()))
        return outcome

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        span, traced = self._start(details)
        try:
            return _TracedStream(continuation(traced, request), span)
        except BaseException as error:
            _finish(span, error.code() if isinstance(error, grpc.RpcError) else grpc.StatusCode.UNKNOWN)
            raise

    @staticmethod
    def _start(details: Any) -> tuple[Span, _ClientCallDetails]:
        method = details.method.decode() if isinstance(details.method, bytes) else str(details.method)
        name, attributes = tracing.rpc_span_name(method)
        span = tracing.tracer().start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        carrier: dict[str, str] = {}
        tracing.inject(carrier, span)
        metadata = [(key, value) for key, value in (details.metadata or ()) if key not in carrier]
        traced = _ClientCallDetails(
            details.method,
            details.timeout,
            [*metadata, *carrier.items()],
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )
        return span, traced


def _finish(span: Span, code: grpc.StatusCode | None) -> None:
    code = code or grpc.StatusCode.OK
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code != grpc.StatusCode.OK:
        tracing.mark_failed(span, code.name)
    span.end()


class _TracedStream:
    """A streamed answer (iterator and call) that ends its span when the stream ends or fails."""

    def __init__(self, call: Any, span: Span) -> None:
        self._call = call
        self._span: Span | None = span

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except StopIteration:
            self._end(grpc.StatusCode.OK)
            raise
        except grpc.RpcError as error:
            self._end(error.code())
            raise

    def _end(self, code: grpc.StatusCode | None) -> None:
        span, self._span = self._span, None
        if span is not None:
            _finish(span, code)

    def __del__(self) -> None:
        self._end(grpc.StatusCode.CANCELLED)  # dropped before its end: the caller stopped reading

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)
