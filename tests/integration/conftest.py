"""Fixtures shared by the integration tests that talk to a service's database directly (as its app
role, with row-level security, on the running PostgreSQL cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import service_settings
from xinyi_shared.db import Database


def _service_database(service: str) -> Iterator[Database]:
    database = Database(service_settings(service))
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def ledger_database() -> Iterator[Database]:
    """The ledger's database, as the ledger's app engine connects to it."""
    yield from _service_database("ledger")


@pytest.fixture(scope="module")
def tenant_database() -> Iterator[Database]:
    """The tenant service's database, as its app engine connects to it."""
    yield from _service_database("tenant")
