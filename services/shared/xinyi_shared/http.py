"""FastAPI application factory: request spans and ids, Prometheus metrics, health endpoints, clear errors.

Each request is a SERVER span named by its method and route template (``POST /v1/estates``),
continuing the caller's W3C trace context; its trace id is the request id (see
:mod:`xinyi_shared.tracing`), answered in ``x-request-id``.

Every error the app gives is JSON ``{"error": code, "reason": text}``: the domain's errors
(:mod:`xinyi_shared.errors`), malformed requests (422), the framework's own HTTP errors (unknown route,
wrong method, a body that cannot be parsed) and unexpected exceptions (500, revealing nothing of the
exception; it is logged by type and SQLSTATE only, never with its message, which for SQL carries the
statement's parameters).

Limits at the door: :class:`RequestLimits`, the outermost middleware, refuses oversized header blocks
(431) and bodies over the route's limit (413: at once when ``Content-Length`` says so, else as soon as
the bytes received pass it, never reading the rest), before routing, authentication and parsing."""

from __future__ import annotations

import functools
import inspect
import ipaddress
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from enum import Enum
from http import HTTPStatus
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry.trace import Span, SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyi_shared import exposition, tracing
from xinyi_shared.auth import Principal, TokenVerifier, bearer_token
from xinyi_shared.codes import AREA_CODE_PATTERN, ESTATE_CODE_PATTERN
from xinyi_shared.errors import UNSTORABLE_VALUE, XinyiError
from xinyi_shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var
from xinyi_shared.rate_limits import RateLimited

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("xinyi_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("xinyi_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"])
HTTP_REFUSED = Counter(
    "xinyi_http_refused_total", "Requests refused at the door (oversized headers or body)", ["service", "status"]
)

KIB = 1024
MIB = 1024 * KIB
# A request body's limit unless the service declares another for the route (uploads).
DEFAULT_BODY_LIMIT = 1 * MIB
# The request's header fields together (names and values); more is refused with 431.
MAX_HEADER_BYTES = 16 * KIB
# What uvicorn (h11) buffers of an incomplete request head before it gives up with its own plain-text
# 400 and closes: the server's hard stop, above MAX_HEADER_BYTES so that the JSON 431 is the usual refusal.
SERVER_MAX_HEAD_BYTES = 64 * KIB


class Component(Protocol):
    """A background part of a service (gRPC server, outbox relay, consumer) started with the app."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


ReadinessCheck = Callable[[], None]  # raises when the dependency is not usable


def error_body(code: str, reason: str) -> dict[str, str]:
    return {"error": code, "reason": reason}


# The framework's own HTTP errors (Starlette/FastAPI ``HTTPException``) by status, in the codes of
# :mod:`xinyi_shared.errors`; other statuses get their phrase in snake case (405 → method_not_allowed).
_HTTP_ERROR_CODES = {
    400: "invalid_input",  # e.g. a body that cannot be parsed (bad multipart, JSON that is not UTF-8)
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "rate_limited",
    431: "headers_too_large",
    503: "unavailable",
}

INTERNAL_ERROR_REASON = "an unexpected error occurred; quote the request id when reporting it"


def http_error_code(status: int) -> str:
    if status in _HTTP_ERROR_CODES:
        return _HTTP_ERROR_CODES[status]
    return _phrase(status).lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def exception_facts(error: BaseException) -> dict[str, object]:
    """What may be logged about an unexpected exception: its type, the driver error's class and SQLSTATE,
    and where it was raised, never its message or arguments (SQLAlchemy's carry the statement's
    parameters, which may be personal data)."""
    facts: dict[str, object] = {"exception_type": _qualified_name(type(error))}
    chain: list[str] = []
    cause: BaseException | None = error.__cause__ or error.__context__
    while cause is not None and len(chain) < 5:
        chain.append(_qualified_name(type(cause)))
        cause = cause.__cause__ or cause.__context__
    if chain:
        facts["exception_causes"] = chain
    orig = getattr(error, "orig", None)  # sqlalchemy.exc.DBAPIError: the driver's exception
    if isinstance(orig, BaseException):
        facts["orig_type"] = _qualified_name(type(orig))
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if isinstance(sqlstate, str):
            facts["sqlstate"] = sqlstate
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        facts["raised_at"] = f"{last.filename}:{last.lineno} in {last.name}"
    return facts


def _qualified_name(cls: type[BaseException]) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class _RequestContextMiddleware:
    """Pure ASGI (BaseHTTPMiddleware costs a task and a stream per request): the request's span and
    request id for the logs and the answer, Prometheus metrics, one log line per request, and a JSON 500
    for anything that escapes the app. Probes and scrapes (``/health``, ``/metrics``) get no span."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        caller_request_id = _request_id(scope)
        method = scope["method"]
        if _is_probe(_route_path(scope)):
            token = request_id_var.set(caller_request_id or new_request_id())
            try:
                await self._serve(scope, receive, send, None, caller_request_id)
            finally:
                request_id_var.reset(token)
            return
        with tracing.entry_span(
            method,
            kind=SpanKind.SERVER,
            carrier=headers,
            caller_request_id=caller_request_id,
            attributes={"http.request.method": method, "url.scheme": scope.get("scheme", "http")},
        ) as span:
            await self._serve(scope, receive, send, span, caller_request_id)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, span: Span | None, caller_request_id: str | None
    ) -> None:
        request_id = request_id_var.get()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception as error:
                if response_started:
                    raise
                response = self._internal_error(Request(scope), error, request_id)
                await response(scope, receive, send_with_request_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            elapsed = time.perf_counter() - started
            HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
            if span is not None:
                if route is not None:
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    tracing.mark_failed(span, str(status))
            if not template.startswith(("/health", "/metrics")):
                extra: dict[str, object] = {
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                }
                if caller_request_id and caller_request_id != request_id:
                    extra["client_request_id"] = caller_request_id  # a caller's id that cannot be a trace id
                log.info("http request", extra=extra)

    @staticmethod
    def _internal_error(request: Request, error: Exception, request_id: str) -> Response:
        route = request.scope.get("route")
        log.error(
            "unhandled exception",
            extra={"method": request.method, "route": getattr(route, "path", "unmatched"), **exception_facts(error)},
        )
        return JSONResponse(
            {**error_body("internal", INTERNAL_ERROR_REASON), "request_id": request_id}, status_code=500
        )


class _AllowedMethods:
    """The methods every route of a path answers, from the app's OpenAPI paths (built once)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._routes: list[tuple[re.Pattern[str], list[str]]] | None = None

    def of(self, path: str) -> list[str]:
        if self._routes is None:
            self._routes = [
                (compile_path(template)[0], [method.upper() for method in operations])
                for template, operations in self._app.openapi().get("paths", {}).items()
            ]
        methods = {method for pattern, found in self._routes if pattern.match(path) for method in found}
        return sorted(methods)


class _BodyTooLarge(Exception):
    """Raised to the app by the limited ``receive`` once a body has passed its limit."""


class RequestLimits:
    """Pure ASGI middleware, placed outermost, that refuses what no route should have to read.

    - header fields over ``max_header_bytes`` together: 431;
    - a ``Content-Length`` over the route's body limit: 413 at once, before the app runs, so neither
      authentication nor parsing ever sees the request (and an ``Expect: 100-continue`` client never
      sends the body);
    - a body without a length (chunked) or longer than it said: its bytes are counted as the app reads
      them, and the first chunk past the limit ends the request with 413; the rest is never read by the
      app (uvicorn discards what the client still sends, without buffering it).

    The body limit is ``default_body_limit`` unless ``body_limits`` declares one for the route's full
    path template (``{"/v1/estates/{code}/households/import": 20 * MIB + 64 * KIB}``). Not a
    ``BaseHTTPMiddleware``, which would hand the body on in one piece. (Starlette's own
    ``RequestBodyLimitMiddleware`` checks ``Content-Length`` only once the app reads the body, takes
    per-route limits only after routing, and answers in plain text.)
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        default_body_limit: int = DEFAULT_BODY_LIMIT,
        body_limits: Mapping[str, int] | None = None,
        max_header_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        self.app = app
        self.service = service
        self.default_body_limit = default_body_limit
        self.max_header_bytes = max_header_bytes
        self.routes = [(template, compile_path(template)[0], limit) for template, limit in (body_limits or {}).items()]

    def body_limit(self, path: str) -> tuple[str, int]:
        """The declared path template that ``path`` matches ("default" if none) and its body limit."""
        for template, pattern, limit in self.routes:
            if pattern.match(path):
                return template, limit
        return "default", self.default_body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        header_bytes = sum(len(name) + len(value) for name, value in headers)
        if header_bytes > self.max_header_bytes:
            await self._refuse(
                scope, send, 431, f"the request's header fields exceed {_size(self.max_header_bytes)} together"
            )
            return
        template, limit = self.body_limit(_route_path(scope))
        too_large = f"the request body exceeds {_size(limit)}, the limit of this route"
        declared = _content_length(headers)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, 413, too_large, template)
            return

        received = 0
        exceeded = refused = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            # Once the answer has started, what is read is a disconnect listener draining the request.
            if message["type"] == "http.request" and not started:
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused, started
            if exceeded and not started:
                # Whatever the app made of the cut-off body (a 400 from the parser, a 500 from a
                # middleware), the answer is ours, once.
                if not refused:
                    refused = True
                    await self._refuse(scope, send, 413, too_large, template)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
            # Raised by (or because of) the cut-off body: a refusal, not a failure.
        if exceeded and not refused and not started:
            refused = True
            await self._refuse(scope, send, 413, too_large, template)

    async def _refuse(self, scope: Scope, send: Send, status: int, reason: str, route: str = "default") -> None:
        HTTP_REFUSED.labels(self.service, str(status)).inc()
        request_id = tracing.request_id_of_carrier(Headers(scope=scope), _request_id(scope))
        token = request_id_var.set(request_id)
        try:
            log.info("http request refused", extra={"status": status, "route": route, "reason": reason})
        finally:
            request_id_var.reset(token)
        body = json.dumps(error_body(http_error_code(status), reason)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_probe(path: str) -> bool:
    """Health probes and Prometheus scrapes: frequent, and of no interest in a trace."""
    return path == "/metrics" or path.startswith("/health/")


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server (h11) refuses a malformed length before we see it
    return None


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id(scope: Scope) -> str | None:
    """The caller's request id, if it has one of a sane shape."""
    wanted = REQUEST_ID_HEADER.encode()
    for key, value in scope["headers"]:
        if key.lower() == wanted:
            text = value.decode("latin-1")
            return text if _REQUEST_ID.match(text) else None
    return None


def _size(limit: int) -> str:
    if limit >= MIB:
        return f"{round(limit / MIB, 2):g} MiB"
    if limit >= KIB:
        return f"{round(limit / KIB, 2):g} KiB"
    return f"{limit} bytes"


def client_address(
    request: Request, trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()
) -> str:
    """The caller's address: the socket peer, or, when the peer is one of ``trusted_proxies``, the
    rightmost address of ``X-Forwarded-For`` that is not a trusted proxy (entries further left are the
    client's own say and could be forged)."""
    peer = request.client.host if request.client else ""
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer or "unknown"
    forwarded = [
        hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",") if hop.strip()
    ]
    for hop in reversed(forwarded):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a hop that is no address: the chain cannot be trusted beyond the peer
        if not any(address in network for network in trusted_proxies):
            return str(address)
    return str(ipaddress.ip_address(forwarded[0])) if forwarded else peer


def _is_trusted(host: str, trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in trusted_proxies)


class OneHopRoute(APIRoute):
    """A route whose plain ``def`` endpoint costs one hop to the thread pool, not two.

    FastAPI runs a sync endpoint in the thread pool, then goes back to it to validate the answer
    against the response model; each hop hands the GIL over twice. Wrapped in a coroutine that
    awaits the thread pool once, the endpoint's answer is validated on the event loop."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint) and not inspect.isgeneratorfunction(endpoint):
            endpoint = _awaiting_thread_pool(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _awaiting_thread_pool(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    # functools.wraps keeps the name, docstring and signature (inspect follows __wrapped__), which
    # FastAPI reads for the parameters, the response model and the OpenAPI operation.
    @functools.wraps(endpoint)
    async def in_thread_pool(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return in_thread_pool


def api_router(*, prefix: str = "", tags: list[str | Enum] | None = None) -> APIRouter:
    """The router of a service's routes (each a :class:`OneHopRoute`)."""
    return APIRouter(prefix=prefix, tags=tags, route_class=OneHopRoute)


def create_app(
    *,
    service: str,
    title: str,
    description: str,
    verifier: TokenVerifier,
    readiness_checks: dict[str, ReadinessCheck],
    components: Sequence[Component] = (),
    on_shutdown: Callable[[], None] | None = None,
    body_limits: Mapping[str, int] | None = None,
    default_body_limit: int = DEFAULT_BODY_LIMIT,
    max_header_bytes: int = MAX_HEADER_BYTES,
) -> FastAPI:
    """The service's app. ``body_limits`` declares routes (full path templates, as in the OpenAPI
    document) that take bodies larger than ``default_body_limit``, such as uploads."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for component in components:
            component.start()
        try:
            yield
        finally:
            for component in reversed(components):
                component.stop()
            if on_shutdown is not None:
                on_shutdown()

    # FastAPI's own OpenTelemetry instrumentation is off: _RequestContextMiddleware already makes each
    # request's server span and its Prometheus figures, so FastAPI's would be a second server span in
    # every trace, a span per dependency, and ~5% of a busy worker's interpreter time.
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.verifier = verifier
    app.add_middleware(_RequestContextMiddleware, service=service)
    # Added last, so it runs first: nothing inside (request context, routing, authentication, parsing)
    # sees a request over the limits.
    app.add_middleware(
        RequestLimits,
        service=service,
        default_body_limit=default_body_limit,
        body_limits=body_limits,
        max_header_bytes=max_header_bytes,
    )

    @app.exception_handler(DataError)
    async def _unstorable_value(_: Request, error: DataError) -> JSONResponse:
        # A value the database refuses as such (a NUL character in text, a number out of its range):
        # malformed input, and the transaction was rolled back. Its parameters are never echoed.
        return JSONResponse(error_body("invalid_input", UNSTORABLE_VALUE), status_code=422)

    @app.exception_handler(XinyiError)
    async def _domain_error(_: Request, error: XinyiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
        if isinstance(error, RateLimited):
            headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(
            {**error_body(error.code, error.reason), **error.details}, status_code=error.http_status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'] if part != 'body')}: {issue['msg']}"
            for issue in jsonable_errors(error)
        )
        return JSONResponse(
            {**error_body("invalid_input", problems), "details": jsonable_errors(error)}, status_code=422
        )

    allowed_methods = _AllowedMethods(app)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        # The framework's own refusals: unknown route (404), wrong method (405, with Allow), a body that
        # cannot be parsed …; its details are fixed texts, never the request's content.
        if error.status_code in (204, 304):  # answers that must not have a body
            return Response(status_code=error.status_code, headers=error.headers)
        status = error.status_code
        headers = dict(error.headers or {})
        if status == 400:
            status = 422  # a body that cannot be parsed is malformed input, as the contracts declare it
        elif status == 405:
            # Starlette names only the first route matching the path; every route of the path counts.
            headers["Allow"] = ", ".join(allowed_methods.of(request.url.path)) or headers.get("Allow", "")
        reason = error.detail if isinstance(error.detail, str) and error.detail else _phrase(status)
        return JSONResponse(error_body(http_error_code(status), reason), status_code=status, headers=headers)

    @app.get("/health/live", tags=["health"], summary="The process is alive")
    def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", tags=["health"], summary="The database and Kafka are reachable")
    def ready(response: Response) -> dict[str, object]:
        results: dict[str, str] = {}
        for name, check in readiness_checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - any failure means not ready
                results[name] = f"unavailable: {type(error).__name__}"
        ready_now = all(value == "ok" for value in results.values())
        response.status_code = 200 if ready_now else 503
        return {"status": "ready" if ready_now else "not ready", "checks": results}

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    def metrics() -> Response:
        # Every worker's metrics when the service runs several (see xinyi_shared.exposition).
        return Response(exposition.latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def jsonable_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    """The validation's problems, each once: a path parameter checked by a route and by its dependencies
    (the estate code of ``estate_member``) is reported once."""
    problems: list[dict[str, Any]] = []
    for issue in error.errors():
        problem = {"loc": list(issue["loc"]), "msg": issue["msg"], "type": issue["type"]}
        if problem not in problems:
            problems.append(problem)
    return problems


# Declares the required ``Authorization: Bearer <token>`` header in the OpenAPI documents (a security
# scheme on every route that authenticates); the header itself is read and refused by ``bearer_token``,
# whose 401 names what is wrong.
_BEARER = HTTPBearer(
    bearerFormat="JWT",
    description="Required: an access token of the realm (Keycloak), `Authorization: Bearer <token>`",
    auto_error=False,
)


async def current_principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None
) -> Principal:
    # Async, so a token verified before is answered on the event loop: a sync dependency costs a
    # hop to the thread pool and back (a GIL hand-over each way) on every request.
    verifier: TokenVerifier = request.app.state.verifier
    token = bearer_token(request.headers.get("authorization"))
    if (principal := verifier.remembered(token)) is not None:
        return principal
    # The first sight of a token checks its signature and may fetch the realm's keys: off the loop.
    return await run_in_threadpool(verifier.verify, token)


# Route signatures read plainly: ``def route(principal: CurrentPrincipal)``.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

# How far a listing may be paged: beyond this an offset is refused (422) rather than handed to the
# database (PostgreSQL refuses an OFFSET above the bigint range with an error, not an empty page).
MAX_PAGE_OFFSET = 1_000_000
PageOffset = Annotated[int, Query(ge=0, le=MAX_PAGE_OFFSET, description=f"Rows to skip (at most {MAX_PAGE_OFFSET})")]

# A listing's page (the platform's contract): ?limit=1..500 (default 100) & offset; the body is the
# page, and X-Total-Count how many items the caller may list in all (the same filters and visibility).
MAX_PAGE_LIMIT = 500
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_LIMIT, description=f"Page size, 1 to {MAX_PAGE_LIMIT}")]
TOTAL_COUNT = "X-Total-Count"
TOTAL_COUNT_DOC: dict[str, Any] = {
    "description": "How many items there are in all pages (the same filters and visibility)",
    "schema": {"type": "integer", "minimum": 0},
}
PAGED: dict[int | str, dict[str, Any]] = {200: {"description": "The page", "headers": {TOTAL_COUNT: TOTAL_COUNT_DOC}}}

# The estate code (tenant key) and the codes of the hierarchy's areas as they appear in every service's
# paths, from their one definition in xinyi_shared.codes.
EstateCode = Annotated[str, Path(description="The estate's code (tenant key)", pattern=ESTATE_CODE_PATTERN)]
AreaCode = Annotated[
    str, Path(description="The code of a district, sub-district or community", pattern=AREA_CODE_PATTERN)
]
