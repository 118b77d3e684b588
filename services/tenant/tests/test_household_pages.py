"""ListHouseholdPages (gRPC, billing's read of an estate): the estate's listed households, a thousand a
page, in the listing's order, each the message household_to_proto makes of the same household.

In process, no database: the servicer with a service as caller, the repository a fake that lists
households as the SQL writes them (tests/integration/test_household_listing.py checks the SQL itself
against PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, cast

import pytest

from tenant_service.domain.households import Household, ListedHousehold
from tenant_service.entrypoints.grpc_api import HOUSEHOLD_PAGE, TenantServicer
from tenant_service.entrypoints.grpc_mappers import household_page, household_to_proto
from tenant_service.service_layer import estates as estate_cases
from tenant_service.service_layer import households as cases
from tenant_service.service_layer.estates import Directory
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.db import Database
from xinyi_shared.grpc_server import principal_var

ESTATE = "jinhe-lvzhou"
SERVICE = Principal("ledger-sa", "service-account-ledger-service", frozenset({Role.SERVICE}), frozenset())


def households(count: int) -> list[Household]:
    """Every field different from every other, so a field sent as another would show; some in a grid,
    some occupied, some vacated, some without a unit."""
    first = date(2020, 1, 1)
    return [
        Household(
            id=uuid.uuid4(),
            estate_code=ESTATE,
            building=f"{i // 100 + 1}栋",
            unit="" if i % 5 == 0 else str(i % 3 + 1),
            floor=str(i % 30 + 1),
            room=f"{i % 30 + 1}{i % 4 + 1:02d}",
            area_centi_sqm=8000 + i,
            grid_code=f"G{i % 3}" if i % 2 else None,
            occupied_from=first + timedelta(days=i) if i % 3 else None,
            occupied_until=first + timedelta(days=2 * i) if i % 7 == 1 else None,
        )
        for i in range(count)
    ]


def listed(h: Household) -> ListedHousehold:
    """The household as the listing's SQL writes it (id::text, coalesce(…, ''), to_char(…))."""
    return ListedHousehold(
        str(h.id),
        h.estate_code,
        h.building,
        h.unit,
        h.floor,
        h.room,
        h.area_centi_sqm,
        h.grid_code or "",
        h.occupied_from.isoformat() if h.occupied_from else "",
        h.occupied_until.isoformat() if h.occupied_until else "",
    )


class FakeDatabase:
    @contextmanager
    def estate_session(self, code: str) -> Iterator[object]:
        yield object()


def servicer_listing(monkeypatch: pytest.MonkeyPatch, register: list[Household]) -> TenantServicer:
    class FakeHouseholds:
        def __init__(self, session: object) -> None: ...

        def listing(self, estate_code: str) -> list[ListedHousehold]:
            return [listed(h) for h in register if h.estate_code == estate_code]

    monkeypatch.setattr(cases, "HouseholdRepository", FakeHouseholds)
    monkeypatch.setattr(estate_cases, "get_estate", lambda database, code: None)
    return TenantServicer(cast(Database, FakeDatabase()), cast(Directory, object()))


@pytest.fixture(autouse=True)
def caller() -> Iterator[None]:
    token = principal_var.set(SERVICE)
    yield
    principal_var.reset(token)


def test_a_listed_household_is_the_message_of_the_household() -> None:
    register = households(60)
    page = household_page([listed(h) for h in register])
    assert list(page.households) == [household_to_proto(h) for h in register]


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (1000, [1000]), (2500, [1000, 1000, 500])])
def test_pages_hold_a_thousand_in_the_listings_order(
    monkeypatch: pytest.MonkeyPatch, count: int, sizes: list[int]
) -> None:
    register = households(count)
    servicer = servicer_listing(monkeypatch, register)
    pages = list(servicer.ListHouseholdPages(tenant_pb2.ListHouseholdsRequest(estate_code=ESTATE), cast(Any, None)))
    assert HOUSEHOLD_PAGE == 1000
    assert [len(page.households) for page in pages] == sizes
    assert [h for page in pages for h in page.households] == [household_to_proto(h) for h in register]
