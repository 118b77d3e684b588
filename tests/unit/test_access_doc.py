"""docs/access.md stays true: every route each service's app really has (its OpenAPI document, built
in-process without PostgreSQL, Kafka or Keycloak) and every gRPC method of the contracts is in it,
nothing else is, and it says what the end-to-end role tables assert."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from fastapi import FastAPI

from ledger_service.bootstrap import build_app as build_ledger
from ledger_service.settings import LedgerSettings
from microfund_service.bootstrap import build_app as build_microfund
from microfund_service.settings import MicrofundSettings
from tenant_service.bootstrap import build_app as build_tenant
from tenant_service.settings import TenantSettings
from tests.access_doc import CELLS, PASSES, ROLES, access_rows, fill, parse, row_for, table
from tests.e2e import test_access as tenant_e2e
from tests.e2e import test_ledger_access as ledger_e2e
from ticketing_service.bootstrap import build_app as build_ticketing
from ticketing_service.settings import TicketingSettings
from xinyi.ledger.v1 import ledger_pb2
from xinyi.microfund.v1 import microfund_pb2
from xinyi.tenant.v1 import tenant_pb2
from xinyi.ticketing.v1 import ticketing_pb2

# Addresses where nothing answers: building an app connects to nothing (components start with the
# app's lifespan, which is never entered here).
NOWHERE = {"db_port": 9, "kafka_bootstrap": "127.0.0.1:9", "keycloak_url": "http://127.0.0.1:9"}
APPS: dict[str, Callable[[], FastAPI]] = {
    "tenant": lambda: build_tenant(TenantSettings(**NOWHERE)),  # type: ignore[arg-type]
    "ledger": lambda: build_ledger(LedgerSettings(**NOWHERE)),  # type: ignore[arg-type]
    "ticketing": lambda: build_ticketing(TicketingSettings(**NOWHERE)),  # type: ignore[arg-type]
    "microfund": lambda: build_microfund(MicrofundSettings(**NOWHERE)),  # type: ignore[arg-type]
}
GRPC_SERVICES = {
    "tenant": tenant_pb2.DESCRIPTOR.services_by_name["TenantService"],
    "ledger": ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"],
    "ticketing": ticketing_pb2.DESCRIPTOR.services_by_name["TicketingService"],
    "microfund": microfund_pb2.DESCRIPTOR.services_by_name["MicrofundService"],
}
FAMILIES = set(tenant_e2e.FAMILIES)  # the roles the end-to-end tables speak of (no service accounts)
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@cache
def openapi_routes(service: str) -> set[tuple[str, str]]:
    document = APPS[service]().openapi()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_the_document_parses_into_full_rows() -> None:
    rows = access_rows()
    assert {(row.service, row.kind) for row in rows} == {
        ("tenant", "http"),
        ("ledger", "http"),
        ("ticketing", "http"),
        ("microfund", "http"),
        ("tenant", "grpc"),
        ("ledger", "grpc"),
        ("ticketing", "grpc"),
        ("microfund", "grpc"),
    }
    for row in rows:
        assert set(row.cells) == set(ROLES), row
        assert set(row.cells.values()) <= CELLS, row
    keys = [(row.service, row.key) for row in rows]
    assert len(keys) == len(set(keys)), "a route is listed twice"


def test_a_malformed_table_is_refused() -> None:
    header = "| Method | Path | " + " | ".join(ROLES) + " | Why |"
    good = "| GET | /x | " + " | ".join(["yes"] * len(ROLES)) + " | |"
    assert len(parse(f"<!-- access-table: x http -->\n{header}\n| --- |\n{good}\n")) == 1
    with pytest.raises(ValueError, match="unknown cells"):
        parse(f"<!-- access-table: x http -->\n{header}\n| --- |\n{good.replace('yes', 'maybe', 1)}\n")
    with pytest.raises(ValueError, match="header"):
        parse(f"<!-- access-table: x http -->\n{header.replace('resident', 'tenant')}\n| --- |\n{good}\n")


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_route_of_the_app_is_in_the_document_and_nothing_else(service: str) -> None:
    documented = {row.key for row in table(service)}
    served = openapi_routes(service)
    assert not served - documented, f"routes of {service} missing from docs/access.md: {sorted(served - documented)}"
    assert not documented - served, f"docs/access.md lists routes {service} does not have: {documented - served}"


@pytest.mark.parametrize("service", sorted(GRPC_SERVICES))
def test_every_grpc_method_of_the_contract_is_in_the_document(service: str) -> None:
    descriptor = GRPC_SERVICES[service]
    methods = {f"/{descriptor.full_name}/{method.name}" for method in descriptor.methods}
    assert {row.path for row in table(service, "grpc")} == methods


@pytest.mark.parametrize(
    ("method", "template", "allowed"),
    [(m, p, allowed) for m, p, _, allowed in tenant_e2e.ROUTES] + [tenant_e2e.UPLOAD],
    ids=[f"{m} {p}" for m, p, _, _ in tenant_e2e.ROUTES] + [f"{tenant_e2e.UPLOAD[0]} {tenant_e2e.UPLOAD[1]}"],
)
def test_the_tenant_rows_say_what_the_e2e_table_asserts(method: str, template: str, allowed: set[str]) -> None:
    row = row_for("tenant", method, fill(template))
    assert row.roles(*PASSES) & FAMILIES == allowed, f"docs/access.md:{row.line}"
    for family in FAMILIES - allowed:
        # The e2e test takes 403, or 404 for another household, from whoever is not allowed.
        refusals = {"no", "own", "hidden"} if template.endswith("{household}") else {"no"}
        assert row.cells[family] in refusals, f"docs/access.md:{row.line}: {family}"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [(m, p, allowed) for m, p, _, allowed in ledger_e2e.ROUTES],
    ids=[f"{m} {p}" for m, p, _, _ in ledger_e2e.ROUTES],
)
def test_the_ledger_rows_say_what_the_e2e_table_asserts(method: str, path: str, allowed: set[str]) -> None:
    row = row_for("ledger", method, f"/v1/estates/x{path}")
    assert row.roles(*PASSES) & FAMILIES == allowed, f"docs/access.md:{row.line}"
    assert row.roles("no") & FAMILIES == FAMILIES - allowed, f"docs/access.md:{row.line}"


def test_the_household_account_row_says_what_the_e2e_test_asserts() -> None:
    row = row_for("ledger", "GET", f"/v1/estates/x{fill(ledger_e2e.ACCOUNT)}")
    assert row.roles("yes") & FAMILIES == ledger_e2e.ACCOUNT_READERS
    assert row.roles("own") == ledger_e2e.ACCOUNT_OWN_ONLY
    assert row.roles("no") & FAMILIES == FAMILIES - ledger_e2e.ACCOUNT_READERS - ledger_e2e.ACCOUNT_OWN_ONLY


@pytest.mark.parametrize("name", [name for name, _ in tenant_e2e.GRPC_METHODS])
def test_the_grpc_rows_refuse_whom_the_e2e_test_refuses(name: str) -> None:
    (row,) = [row for row in table("tenant", "grpc") if row.path.endswith(f"/{name}")]
    assert row.cells["governance_observer"] == "no"
