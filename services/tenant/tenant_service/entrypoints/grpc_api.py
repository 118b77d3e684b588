"""gRPC API of the estate registry for the other services."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from tenant_service.domain.estate import validate_estate_code
from tenant_service.service_layer import estates as estate_cases
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.grpc_server import current_principal


class TenantServicer(tenant_pb2_grpc.TenantServiceServicer):
    def __init__(self, database: Database) -> None:
        self._database = database

    def GetEstate(self, request: tenant_pb2.GetEstateRequest, context: grpc.ServicerContext) -> tenant_pb2.Estate:
        code = validate_estate_code(request.estate_code)
        require_estate_access(current_principal(), code, Role.SERVICE, *ESTATE_ROLES)
        return estate_cases.estate_to_proto(estate_cases.get_estate(self._database, code))


def register(database: Database) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        tenant_pb2_grpc.add_TenantServiceServicer_to_server(TenantServicer(database), server)

    return add
