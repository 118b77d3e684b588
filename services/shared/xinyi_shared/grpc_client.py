"""Calling another service over gRPC with this service's own token and the current request id."""

from __future__ import annotations

import grpc

from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.errors import InvalidInput, NotFound, PermissionDenied, Unavailable, XinyiError
from xinyi_shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var


def call_metadata(tokens: ServiceTokenProvider) -> list[tuple[str, str]]:
    return [
        ("authorization", f"Bearer {tokens.token()}"),
        (REQUEST_ID_HEADER, request_id_var.get() or new_request_id()),
    ]


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
