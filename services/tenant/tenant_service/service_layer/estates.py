"""Use cases of the estate registry: onboarding, look-ups, memberships."""

from __future__ import annotations

from typing import Protocol

from tenant_service.adapters.estates import EstateRepository
from tenant_service.domain.estate import Estate, EstateProfile, EstateStatus
from xinyi.tenant.v1 import events_pb2, tenant_pb2
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, NotFound
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/tenant"


class Directory(Protocol):
    """The identity provider as the registry needs it (Keycloak in production, a fake in unit tests)."""

    def ensure_organization(self, estate_code: str, name: str) -> str: ...

    def add_member(self, organization_id: str, username: str) -> None: ...


STATUS_TO_PROTO = {
    EstateStatus.PROVISIONING: tenant_pb2.ESTATE_STATUS_PROVISIONING,
    EstateStatus.ACTIVE: tenant_pb2.ESTATE_STATUS_ACTIVE,
    EstateStatus.SUSPENDED: tenant_pb2.ESTATE_STATUS_SUSPENDED,
    EstateStatus.OFFBOARDED: tenant_pb2.ESTATE_STATUS_OFFBOARDED,
}


def estate_to_proto(estate: Estate) -> tenant_pb2.Estate:
    p = estate.profile
    return tenant_pb2.Estate(
        code=p.code,
        name=p.name,
        district_code=p.district_code,
        community_code=p.community_code,
        fee_rate_fen_per_sqm_month=str(p.fee_rate_fen_per_sqm_month),
        remuneration_share_bps=p.remuneration_share_bps,
        donation_share_bps=p.donation_share_bps,
        status=STATUS_TO_PROTO[estate.status],
        time_zone=p.time_zone,
    )


def onboard_estate(database: Database, directory: Directory, profile: EstateProfile, actor: str) -> tuple[Estate, bool]:
    """Create the estate, its Keycloak organisation, and announce ``EstateOnboarded``.

    Safe to retry with the same profile: a finished onboarding is returned as is (created=False),
    an interrupted one (identity provider down) resumes. The estate stays ``provisioning`` — and no
    event leaves — until the organisation exists."""
    with database.estate_session(profile.code) as session:
        repository = EstateRepository(session)
        existing = repository.get(profile.code, for_update=True)
        if existing is not None:
            existing.check_same_request(profile)
            if existing.status is not EstateStatus.PROVISIONING:
                return existing, False
        else:
            repository.add(Estate(profile=profile, status=EstateStatus.PROVISIONING), created_by=actor)

    directory_id = directory.ensure_organization(profile.code, profile.name)

    with database.estate_session(profile.code) as session:
        repository = EstateRepository(session)
        estate = repository.get(profile.code, for_update=True)
        if estate is None:  # pragma: no cover - rows are never deleted while onboarding
            raise Conflict(f"estate {profile.code!r} vanished during onboarding")
        if estate.status is not EstateStatus.PROVISIONING:
            return estate, False  # a concurrent retry finished first
        estate = estate.activated(directory_id)
        repository.save_status(estate)
        publish(
            session,
            TENANT_EVENTS,
            EVENT_SOURCE,
            estate.code,
            events_pb2.EstateOnboarded(estate=estate_to_proto(estate)),
        )
    return estate, True


def get_estate(database: Database, code: str) -> Estate:
    with database.estate_session(code) as session:
        estate = EstateRepository(session).get(code)
    if estate is None or estate.status is EstateStatus.PROVISIONING:
        raise NotFound(f"no estate {code!r}")
    return estate


def list_estates(database: Database) -> list[Estate]:
    """Every estate of the district: for the platform team only (crosses estates)."""
    with database.system_session() as session:
        return EstateRepository(session).list_all()


def add_member(database: Database, directory: Directory, code: str, username: str) -> None:
    estate = get_estate(database, code)
    if estate.directory_id is None:  # pragma: no cover - active estates always have one
        raise Conflict(f"estate {code!r} has no organisation yet")
    directory.add_member(estate.directory_id, username)
