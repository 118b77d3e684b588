"""The service app the shared library's tests route requests through: ``create_app`` with a token
verifier that is never asked (its keys' address is not served) and no readiness checks."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from xinyi_shared.auth import TokenVerifier
from xinyi_shared.http import create_app


def bare_app(service: str = "test", **options: Any) -> FastAPI:
    """``create_app`` for ``service``; ``options`` go to it as they are (``body_limits=…``)."""
    return create_app(
        service=service,
        title=service,
        description=service,
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
        **options,
    )
