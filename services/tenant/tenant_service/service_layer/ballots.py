"""Use cases of owners' ballots (一户一票): open, vote, close (by hand or when due), verify."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from tenant_service.adapters import events
from tenant_service.adapters.ballots import BallotRepository, due_ballots
from tenant_service.adapters.estates import EstateRepository
from tenant_service.adapters.households import HouseholdRepository
from tenant_service.domain.ballots import Ballot, BallotResult, BallotTerms, verify_receipt
from tenant_service.service_layer.estates import writable_estate
from xinyi_shared.auth import Principal, Role
from xinyi_shared.db import Database
from xinyi_shared.errors import InvalidInput, NotFound, PermissionDenied

log = logging.getLogger(__name__)

GENERAL = "general"
SERVICE_PLAN = "service_plan"  # the firm may open these: owners choose among its service plans


def open_ballot(database: Database, code: str, principal: Principal, kind: str, terms: BallotTerms) -> Ballot:
    if kind not in (GENERAL, SERVICE_PLAN):
        raise InvalidInput("kind must be 'general' or 'service_plan'")
    if not principal.has_role(Role.SUPERVISOR) and not (kind == SERVICE_PLAN and principal.has_role(Role.FIRM_MANAGER)):
        raise PermissionDenied("ballots are opened by the supervisor (the firm may open service-plan choices)")
    now = datetime.now(UTC)
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        electorate = [str(h) for h in HouseholdRepository(session).ids(code)]
        if not electorate:
            raise InvalidInput("the estate has no households to vote")
        ballot = Ballot.open(str(uuid.uuid4()), code, terms, electorate, now)
        BallotRepository(session).add(ballot, kind, principal.username)
        events.announce(session, code, events.ballot_opened(ballot))
    return ballot


def cast_vote(
    database: Database,
    code: str,
    ballot_id: uuid.UUID,
    principal: Principal,
    option: str,
    household_id: uuid.UUID | None,
) -> tuple[str, str]:
    """The caller's household votes (a later vote of any member replaces it); returns (household, receipt)."""
    with database.estate_session(code) as session:
        writable_estate(EstateRepository(session), code)
        households = HouseholdRepository(session).households_of_user(code, principal.subject)
        if not households:
            raise PermissionDenied("only members of a household of this estate can vote")
        if household_id is None:
            if len(households) > 1:
                raise InvalidInput("you belong to several households: say which one votes (household_id)")
            household_id = households[0]
        elif household_id not in households:
            raise PermissionDenied("you are not a member of that household")
        repository = BallotRepository(session)
        # FOR SHARE: votes go on side by side, while a close (FOR UPDATE) waits for them or they for it.
        loaded = repository.get(ballot_id, lock="FOR SHARE")
        if loaded is None:
            raise NotFound("no such ballot in this estate")
        ballot, _ = loaded
        vote, receipt = ballot.cast(str(household_id), option, principal.username, datetime.now(UTC))
        repository.save_vote(ballot.ballot_id, code, vote)
    return str(household_id), receipt


def close_ballot(
    database: Database, code: str, ballot_id: uuid.UUID, closed_by: str, force: bool = False
) -> BallotResult:
    """Count the votes, store and publish the result (``BallotClosed``); closing again returns it."""
    with database.estate_session(code) as session:
        repository = BallotRepository(session)
        loaded = repository.get(ballot_id, lock="FOR UPDATE")
        if loaded is None:
            raise NotFound("no such ballot in this estate")
        ballot, _ = loaded
        if ballot.result is not None:
            return ballot.result
        result = ballot.close(datetime.now(UTC), closed_by, force=force)
        repository.save_result(ballot)
        events.announce(session, code, events.ballot_closed(ballot, result))
    return result


def ballot_view(database: Database, code: str, ballot_id: uuid.UUID, principal: Principal) -> dict[str, Any]:
    """What a member of the estate sees: the terms, turnout, their own household's choice, and the
    result with its audit list once closed. Never how another household voted."""
    with database.estate_session(code) as session:
        loaded = BallotRepository(session).get(ballot_id)
        if loaded is None:
            raise NotFound("no such ballot in this estate")
        ballot, kind = loaded
        own_households = HouseholdRepository(session).households_of_user(code, principal.subject)
    now = datetime.now(UTC)
    t = ballot.terms
    own = {
        str(h): getattr(ballot.own_vote(str(h)), "option", None) for h in own_households if str(h) in ballot.electorate
    }
    return {
        "id": ballot.ballot_id,
        "kind": kind,
        "subject": t.subject,
        "question": t.question,
        "options": list(t.options),
        "quorum_bps": t.quorum_bps,
        "threshold": t.threshold.value,
        "threshold_base": t.threshold_base.value,
        "opens_at": t.opens_at,
        "closes_at": t.closes_at,
        "status": ballot.status(now).value,
        "electorate_size": ballot.electorate_size,
        "votes_cast": ballot.votes_cast,
        "own_votes": own,
        "result": ballot.result.as_dict() if ballot.result else None,
    }


def list_ballots(database: Database, code: str, limit: int, offset: int) -> tuple[int, list[dict[str, object]]]:
    """A page of the estate's ballots, the latest opening first, and how many it has in all."""
    with database.estate_session(code) as session:
        repository = BallotRepository(session)
        return repository.count(code), repository.list(code, limit, offset)


def check_receipt(database: Database, code: str, ballot_id: uuid.UUID, receipt_code: str) -> str | None:
    with database.estate_session(code) as session:
        loaded = BallotRepository(session).get(ballot_id)
    if loaded is None:
        raise NotFound("no such ballot in this estate")
    ballot, _ = loaded
    if ballot.result is None:
        raise InvalidInput("receipts can be checked once the ballot is closed")
    return verify_receipt(ballot.result, ballot.ballot_id, receipt_code)


class BallotCloser:
    """Background component: closes ballots whose closing time has passed and publishes the result."""

    def __init__(self, database: Database, poll_seconds: float = 2.0) -> None:
        self._database = database
        self._poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ballot-closer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def close_due(self) -> int:
        with self._database.system_session() as session:
            due = due_ballots(session, datetime.now(UTC))
        for estate_code, ballot_id in due:
            close_ballot(self._database, estate_code, ballot_id, closed_by="system: closing time reached")
        return len(due)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.close_due()
            except Exception as error:  # noqa: BLE001 - keep closing other ballots on the next round
                log.warning("closing due ballots failed; will retry", extra={"error": repr(error)})
            self._stop.wait(self._poll_seconds)
