"""Errors the domain raises, mapped by the API layer to HTTP status codes and gRPC status codes.

Plain Python on purpose: domain code raises these without importing any framework."""

from __future__ import annotations


class XinyiError(Exception):
    """Base of the errors a caller can act on; ``reason`` is safe to show to the caller."""

    http_status = 500
    code = "internal"

    def __init__(self, reason: str, details: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # Structured specifics a client can act on (e.g. every bad row of a file); no personal data.
        self.details = details or {}


class InvalidInput(XinyiError):
    http_status = 422
    code = "invalid_input"


class NotFound(XinyiError):
    http_status = 404
    code = "not_found"


class Conflict(XinyiError):
    http_status = 409
    code = "conflict"


class Unauthenticated(XinyiError):
    http_status = 401
    code = "unauthenticated"


class PermissionDenied(XinyiError):
    http_status = 403
    code = "permission_denied"


class Unavailable(XinyiError):
    """A dependency (Keycloak, another service) is down; the request can be retried as is."""

    http_status = 503
    code = "unavailable"


UNSTORABLE_VALUE = "a value cannot be stored: text with a NUL or another control character, or a number out of range"
"""The answer (422 / INVALID_ARGUMENT) when the database refuses a value as such (SQLSTATE class 22)."""
