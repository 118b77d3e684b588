"""gRPC API of the registry for the other services (no personal data crosses it): check the request's
estate code (INVALID_ARGUMENT when malformed) and the caller's access, call the service layer, answer
the contract's messages (entrypoints/grpc_mappers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc

from tenant_service.entrypoints.grpc_mappers import (
    day_of,
    estate_to_proto,
    grid_to_proto,
    household_id_of,
    household_page,
    household_to_proto,
    membership_to_proto,
    rules_to_proto,
    staff_to_proto,
)
from tenant_service.service_layer import estates as estate_cases
from tenant_service.service_layer import households as household_cases
from tenant_service.service_layer.estates import Directory
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access
from xinyi_shared.codes import validate_estate_code
from xinyi_shared.db import Database
from xinyi_shared.errors import InvalidInput
from xinyi_shared.grpc_server import current_principal

# Services read for any estate; the firm and supervisor of an estate read their own.
READERS = (Role.SERVICE, Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR, Role.GRID_LEADER)
HOUSEHOLD_PAGE = 1000  # households a ListHouseholdPages message carries (about 100 kB)


def _authorised(code: str, *roles: str) -> str:
    """The request's estate code, once it is well formed and the caller may act on it with ``roles``."""
    validate_estate_code(code)
    require_estate_access(current_principal(), code, *roles)
    return code


class TenantServicer(tenant_pb2_grpc.TenantServiceServicer):
    def __init__(self, database: Database, directory: Directory) -> None:
        self._database = database
        self._directory = directory

    def GetEstate(self, request: tenant_pb2.GetEstateRequest, context: grpc.ServicerContext) -> tenant_pb2.Estate:
        code = _authorised(request.estate_code, Role.SERVICE, *ESTATE_ROLES)
        estate, rules, _ = estate_cases.get_estate_with_rules(self._database, code, day_of(request.rules_on))
        return estate_to_proto(estate, rules)

    def GetEstateRules(
        self, request: tenant_pb2.GetEstateRequest, context: grpc.ServicerContext
    ) -> tenant_pb2.EstateRules:
        code = _authorised(request.estate_code, Role.SERVICE, *ESTATE_ROLES)
        _, rules, effective_from = estate_cases.get_estate_with_rules(self._database, code, day_of(request.rules_on))
        return rules_to_proto(rules, effective_from)

    def ListHouseholds(
        self, request: tenant_pb2.ListHouseholdsRequest, context: grpc.ServicerContext
    ) -> Iterator[tenant_pb2.Household]:
        code = _authorised(request.estate_code, *READERS)
        estate_cases.get_estate(self._database, code)
        for household in household_cases.stream_households(self._database, code):
            yield household_to_proto(household)

    def ListHouseholdPages(
        self, request: tenant_pb2.ListHouseholdsRequest, context: grpc.ServicerContext
    ) -> Iterator[tenant_pb2.HouseholdPage]:
        code = _authorised(request.estate_code, *READERS)
        estate_cases.get_estate(self._database, code)
        households = household_cases.household_listing(self._database, code)
        for start in range(0, len(households), HOUSEHOLD_PAGE):
            yield household_page(households[start : start + HOUSEHOLD_PAGE])

    def GetHousehold(
        self, request: tenant_pb2.GetHouseholdRequest, context: grpc.ServicerContext
    ) -> tenant_pb2.Household:
        code = _authorised(request.estate_code, *READERS)
        household = household_cases.get_household(self._database, code, household_id_of(request.household_id))
        return household_to_proto(household)

    def ResolveGrid(self, request: tenant_pb2.ResolveGridRequest, context: grpc.ServicerContext) -> tenant_pb2.Grid:
        code = _authorised(request.estate_code, *READERS)
        grid = household_cases.resolve_grid(self._database, code, household_id_of(request.household_id))
        return grid_to_proto(code, grid)

    def CheckMembership(
        self, request: tenant_pb2.CheckMembershipRequest, context: grpc.ServicerContext
    ) -> tenant_pb2.Membership:
        code = _authorised(request.estate_code, Role.SERVICE)
        if not request.user_id:
            raise InvalidInput("user_id is required")
        return membership_to_proto(household_cases.membership(self._database, code, request.user_id, request.username))

    def ListEstateStaff(
        self, request: tenant_pb2.ListEstateStaffRequest, context: grpc.ServicerContext
    ) -> tenant_pb2.EstateStaff:
        code = _authorised(request.estate_code, Role.SERVICE)
        return staff_to_proto(estate_cases.estate_staff(self._database, self._directory, code))


def register(database: Database, directory: Directory) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        tenant_pb2_grpc.add_TenantServiceServicer_to_server(TenantServicer(database, directory), server)

    return add
