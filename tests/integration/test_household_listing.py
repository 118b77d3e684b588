"""The households ListHouseholdPages sends, read as text from the real PostgreSQL (the repository's
``listing``), are the very messages the Household objects of ``stream`` map to: with and without a
grid, an occupancy, a unit, whatever the session's DateStyle, in the same order, and only the estate's
own (row-level security holds on the DBAPI cursor too).

Each test writes its households in a transaction on the tenant's app role and rolls it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tenant_service.adapters.households import HouseholdRepository
from tenant_service.domain.households import Household
from tenant_service.entrypoints.grpc_mappers import household_page, household_to_proto
from tests.harness import unique_code
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.db import Database, set_estate

GRID = "G1"


@pytest.fixture
def estate() -> str:
    return unique_code("listing")


@pytest.fixture
def session(tenant_database: Database, estate: str) -> Iterator[Session]:
    """A transaction in ``estate``, as the service's estate sessions are, rolled back at the end."""
    session = tenant_database.new_session()
    session.begin()
    set_estate(session, estate)
    yield session
    session.rollback()
    session.close()


def household(
    estate: str,
    building: str,
    unit: str,
    room: str,
    grid_code: str | None = None,
    occupied_from: date | None = None,
    occupied_until: date | None = None,
) -> Household:
    return Household(
        id=uuid.uuid4(),
        estate_code=estate,
        building=building,
        unit=unit,
        floor=room[:-2],
        room=room,
        area_centi_sqm=9050 + len(room),
        grid_code=grid_code,
        occupied_from=occupied_from,
        occupied_until=occupied_until,
    )


def register(repository: HouseholdRepository, estate: str) -> list[Household]:
    """Households written out of order: in a grid or none, occupied or vacated or neither, without a
    unit, a date before the year 1000 (still four digits)."""
    repository.add_grid(estate, GRID, "一网格")
    households = [
        household(estate, "3", "2", "1502", grid_code=GRID, occupied_from=date(2024, 3, 1)),
        household(estate, "1", "", "101"),
        household(estate, "A座", "1", "0901", occupied_from=date(2023, 1, 5), occupied_until=date(2025, 10, 20)),
        household(estate, "1", "", "1001", grid_code=GRID, occupied_from=date(999, 12, 31)),
        household(estate, "10", "1", "201", grid_code=GRID),
    ]
    repository.add_households(households)
    for h in households:
        if h.occupied_until:
            repository.save_occupancy(h)
    return households


def pages_of_objects(repository: HouseholdRepository, estate: str) -> bytes:
    return tenant_pb2.HouseholdPage(
        households=[household_to_proto(h) for h in repository.stream(estate)]
    ).SerializeToString()


def test_the_listing_sends_what_the_household_objects_map_to(session: Session, estate: str) -> None:
    repository = HouseholdRepository(session)
    households = register(repository, estate)

    page = household_page(repository.listing(estate))
    assert page.SerializeToString() == pages_of_objects(repository, estate)
    assert len(page.households) == len(households)
    assert [(h.building, h.unit, h.room) for h in page.households] == sorted(
        (h.building, h.unit, h.room) for h in households
    ), "the register's order: building, unit, room"
    vacated = next(h for h in page.households if h.occupied_until)
    assert (vacated.grid_code, vacated.occupied_from, vacated.occupied_until) == ("", "2023-01-05", "2025-10-20")
    assert "0999-12-31" in {h.occupied_from for h in page.households}


@pytest.mark.parametrize("datestyle", ["German, DMY", "SQL, MDY", "Postgres, DMY"])
def test_dates_are_iso_whatever_the_sessions_datestyle(session: Session, estate: str, datestyle: str) -> None:
    repository = HouseholdRepository(session)
    register(repository, estate)
    iso = repository.listing(estate)
    session.execute(text(f"SET LOCAL DateStyle = '{datestyle}'"))
    assert repository.listing(estate) == iso
    assert household_page(iso).SerializeToString() == pages_of_objects(repository, estate)


def test_the_listing_holds_only_the_sessions_estate(session: Session, estate: str) -> None:
    repository = HouseholdRepository(session)
    register(repository, estate)
    neighbour = unique_code("listing")
    set_estate(session, neighbour)
    repository.add_households([household(neighbour, "9", "9", "909")])
    set_estate(session, estate)

    assert {h.estate_code for h in repository.listing(estate)} == {estate}
    assert repository.listing(neighbour) == [], "row-level security: another estate's households stay unseen"
