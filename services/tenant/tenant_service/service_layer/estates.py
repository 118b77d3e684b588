"""Use cases of the estate registry: onboarding with the first accounts, rules, suspension,
export and offboarding, look-ups and memberships."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tenant_service.adapters import events
from tenant_service.adapters.estate_archive import pack_archive
from tenant_service.adapters.estate_data import Archive, EstateDataRepository

# Re-exported: the HTTP layer builds the listing filter without reaching into the adapters.
from tenant_service.adapters.estates import EstateFilter as EstateFilter
from tenant_service.adapters.estates import EstateRepository
from tenant_service.adapters.hierarchy import HierarchyRepository
from tenant_service.domain.estate import (
    Estate,
    EstateProfile,
    EstateRules,
    EstateStatus,
    RuleChange,
    StaffAccount,
    change_in_force,
    check_books_from,
    rules_in_force,
    schedule_rule_change,
)
from xinyi_shared.auth import Role
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound


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

    def organization_accounts_with_roles(self, organization_id: str, roles: tuple[str, ...]) -> list[StaffAccount]: ...


# The roles that make an account of the estate one of the firm's: whom its tickets go to.
FIRM_ROLES = (Role.FIRM_MANAGER, Role.FIRM_STAFF)


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


def estate_today(estate: Estate) -> date:
    return datetime.now(ZoneInfo(estate.profile.time_zone)).date()


def books_begin(estate: Estate) -> date:
    """The first day of the first month of the estate's trust books, when it is onboarded now: the
    month it stated (``books_from``), else the onboarding month. The first rules apply from it, and
    the ledger opens the books from that month (rules.effective_from of EstateOnboarded)."""
    return estate.profile.books_from or estate_today(estate).replace(day=1)


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
    completes the estate stays ``provisioning``: invisible to its people, and no event leaves.

    ``profile.books_from`` (an estate joining with its earlier months' books) is checked against
    today in the estate's time zone before anything is written: never a coming month, at most
    MAX_BOOKS_FROM_MONTHS_BACK months back."""
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
            if profile.books_from is not None:
                check_books_from(profile.books_from, datetime.now(ZoneInfo(profile.time_zone)).date())
            repository.add(
                Estate(profile=profile, status=EstateStatus.PROVISIONING),
                created_by=actor,
                first_accounts=first_accounts,
            )
            _check_hierarchy(HierarchyRepository(session), profile)

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
        # The first rules apply from the first day of the month the books begin (the onboarding month
        # unless the estate brings earlier months): from that month on, every month is billable.
        first_rules = RuleChange(books_begin(estate), profile.initial_rules(), actor, "onboarding")
        repository.add_rule_change(estate.code, first_rules, None)
        events.announce(session, estate.code, events.estate_onboarded(estate, first_rules))
    return Onboarding(estate, created=True, initial_passwords=passwords)


def _check_hierarchy(repository: HierarchyRepository, profile: EstateProfile) -> None:
    """The estate's community must exist and lie in the stated sub-district and district."""
    place = repository.community_place(profile.community_code)
    if place is None:
        raise InvalidInput(f"unknown community {profile.community_code!r}: register it first")
    if place.district_code != profile.district_code:
        raise InvalidInput(f"community {profile.community_code!r} is not in district {profile.district_code!r}")
    if profile.sub_district_code and place.sub_district_code != profile.sub_district_code:
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


def list_estates(
    database: Database, limit: int, offset: int, where: EstateFilter | None = None
) -> tuple[int, list[Estate]]:
    """A page of the district's estates matching ``where``, by code, and how many match in all (the
    count and the page in one transaction): for the platform team only (crosses estates)."""
    where = where or EstateFilter()
    with database.system_session() as session:
        repository = EstateRepository(session)
        return repository.count(where), repository.page(where, limit, offset)


def estate_staff(database: Database, directory: Directory, code: str) -> list[StaffAccount]:
    """The firm's accounts of the estate (members of its organisation with a firm role), by name."""
    estate = get_estate(database, code)
    if estate.directory_id is None:  # pragma: no cover - active estates always have one
        return []
    accounts = directory.organization_accounts_with_roles(estate.directory_id, FIRM_ROLES)
    return sorted(accounts, key=lambda account: (account.display_name, account.username, account.account_id))


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
        events.announce(session, code, events.estate_rules_changed(code, change))
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
        events.announce(session, code, events.estate_suspended(code, reason))
    return estate


def resume_estate(database: Database, code: str) -> Estate:
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is EstateStatus.ACTIVE:
            return estate
        estate = estate.resumed()
        repository.save_status(estate)
        events.announce(session, code, events.estate_resumed(code))
    return estate


def _registered_estate(repository: EstateRepository, code: str) -> Estate:
    """Any estate past provisioning, offboarded ones included (lifecycle steps decide what they allow)."""
    estate = repository.get(code, for_update=True)
    if estate is None or estate.status is EstateStatus.PROVISIONING:
        raise NotFound(f"no estate {code!r}")
    return estate


def export_estate(database: Database, code: str, actor: str) -> Archive:
    """Everything the estate holds, as the archive documented in docs/estate-archive.md."""
    exported_at = datetime.now(UTC)
    with database.estate_session(code) as session:
        estate = _registered_estate(EstateRepository(session), code)
        if estate.status is EstateStatus.OFFBOARDED:
            raise Conflict(f"estate {code!r} is already offboarded; its last archive is kept")
        data = EstateDataRepository(session)
        archive = pack_archive(code, data.estate_row(code), data.table_rows(code), exported_at, actor)
        data.add_archive(code, archive, actor)
    return archive


def get_archive(database: Database, code: str, archive_id: uuid.UUID) -> Archive:
    with database.estate_session(code) as session:
        archive = EstateDataRepository(session).archive(archive_id)
    if archive is None:
        raise NotFound("no such archive")
    return archive


def offboard_estate(database: Database, directory: Directory, code: str, archive_sha256: str) -> Estate:
    """Remove the estate's data, once it is suspended and exported (the archive is named by its hash).

    Repeating the call after a failure finishes the identity provider's part."""
    with database.estate_session(code) as session:
        repository = EstateRepository(session)
        estate = _registered_estate(repository, code)
        if estate.status is not EstateStatus.OFFBOARDED:
            if estate.status is not EstateStatus.SUSPENDED:
                raise Conflict("suspend the estate and export its data before offboarding it")
            data = EstateDataRepository(session)
            if not data.exported_since_last_change(archive_sha256):
                raise Conflict("no archive with that sha256 was exported since the estate was suspended")
            data.delete_all(code)
            estate = estate.offboarded()
            repository.save_status(estate)
            events.announce(session, code, events.estate_offboarded(code, archive_sha256))
    if estate.directory_id:
        directory.remove_organization(estate.directory_id)
    return estate
