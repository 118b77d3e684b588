"""The tenant service as the ledger sees it: estates, their rules on a date, and households."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import grpc

from ledger_service.domain.books import EstateTerms
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.grpc_client import call_metadata, channel, translate_rpc_error
from xinyi_shared.settings import ServiceSettings

BASIS = {
    tenant_pb2.REMUNERATION_BASIS_COLLECTED: "collected",
    tenant_pb2.REMUNERATION_BASIS_BILLED: "billed",
}


@dataclass(frozen=True)
class EstateInfo:
    code: str
    name: str
    community_code: str
    time_zone: str
    district_code: str = ""


@dataclass(frozen=True)
class PeriodRules:
    """The estate's rules in force on the first day of a billing period."""

    fee_rate_fen_per_sqm_month: Decimal
    remuneration_share_bps: int
    donation_share_bps: int
    remuneration_basis: str
    billing_day: int


class BillableHousehold(NamedTuple):
    """A household as billing needs it (a tuple: a district streams hundreds of thousands)."""

    id: str
    area_centi_sqm: int
    occupied_from: date | None
    occupied_until: date | None


def period_rules(rules: tenant_pb2.EstateRules) -> PeriodRules:
    return PeriodRules(
        fee_rate_fen_per_sqm_month=Decimal(rules.fee_rate_fen_per_sqm_month),
        remuneration_share_bps=rules.remuneration_share_bps,
        donation_share_bps=rules.donation_share_bps,
        remuneration_basis=BASIS.get(rules.remuneration_basis, "collected"),
        billing_day=rules.billing_day or 1,
    )


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def estate_terms(estate: tenant_pb2.Estate) -> tuple[EstateTerms, EstateInfo]:
    """The terms and profile an estate message states (GetEstate's answer, or an onboarding event's)."""
    terms = EstateTerms(
        estate_code=estate.code,
        fee_rate_fen_per_sqm_month=Decimal(estate.fee_rate_fen_per_sqm_month),
        remuneration_share_bps=estate.remuneration_share_bps,
        donation_share_bps=estate.donation_share_bps,
    )
    info = EstateInfo(
        estate.code, estate.name, estate.community_code, estate.time_zone or "Asia/Shanghai", estate.district_code
    )
    return terms, info


class TenantClient:
    def __init__(self, settings: ServiceSettings, tokens: ServiceTokenProvider) -> None:
        self._channel = channel(settings.tenant_grpc_target)
        self._stub = tenant_pb2_grpc.TenantServiceStub(self._channel)
        self._tokens = tokens

    def estate(self, estate_code: str) -> tuple[EstateTerms, EstateInfo]:
        """The estate's terms and profile, from one GetEstate call."""
        return estate_terms(self._estate(estate_code))

    def rules_message(self, estate_code: str, day: date) -> tenant_pb2.EstateRules:
        """The rules in force on ``day``, as the tenant service states them (with their start date)."""
        try:
            rules: tenant_pb2.EstateRules = self._stub.GetEstateRules(
                tenant_pb2.GetEstateRequest(estate_code=estate_code, rules_on=day.isoformat()),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
            return rules
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error

    def rules_on(self, estate_code: str, day: date) -> PeriodRules:
        return period_rules(self.rules_message(estate_code, day))

    def households(self, estate_code: str) -> Iterator[BillableHousehold]:
        try:
            for page in self._stub.ListHouseholdPages(
                tenant_pb2.ListHouseholdsRequest(estate_code=estate_code),
                metadata=call_metadata(self._tokens),
                timeout=120,
            ):
                for household in page.households:
                    yield BillableHousehold(
                        household.id,
                        household.area_centi_sqm,
                        _date(household.occupied_from),
                        _date(household.occupied_until),
                    )
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error

    def household(self, estate_code: str, household_id: str) -> BillableHousehold:
        try:
            h = self._stub.GetHousehold(
                tenant_pb2.GetHouseholdRequest(estate_code=estate_code, household_id=household_id),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error
        return BillableHousehold(h.id, h.area_centi_sqm, _date(h.occupied_from), _date(h.occupied_until))

    def households_of_user(self, estate_code: str, user_id: str) -> list[str]:
        try:
            membership = self._stub.CheckMembership(
                tenant_pb2.CheckMembershipRequest(estate_code=estate_code, user_id=user_id),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error
        return list(membership.household_ids)

    def _estate(self, estate_code: str) -> tenant_pb2.Estate:
        try:
            estate: tenant_pb2.Estate = self._stub.GetEstate(
                tenant_pb2.GetEstateRequest(estate_code=estate_code), metadata=call_metadata(self._tokens), timeout=10
            )
            return estate
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error

    def close(self) -> None:
        self._channel.close()
