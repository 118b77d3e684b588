"""FastAPI application factory: request ids, Prometheus metrics, health endpoints, clear errors."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
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
            response = await call_next(request)
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

# The estate code (tenant key) as it appears in every service's paths.
ESTATE_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
EstateCode = Annotated[str, Path(description="The estate's code (tenant key)", pattern=ESTATE_CODE_PATTERN)]
