"""Use cases of the estate registry: onboarding with the first accounts, rules, suspension,
export and offboarding, look-ups and memberships."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tenant_service.adapters.estates import EstateRepository
from tenant_service.domain.estate import (
    Estate,
    EstateProfile,
    EstateRules,
    EstateStatus,
    RemunerationBasis,
    RuleChange,
    change_in_force,
    rules_in_force,
    schedule_rule_change,
)
from xinyi.tenant.v1 import events_pb2, tenant_pb2
from xinyi_shared.auth import Role
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/tenant"
ARCHIVE_FORMAT = "xinyi-estate-archive"
ARCHIVE_VERSION = 1
# Every table holding the estate's data, in the order an archive lists and a removal deletes them.
ESTATE_TABLES = (
    "ballot_votes",
    "ballot_electorate",
    "ballots",
    "invitations",
    "household_members",
    "people",
    "households",
    "grid_leaders",
    "grids",
    "estate_rule_changes",
)


class Directory(Protocol):
    """The identity provider as the registry needs it (Keycloak in production)."""

    def ensure_organization(self, estate_code: str, name: str) -> str: ...

    def add_member(self, organization_id: str, username: str) -> None: ...

    def add_member_id(self, organization_id: str, user_id: str) -> None: ...

    def ensure_user(
        self, username: str, email: str, first_name: str, last_name: str, role: str
    ) -> tuple[str, str | None]: ...

    def create_user(
        self, username: str, email: str, first_name: str, last_name: str, password: str, role: str
    ) -> str: ...

    def remove_organization(self, organization_id: str) -> int: ...

    def delete_user(self, user_id: str) -> None: ...


@dataclass(frozen=True)
class FirstAccount:
    """An account the platform team asks for at onboarding: the firm's manager or the supervisor."""

    username: str
    email: str
    first_name: str
    last_name: str

    def to_json(self) -> dict[str, str]:
        return {
            "username": self.username,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }


@dataclass(frozen=True)
class Onboarding:
    estate: Estate
    created: bool
    # Temporary passwords of accounts this call created (shown once; never stored or logged).
    initial_passwords: dict[str, str]


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


def estate_today(estate: Estate) -> date:
    return datetime.now(ZoneInfo(estate.profile.time_zone)).date()


def visible_estate(repository: EstateRepository, code: str, *, for_update: bool = False) -> Estate:
    """The estate as its people see it: NotFound while provisioning or once offboarded."""
    estate = repository.get(code, for_update=for_update)
    if estate is None or estate.status in (EstateStatus.PROVISIONING, EstateStatus.OFFBOARDED):
        raise NotFound(f"no estate {code!r}")
    return estate


def writable_estate(repository: EstateRepository, code: str, *, for_update: bool = False) -> Estate:
    """A visible estate that accepts changes (Conflict while suspended)."""
    estate = visible_estate(repository, code, for_update=for_update)
    estate.require_writable()
    return estate


# Onboarding -----------------------------------------------------------------------------------


def onboard_estate(
    database: Database,
    directory: Directory,
    profile: EstateProfile,
    actor: str,
    firm_manager: FirstAccount | None = None,
    supervisor: FirstAccount | None = None,
) -> Onboarding:
    """Create the estate, its Keycloak organisation and first accounts, and announce ``EstateOnboarded``.

    Safe to retry with the same request: a finished onboarding is returned as is (created=False);
    an interrupted one (identity provider down half-way) resumes where it stopped. Until it
    completes the estate stays ``provisioning``: invisible to its people, and no event leaves."""
    first_accounts = {
        role: account.to_json()
        for role, account in ((Role.FIRM_MANAGER, firm_manager), (Role.SUPERVISOR, supervisor))
        if account is not None
    }
    with database.estate_session(profile.code) as session:
        repository = EstateRepository(session)
        existing = repository.get(profile.code, for_update=True)
        if existing is not None:
            existing.check_same_request(profile)
            if (repository.first_accounts(profile.code) or {}) != first_accounts:
                raise Conflict(f"estate {profile.code!r} was onboarded with other first accounts")
            if existing.status is not EstateStatus.PROVISIONING:
                return Onboarding(existing, created=False, initial_passwords={})
        else:
            repository.add(
                Estate(profile=profile, status=EstateStatus.PROVISIONING),
                created_by=actor,
                first_accounts=first_accounts,
            )
            _check_hierarchy(session, profile)

    # Outside any transaction: each step is idempotent, so a retry after a failure repeats it safely.
    directory_id = directory.ensure_organization(profile.code, profile.name)
    passwords: dict[str, str] = {}
    for role, account in first_accounts.items():
        user_id, password = directory.ensure_user(
            account["username"], account["email"], account["first_name"], account["last_name"], role
        )
        directory.add_member_id(directory_id, user_id)
        if password is not None:
            passwords[account["username"]] = password

    with database.estate_session(profile.code) as session:
        repository = EstateRepository(session)
        estate = repository.get(profile.code, for_update=True)
        if estate is None:  # pragma: no cover - rows are never deleted while onboarding
            raise Conflict(f"estate {profile.code!r} vanished during onboarding")
        if estate.status is not EstateStatus.PROVISIONING:
            return Onboarding(estate, created=False, initial_passwords=passwords)  # a concurrent retry finished first
        estate = estate.activated(directory_id)
        repository.save_status(estate)
        # The first rules apply from the first day of the onboarding month: that month is billable.
        repository.add_rule_change(
            estate.code,
            RuleChange(estate_today(estate).replace(day=1), profile.initial_rules(), actor, "onboarding"),
            None,
        )
        publish(
            session,
            TENANT_EVENTS,
            EVENT_SOURCE,
            estate.code,
            events_pb2.EstateOnboarded(estate=estate_to_proto(estate)),
        )
    return Onboarding(estate, created=True, initial_passwords=passwords)


def _check_hierarchy(session: Any, profile: EstateProfile) -> None:
    """The estate's community must exist and lie in the stated sub-district and district."""
    row = session.execute(
        text(
            "SELECT s.code AS sub_district, s.district_code FROM communities c "
            "JOIN sub_districts s ON s.code = c.sub_district_code WHERE c.code = :community"
        ),
        {"community": profile.community_code},
    ).first()
    if row is None:
        raise InvalidInput(f"unknown community {profile.community_code!r}: register it first")
    if row.district_code != profile.district_code:
        raise InvalidInput(f"community {profile.community_code!r} is not in district {profile.district_code!r}")
    if profile.sub_district_code and row.sub_district != profile.sub_district_code:
        raise InvalidInput(f"community {profile.community_code!r} is not in sub-district {profile.sub_district_code!r}")


# Look-ups -------------------------------------------------------------------------------------


def get_estate(database: Database, code: str) -> Estate:
    with database.estate_session(code) as session:
        return visible_estate(EstateRepository(session), code)


def get_estate_with_rules(database: Database, code: str, on: date | None = None) -> tuple[Estate, EstateRules, date]:
    """The estate and the rules in force on ``on`` (today in the estate's time zone by default)."""
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = visible_estate(repository, code)
        changes = repository.rule_changes(code)
    day = on or estate_today(estate)
    in_force = change_in_force(changes, day)
    if in_force is None:
        raise NotFound(f"estate {code!r} had no rules on {day.isoformat()}")
    return estate, in_force.rules, in_force.effective_from


def list_estates(database: Database) -> list[Estate]:
    """Every estate of the district: for the platform team only (crosses estates)."""
    with database.system_session() as session:
        return EstateRepository(session).list_all()


def add_member(database: Database, directory: Directory, code: str, username: str) -> None:
    estate = get_estate(database, code)
    if estate.directory_id is None:  # pragma: no cover - active estates always have one
        raise Conflict(f"estate {code!r} has no organisation yet")
    directory.add_member(estate.directory_id, username)


# Rules ----------------------------------------------------------------------------------------


def change_rules(database: Database, code: str, change: RuleChange) -> EstateRules | None:
    """Schedule new rules from ``change.effective_from``; audited with the rules they replace."""
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = writable_estate(repository, code, for_update=True)
        previous = schedule_rule_change(repository.rule_changes(code), change, estate_today(estate))
        repository.add_rule_change(code, change, previous)
        publish(
            session,
            TENANT_EVENTS,
            EVENT_SOURCE,
            code,
            events_pb2.EstateRulesChanged(estate_code=code, rules=rules_to_proto(change.rules, change.effective_from)),
        )
    return previous


def rules_history(database: Database, code: str) -> tuple[list[dict[str, Any]], EstateRules | None]:
    """The audited history of the estate's rules and the rules in force today."""
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = visible_estate(repository, code)
        audit = repository.rule_audit(code)
        changes = repository.rule_changes(code)
    return audit, rules_in_force(changes, estate_today(estate))


# Suspension, export, offboarding --------------------------------------------------------------


def suspend_estate(database: Database, code: str, reason: str) -> Estate:
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is EstateStatus.SUSPENDED:
            return estate
        estate = estate.suspended()
        repository.save_status(estate, suspended_reason=reason)
        publish(session, TENANT_EVENTS, EVENT_SOURCE, code, events_pb2.EstateSuspended(estate_code=code, reason=reason))
    return estate


def resume_estate(database: Database, code: str) -> Estate:
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is EstateStatus.ACTIVE:
            return estate
        estate = estate.resumed()
        repository.save_status(estate)
        publish(session, TENANT_EVENTS, EVENT_SOURCE, code, events_pb2.EstateResumed(estate_code=code))
    return estate


def _registered_estate(repository: EstateRepository, code: str) -> Estate:
    """Any estate past provisioning, offboarded ones included (lifecycle steps decide what they allow)."""
    estate = repository.get(code, for_update=True)
    if estate is None or estate.status is EstateStatus.PROVISIONING:
        raise NotFound(f"no estate {code!r}")
    return estate


@dataclass(frozen=True)
class Archive:
    id: uuid.UUID
    sha256: str
    size_bytes: int
    content: bytes


def export_estate(database: Database, code: str, actor: str) -> Archive:
    """Everything the estate holds, as the archive documented in docs/estate-archive.md."""
    exported_at = datetime.now(UTC)
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is EstateStatus.OFFBOARDED:
            raise Conflict(f"estate {code!r} is already offboarded; its last archive is kept")
        estate_row = (
            session.execute(text("SELECT * FROM estates WHERE estate_code = :code"), {"code": code}).mappings().one()
        )
        files["estate.json"] = _json_bytes(dict(estate_row))
        for table in reversed(ESTATE_TABLES):
            rows = session.execute(text(f"SELECT * FROM {table} WHERE estate_code = :code"), {"code": code}).mappings()
            lines = [_json_line(dict(row)) for row in rows]
            counts[table] = len(lines)
            files[f"{table}.jsonl"] = b"".join(lines)
        manifest = {
            "format": ARCHIVE_FORMAT,
            "version": ARCHIVE_VERSION,
            "estate_code": code,
            "exported_at": exported_at.isoformat(),
            "exported_by": actor,
            "files": {
                name: {
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "records": counts.get(name.removesuffix(".jsonl"), 1),
                }
                for name, content in files.items()
            },
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", _json_bytes(manifest))
            for name, content in files.items():
                archive.writestr(name, content)
        content = buffer.getvalue()
        result = Archive(uuid.uuid4(), hashlib.sha256(content).hexdigest(), len(content), content)
        session.execute(
            text(
                "INSERT INTO estate_archives (id, estate_code, sha256, size_bytes, content, created_by) "
                "VALUES (:id, :code, :sha, :size, :content, :by)"
            ),
            {
                "id": result.id,
                "code": code,
                "sha": result.sha256,
                "size": result.size_bytes,
                "content": content,
                "by": actor,
            },
        )
    return result


def get_archive(database: Database, code: str, archive_id: uuid.UUID) -> Archive:
    with database.estate_session(code) as session:
        row = session.execute(
            text("SELECT id, sha256, size_bytes, content FROM estate_archives WHERE id = :id"), {"id": archive_id}
        ).first()
    if row is None:
        raise NotFound("no such archive")
    return Archive(row.id, row.sha256, row.size_bytes, bytes(row.content))


def offboard_estate(database: Database, directory: Directory, code: str, archive_sha256: str) -> Estate:
    """Remove the estate's data, once it is suspended and exported (the archive is named by its hash).

    Repeating the call after a failure finishes the identity provider's part."""
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is not EstateStatus.OFFBOARDED:
            if estate.status is not EstateStatus.SUSPENDED:
                raise Conflict("suspend the estate and export its data before offboarding it")
            exported_after_suspension = session.execute(
                text(
                    "SELECT 1 FROM estate_archives a JOIN estates e ON e.estate_code = a.estate_code "
                    "WHERE a.sha256 = :sha AND a.created_at >= e.updated_at"
                ),
                {"sha": archive_sha256},
            ).first()
            if exported_after_suspension is None:
                raise Conflict("no archive with that sha256 was exported since the estate was suspended")
            for table in ESTATE_TABLES:
                session.execute(text(f"DELETE FROM {table} WHERE estate_code = :code"), {"code": code})
            estate = estate.offboarded()
            repository.save_status(estate)
            publish(
                session,
                TENANT_EVENTS,
                EVENT_SOURCE,
                code,
                events_pb2.EstateOffboarded(estate_code=code, archive_sha256=archive_sha256),
            )
    if estate.directory_id:
        directory.remove_organization(estate.directory_id)
    return estate


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default, indent=2, sort_keys=True).encode()


def _json_line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True).encode() + b"\n"
