"""The registry's domain objects as the messages of its contract (proto/xinyi/tenant/v1/tenant.proto),
and gRPC requests' fields as domain values.

The same messages are the gRPC answers (entrypoints/grpc_api.py) and, embedded, the payloads of the
tenant's events (adapters/events.py: ``EstateOnboarded`` carries an ``Estate``, ``HouseholdChanged`` a
``Household``), so they are mapped here once. No personal data is in any of them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from tenant_service.domain.estate import Estate, EstateRules, EstateStatus, RemunerationBasis, StaffAccount
from tenant_service.domain.households import Household, ListedHousehold, Membership
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.errors import InvalidInput

STATUS_TO_PROTO = {
    EstateStatus.PROVISIONING: tenant_pb2.ESTATE_STATUS_PROVISIONING,
    EstateStatus.ACTIVE: tenant_pb2.ESTATE_STATUS_ACTIVE,
    EstateStatus.SUSPENDED: tenant_pb2.ESTATE_STATUS_SUSPENDED,
    EstateStatus.OFFBOARDED: tenant_pb2.ESTATE_STATUS_OFFBOARDED,
}
BASIS_TO_PROTO = {
    RemunerationBasis.COLLECTED: tenant_pb2.REMUNERATION_BASIS_COLLECTED,
    RemunerationBasis.BILLED: tenant_pb2.REMUNERATION_BASIS_BILLED,
}


# Domain → messages ---------------------------------------------------------------------------------


def rules_to_proto(rules: EstateRules, effective_from: date | None) -> tenant_pb2.EstateRules:
    return tenant_pb2.EstateRules(
        effective_from=effective_from.isoformat() if effective_from else "",
        fee_rate_fen_per_sqm_month=str(rules.fee_rate_fen_per_sqm_month),
        remuneration_share_bps=rules.remuneration_share_bps,
        donation_share_bps=rules.donation_share_bps,
        remuneration_basis=BASIS_TO_PROTO[rules.remuneration_basis],
        billing_day=rules.billing_day,
    )


def estate_to_proto(estate: Estate, rules: EstateRules | None = None) -> tenant_pb2.Estate:
    """The estate with ``rules`` (those it was onboarded with by default)."""
    p = estate.profile
    rules = rules or p.initial_rules()
    return tenant_pb2.Estate(
        code=p.code,
        name=p.name,
        district_code=p.district_code,
        sub_district_code=p.sub_district_code,
        community_code=p.community_code,
        fee_rate_fen_per_sqm_month=str(rules.fee_rate_fen_per_sqm_month),
        remuneration_share_bps=rules.remuneration_share_bps,
        donation_share_bps=rules.donation_share_bps,
        remuneration_basis=BASIS_TO_PROTO[rules.remuneration_basis],
        billing_day=rules.billing_day,
        status=STATUS_TO_PROTO[estate.status],
        time_zone=p.time_zone,
        firm_name=p.firm_name,
    )


def household_to_proto(h: Household) -> tenant_pb2.Household:
    return tenant_pb2.Household(
        id=str(h.id),
        estate_code=h.estate_code,
        building=h.building,
        unit=h.unit,
        floor=h.floor,
        room=h.room,
        area_centi_sqm=h.area_centi_sqm,
        grid_code=h.grid_code or "",
        occupied_from=h.occupied_from.isoformat() if h.occupied_from else "",
        occupied_until=h.occupied_until.isoformat() if h.occupied_until else "",
    )


def household_page(households: Sequence[ListedHousehold]) -> tenant_pb2.HouseholdPage:
    """A page of the listing: household_to_proto's messages, each made in place in the page (one made
    apart would be copied in)."""
    page = tenant_pb2.HouseholdPage()
    add = page.households.add
    for h in households:
        add(
            id=h.id,
            estate_code=h.estate_code,
            building=h.building,
            unit=h.unit,
            floor=h.floor,
            room=h.room,
            area_centi_sqm=h.area_centi_sqm,
            grid_code=h.grid_code,
            occupied_from=h.occupied_from,
            occupied_until=h.occupied_until,
        )
    return page


def grid_to_proto(estate_code: str, grid: Mapping[str, Any]) -> tenant_pb2.Grid:
    return tenant_pb2.Grid(
        estate_code=estate_code, code=grid["code"], name=grid["name"], leader_usernames=grid["leaders"]
    )


def membership_to_proto(membership: Membership) -> tenant_pb2.Membership:
    households = membership.households
    return tenant_pb2.Membership(
        member=bool(households),
        household_ids=[str(h.id) for h in households],
        led_grid_codes=membership.led_grid_codes,
    )


# Request fields → domain values ------------------------------------------------------------------------


def household_id_of(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidInput("household_id must be a UUID") from error


def day_of(value: str) -> date | None:
    """An optional ISO date (``rules_on``): None when empty."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput("rules_on must be an ISO date (YYYY-MM-DD)") from error


def staff_to_proto(accounts: list[StaffAccount]) -> tenant_pb2.EstateStaff:
    return tenant_pb2.EstateStaff(
        accounts=[
            tenant_pb2.StaffAccount(
                account_id=account.account_id,
                username=account.username,
                display_name=account.display_name,
                roles=list(account.roles),
            )
            for account in accounts
        ]
    )
