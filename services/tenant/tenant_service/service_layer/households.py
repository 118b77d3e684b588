"""Use cases of households, grids, memberships and invitations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from tenant_service.adapters import events
from tenant_service.adapters.estates import EstateRepository
from tenant_service.adapters.household_files import parse_household_file
from tenant_service.adapters.households import HouseholdRepository
from tenant_service.domain.household_import import ImportResult, RowError
from tenant_service.domain.households import Household, ListedHousehold, Membership, Person, RegisterScope, Relation
from tenant_service.domain.invitations import Invitation, hash_code, validate_username
from tenant_service.domain.personal_data import mask_name, mask_phone
from tenant_service.service_layer.estates import Directory, visible_estate, writable_estate
from xinyi_shared.auth import Principal, Role
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound

# Who reads the whole household register; a grid leader without one of these roles reads the
# households of the grids it leads (docs/access.md), anyone else only its own households.
WHOLE_REGISTER_READERS = (Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR, Role.PLATFORM_ADMIN)


def register_scope(reader: Principal) -> RegisterScope:
    """Which households of the register ``reader`` sees, its own households aside."""
    if reader.has_role(*WHOLE_REGISTER_READERS):
        return RegisterScope.whole_estate()
    if reader.has_role(Role.GRID_LEADER):
        return RegisterScope.grids_led_by(reader.username)
    return RegisterScope.none()


class ImportRejected(InvalidInput):
    """A household file with bad rows: nothing was imported; every bad row is named."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            f"{len(errors)} problem(s) in the file; nothing was imported",
            details={"row_errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in errors]},
        )


def import_households(database: Database, code: str, filename: str, content: bytes) -> list[uuid.UUID]:
    """Import a firm's household list: all rows in one transaction, or none with every bad row named."""
    parsed: ImportResult = parse_household_file(filename, content)
    if not parsed.ok:
        raise ImportRejected(parsed.errors or [RowError(1, "", "the file holds no households")])
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        repository = HouseholdRepository(session)
        existing = repository.existing_dwellings(code)
        grids = repository.grid_codes(code)
        errors = []
        for row in parsed.rows:
            if (row.building, row.unit, row.room) in existing:
                errors.append(RowError(row.line, "", "this dwelling is already registered in the estate"))
            if row.grid_code and row.grid_code not in grids:
                errors.append(RowError(row.line, "grid", f"unknown grid {row.grid_code!r}: create it first"))
        if errors:
            raise ImportRejected(errors)
        households, people, members = [], [], []
        # One person per (name, phone): an owner of several dwellings is one person, in several households.
        known_people = repository.people_by_name_and_phone(code)
        for row in parsed.rows:
            household = Household(
                id=uuid.uuid4(),
                estate_code=code,
                building=row.building,
                unit=row.unit,
                floor=row.floor,
                room=row.room,
                area_centi_sqm=row.area_centi_sqm,
                grid_code=row.grid_code or None,
                occupied_from=row.occupied_from,
            )
            identity = (row.owner_name, row.owner_phone)
            owner_id = known_people.get(identity) if row.owner_phone else None
            if owner_id is None:
                owner = Person(id=uuid.uuid4(), estate_code=code, name=row.owner_name, phone=row.owner_phone)
                people.append(owner)
                owner_id = owner.id
                if row.owner_phone:
                    known_people[identity] = owner_id
            households.append(household)
            members.append((household.id, owner_id, Relation.OWNER, row.occupied_from))
        repository.add_households(households)
        repository.add_people(people)
        repository.add_members(code, members)
        ids = [h.id for h in households]
        events.announce(session, code, events.households_imported(code, ids))
    return ids


def change_occupancy(
    database: Database, code: str, household_id: uuid.UUID, occupied_from: date | None, occupied_until: date | None
) -> Household:
    """Record a move-in or move-out (billing follows these dates); announced as HouseholdChanged."""
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        repository = HouseholdRepository(session)
        household = repository.get(household_id)
        if household is None:
            raise NotFound("no such household in this estate")
        changed = replace(household, occupied_from=occupied_from, occupied_until=occupied_until)  # validates
        repository.save_occupancy(changed)
        events.announce(session, code, events.household_changed(changed))
    return changed


def list_households(
    database: Database,
    code: str,
    reader: Principal,
    limit: int,
    offset: int,
    search: str | None = None,
    grid: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the households ``reader`` sees (the firm and the supervisor: the estate's; a grid
    leader: those of the grids it leads) and their total, owners' names and phones masked (lists
    never show them whole)."""
    scope = register_scope(reader)
    if scope.sees_nothing:
        return 0, []
    with database.estate_session(code) as session:
        repository = HouseholdRepository(session)
        total = repository.count(code, scope, search, grid)
        rows = repository.list_with_owners(code, limit, offset, scope, search, grid)
    for row in rows:
        row["owners"] = [
            {"name": mask_name(name), "phone": mask_phone(phone) if phone else ""}
            for name, phone in zip(row.pop("owner_names"), row.pop("owner_phones"), strict=True)
        ]
    return total, rows


def read_household(database: Database, code: str, household_id: uuid.UUID, reader: Principal) -> Household:
    """A household ``reader`` may see: any of the estate for the firm and the supervisor, one of the
    grids it leads for a grid leader, and anyone's own households. Any other is not found, as an
    unknown one: the answer does not tell that it exists."""
    scope = register_scope(reader)
    with database.estate_session(code) as session:
        repository = HouseholdRepository(session)
        household = None if scope.sees_nothing else repository.get(household_id, scope)
        if household is None and household_id in repository.households_of_user(code, reader.subject):
            household = repository.get(household_id)
    if household is None:
        raise NotFound("no such household in this estate")
    return household


def get_household(database: Database, code: str, household_id: uuid.UUID) -> Household:
    with database.estate_session(code) as session:
        household = HouseholdRepository(session).get(household_id)
    if household is None:
        raise NotFound("no such household in this estate")
    return household


def stream_households(database: Database, code: str) -> list[Household]:
    with database.estate_session(code) as session:
        return list(HouseholdRepository(session).stream(code))


def household_listing(database: Database, code: str) -> list[ListedHousehold]:
    """The estate's households as ListHouseholdPages sends them, in stream_households' order, written
    by PostgreSQL: the same messages for a fraction of the work of a Household per row."""
    with database.estate_session(code) as session:
        return HouseholdRepository(session).listing(code)


def household_members(database: Database, code: str, household_id: uuid.UUID) -> list[dict[str, Any]]:
    """The members of a household, for the firm and the supervisor (contacts masked)."""
    get_household(database, code, household_id)
    with database.estate_session(code) as session:
        members = HouseholdRepository(session).members(household_id)
    return [
        {
            "person_id": str(m["id"]),
            "name": mask_name(m["name"]),
            "phone": mask_phone(m["phone"]) if m["phone"] else "",
            "relation": m["relation"],
            "has_account": m["user_id"] is not None,
            "since": m["since"],
        }
        for m in members
    ]


def households_of(database: Database, code: str, user_id: str) -> list[Household]:
    with database.estate_session(code) as session:
        return _households_of(HouseholdRepository(session), code, user_id)


def _households_of(repository: HouseholdRepository, code: str, user_id: str) -> list[Household]:
    return [h for h in (repository.get(i) for i in repository.households_of_user(code, user_id)) if h is not None]


def membership(database: Database, code: str, user_id: str, username: str = "") -> Membership:
    """Which households of the estate ``user_id`` belongs to and, given its ``username``, which grids
    it leads (leaders are named by username, compared lower-case as for the register's scope)."""
    with database.estate_session(code) as session:
        repository = HouseholdRepository(session)
        return Membership(
            households=_households_of(repository, code, user_id),
            led_grid_codes=repository.grids_led_by(code, RegisterScope.grids_led_by(username)),
        )


# Grids ----------------------------------------------------------------------------------------


def create_grid(database: Database, code: str, grid_code: str, name: str) -> bool:
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        return HouseholdRepository(session).add_grid(code, grid_code, name)


def list_grids(database: Database, code: str) -> list[dict[str, Any]]:
    with database.estate_session(code) as session:
        return HouseholdRepository(session).grids(code)


def set_grid_leaders(database: Database, code: str, grid_code: str, usernames: list[str]) -> None:
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        repository = HouseholdRepository(session)
        if grid_code not in repository.grid_codes(code):
            raise NotFound(f"no grid {grid_code!r} in this estate")
        repository.set_grid_leaders(code, grid_code, sorted(set(usernames)))


def assign_grid(database: Database, code: str, grid_code: str, household_ids: list[uuid.UUID]) -> int:
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        repository = HouseholdRepository(session)
        if grid_code not in repository.grid_codes(code):
            raise NotFound(f"no grid {grid_code!r} in this estate")
        assigned = repository.assign_grid(code, grid_code, household_ids)
        if assigned != len(set(household_ids)):
            raise NotFound("some of those households are not in this estate")
        for household_id in household_ids:
            household = repository.get(household_id)
            if household is not None:
                events.announce(session, code, events.household_changed(household))
        return assigned


def resolve_grid(database: Database, code: str, household_id: uuid.UUID) -> dict[str, Any]:
    household = get_household(database, code, household_id)
    if household.grid_code is None:
        raise NotFound("this household belongs to no grid")
    with database.estate_session(code) as session:
        grid = HouseholdRepository(session).grid(code, household.grid_code)
    if grid is None:  # pragma: no cover - the foreign key keeps grids of households
        raise NotFound("this household belongs to no grid")
    return grid


# Invitations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    username: str
    email: str
    first_name: str
    last_name: str
    password: str


def invite(
    database: Database, code: str, household_id: uuid.UUID, relation: Relation, contact: str, actor: str
) -> tuple[Invitation, str]:
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        repository = HouseholdRepository(session)
        if repository.get(household_id) is None:
            raise NotFound("no such household in this estate")
        invitation, claim_code = Invitation.issue(code, household_id, relation, contact, datetime.now(UTC))
        repository.add_invitation(invitation, actor)
    return invitation, claim_code


# The one answer to a claim whose estate or code is not known.
CLAIM_REFUSED = "no such invitation for this estate"


def claim_invitation(database: Database, directory: Directory, code: str, claim_code: str, claim: Claim) -> str:
    """The invitee creates an account that carries the estate and the resident role, and joins the
    household (as the invited owner's person when the contact matches, else as a new member)."""
    username = validate_username(claim.username)
    if len(claim.password) < 12:
        raise InvalidInput("password must be at least 12 characters")
    with database.estate_session(code) as session:
        estates = EstateRepository(session)
        repository = HouseholdRepository(session)
        # The same look-ups and the same answer whether the estate is unknown or the code wrong, so that
        # a claim does not tell a known estate from an unknown one; only the code's holder learns more
        # (a suspended estate, a claimed or expired invitation).
        invitation = repository.invitation_by_code_hash(hash_code(claim_code))
        try:
            estate = visible_estate(estates, code)
        except NotFound:
            raise NotFound(CLAIM_REFUSED) from None
        if invitation is None:
            raise NotFound(CLAIM_REFUSED)
        estate.require_writable()
        invitation.check_claimable(datetime.now(UTC))
        user_id = directory.create_user(
            username, claim.email, claim.first_name, claim.last_name, claim.password, Role.RESIDENT
        )
        try:
            if estate.directory_id:
                directory.add_member_id(estate.directory_id, user_id)
            _join(repository, code, invitation, user_id, f"{claim.last_name}{claim.first_name}", claim.email)
            session.flush()
        except Exception:
            # Undo the account so that the invitation, still pending, can be claimed again.
            directory.delete_user(user_id)
            raise
    return user_id


def join_household(database: Database, code: str, claim_code: str, principal: Principal) -> Household:
    """A resident who already has an account of the estate (the platform team made it a member)
    claims the household an invitation names with that account: no new account, the same code, the
    same checks. Its person is the invited owner's when the contact matches, else a new member."""
    with database.estate_session(code) as session:
        repository = HouseholdRepository(session)
        writable_estate(EstateRepository(session), code)
        invitation = repository.invitation_by_code_hash(hash_code(claim_code))
        if invitation is None:
            raise NotFound(CLAIM_REFUSED)
        invitation.check_claimable(datetime.now(UTC))
        if invitation.household_id in repository.households_of_user(code, principal.subject):
            raise Conflict("your account already belongs to this household")
        _join(repository, code, invitation, principal.subject, principal.username, "")
        household = repository.get(invitation.household_id)
    if household is None:  # pragma: no cover - households are never deleted while invitations point at them
        raise NotFound(CLAIM_REFUSED)
    return household


def _join(
    repository: HouseholdRepository, code: str, invitation: Invitation, user_id: str, name: str, email: str
) -> None:
    """Link the account to the invited person of the household (the owner the contact names), or to a
    new member of it; the invitation is spent."""
    person_id = repository.person_by_contact(invitation.household_id, invitation.contact)
    if person_id is None:
        email_contact = "@" in invitation.contact
        person = Person(
            id=uuid.uuid4(),
            estate_code=code,
            name=name,
            phone="" if email_contact else invitation.contact,
            email=email or (invitation.contact if email_contact else ""),
        )
        repository.add_people([person])
        repository.add_members(code, [(invitation.household_id, person.id, invitation.relation, None)])
        person_id = person.id
    repository.link_user(person_id, user_id)
    repository.mark_claimed(invitation.id, user_id)
