"""FastAPI application factory: request ids, Prometheus metrics, health endpoints, clear errors.

Every error the app gives is JSON ``{"error": code, "reason": text}``: the domain's errors
(:mod:`xinyi_shared.errors`), malformed requests (422), the framework's own HTTP errors (unknown route,
wrong method, a body that cannot be parsed) and unexpected exceptions (500, revealing nothing of the
exception; it is logged by type and SQLSTATE only, never with its message, which for SQL carries the
statement's parameters)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp

from xinyi_shared.auth import Principal, TokenVerifier, bearer_token
from xinyi_shared.errors import XinyiError
from xinyi_shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("xinyi_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("xinyi_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"])


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
    422: "invalid_input",
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


class _RequestContextMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, service: str) -> None:
        super().__init__(app)
        self.service = service

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        request_id = request.headers.get(REQUEST_ID_HEADER) or new_request_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            try:
                response = await call_next(request)
            except Exception as error:  # noqa: BLE001 - the last line: a JSON 500, never the exception's text
                response = self._internal_error(request, error, request_id)
            status = response.status_code
            response.headers[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, request.method, template, str(status)).inc()
            elapsed = time.perf_counter() - started
            HTTP_LATENCY.labels(self.service, request.method, template).observe(elapsed)
            if not template.startswith(("/health", "/metrics")):
                log.info(
                    "http request",
                    extra={
                        "method": request.method,
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            request_id_var.reset(token)

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


def create_app(
    *,
    service: str,
    title: str,
    description: str,
    verifier: TokenVerifier,
    readiness_checks: dict[str, ReadinessCheck],
    components: Sequence[Component] = (),
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
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

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.verifier = verifier
    app.add_middleware(_RequestContextMiddleware, service=service)

    @app.exception_handler(XinyiError)
    async def _domain_error(_: Request, error: XinyiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
        return JSONResponse(
            {**error_body(error.code, error.reason), **error.details}, status_code=error.http_status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'] if part != 'body')}: {issue['msg']}"
            for issue in error.errors()
        )
        return JSONResponse(
            {**error_body("invalid_input", problems), "details": jsonable_errors(error)}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> Response:
        # The framework's own refusals: unknown route (404), wrong method (405, with Allow), a body that
        # cannot be parsed (400) …; its details are fixed texts, never the request's content.
        if error.status_code in (204, 304):  # answers that must not have a body
            return Response(status_code=error.status_code, headers=error.headers)
        reason = error.detail if isinstance(error.detail, str) and error.detail else _phrase(error.status_code)
        return JSONResponse(
            error_body(http_error_code(error.status_code), reason),
            status_code=error.status_code,
            headers=error.headers,
        )

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
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def jsonable_errors(error: RequestValidationError) -> list[dict[str, object]]:
    return [{"loc": list(issue["loc"]), "msg": issue["msg"], "type": issue["type"]} for issue in error.errors()]


def current_principal(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(bearer_token(request.headers.get("authorization")))


# Route signatures read plainly: ``def route(principal: CurrentPrincipal)``.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

# How far a listing may be paged: beyond this an offset is refused (422) rather than handed to the
# database (PostgreSQL refuses an OFFSET above the bigint range with an error, not an empty page).
MAX_PAGE_OFFSET = 1_000_000
PageOffset = Annotated[int, Query(ge=0, le=MAX_PAGE_OFFSET, description=f"Rows to skip (at most {MAX_PAGE_OFFSET})")]

# The estate code (tenant key) as it appears in every service's paths.
ESTATE_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
EstateCode = Annotated[str, Path(description="The estate's code (tenant key)", pattern=ESTATE_CODE_PATTERN)]
