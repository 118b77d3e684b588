"""gRPC server with authentication, tracing and request ids, metrics and error mapping on every method,
plus the standard health service (unauthenticated, for probes)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DataError

from xinyi_shared import tracing
from xinyi_shared.auth import Principal, TokenVerifier, bearer_token
from xinyi_shared.errors import (
    UNSTORABLE_VALUE,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    XinyiError,
)
from xinyi_shared.logs import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

GRPC_REQUESTS = Counter("xinyi_grpc_requests_total", "gRPC requests", ["service", "method", "code"])
GRPC_LATENCY = Histogram("xinyi_grpc_request_duration_seconds", "gRPC request latency", ["service", "method"])

principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)

STATUS_OF_ERROR: dict[type[XinyiError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
}

# The codes that mark a call's span as failed on the server's side (the others are the caller's doing).
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)

HEALTH_PREFIX = "/grpc.health.v1.Health/"
# The largest request a server takes: a voucher of up to 10 MiB (the blob store's limit) and the rest
# of its message fit (gRPC's default is 4 MiB; a larger request is RESOURCE_EXHAUSTED).
MAX_MESSAGE_BYTES = 11 * 1024 * 1024


def current_principal() -> Principal:
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller")
    return principal


class _ServiceInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, service: str, verifier: TokenVerifier) -> None:
        self.service = service
        self.verifier = verifier

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(HEALTH_PREFIX):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _enter(self, method: str, context: grpc.ServicerContext, scope: contextlib.ExitStack) -> None:
        """Within ``scope``: the call's span, continuing the caller's trace (the request id is its trace
        id), then the authenticated caller."""
        metadata = dict(context.invocation_metadata())
        name, attributes = tracing.rpc_span_name(method)
        scope.enter_context(
            tracing.entry_span(
                name,
                kind=SpanKind.SERVER,
                carrier=metadata,
                caller_request_id=metadata.get(REQUEST_ID_HEADER),
                attributes=attributes,
                errors_from_exceptions=False,  # an abort is an exception; _finish sets the status
            )
        )
        principal = principal_var.set(self.verifier.verify(bearer_token(metadata.get("authorization"))))
        scope.callback(principal_var.reset, principal)

    def _finish(self, method: str, started: float, code: grpc.StatusCode) -> None:
        elapsed = time.perf_counter() - started
        GRPC_REQUESTS.labels(self.service, method, code.name).inc()
        GRPC_LATENCY.labels(self.service, method).observe(elapsed)
        span = trace.get_current_span()
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in SERVER_ERRORS:
            tracing.mark_failed(span, code.name)
        log.info("grpc request", extra={"method": method, "code": code.name, "duration_ms": round(elapsed * 1000, 1)})

    def _wrap(self, method: str, behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            scope = contextlib.ExitStack()
            try:
                self._enter(method, context, scope)
                return behavior(request, context)
            except XinyiError as error:
                code = STATUS_OF_ERROR.get(type(error), grpc.StatusCode.INTERNAL)
                context.abort(code, error.reason)
            except DataError:
                code = grpc.StatusCode.INVALID_ARGUMENT
                context.abort(code, UNSTORABLE_VALUE)
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("gRPC method failed", extra={"method": method})
                context.abort(code, "internal error")
            finally:
                self._finish(method, started, code)
                scope.close()

        return wrapped

    def _wrap_stream(self, method: str, behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            scope = contextlib.ExitStack()
            try:
                self._enter(method, context, scope)
                yield from behavior(request, context)
            except XinyiError as error:
                code = STATUS_OF_ERROR.get(type(error), grpc.StatusCode.INTERNAL)
                context.abort(code, error.reason)
            except DataError:
                code = grpc.StatusCode.INVALID_ARGUMENT
                context.abort(code, UNSTORABLE_VALUE)
            except GeneratorExit:
                code = grpc.StatusCode.CANCELLED  # the caller went away mid-stream
                raise
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("gRPC method failed", extra={"method": method})
                context.abort(code, "internal error")
            finally:
                self._finish(method, started, code)
                scope.close()

        return wrapped


class GrpcServer:
    """Started and stopped with the HTTP app (see :func:`xinyi_shared.http.create_app`)."""

    def __init__(
        self,
        service: str,
        port: int,
        verifier: TokenVerifier,
        register: Callable[[grpc.Server], None],
        host: str = "127.0.0.1",
        threads: int = 16,
    ) -> None:
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"{service}-grpc"),
            interceptors=[_ServiceInterceptor(service, verifier)],
            # Every worker process of a service binds the same port; the kernel spreads connections
            # among them (gRPC's default on Linux, stated here because serving depends on it).
            options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
        )
        register(self._server)
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        self._address = f"{host}:{port}"
        self._server.add_insecure_port(self._address)

    def start(self) -> None:
        self._server.start()
        self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC listening", extra={"address": self._address})

    def stop(self) -> None:
        self._health.enter_graceful_shutdown()
        self._server.stop(grace=5).wait()
