"""The tenant's events (proto/xinyi/tenant/v1/events.proto) built from domain objects and written to the
outbox in the caller's transaction, to leave for ``xinyi.tenant.events.v1`` once it commits.

The use cases say what happened (``announce(session, code, estate_onboarded(estate))``); the protobuf
is made here. No personal data is in any event: households travel without names or phones."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from tenant_service.domain.ballots import Ballot, BallotResult
from tenant_service.domain.estate import Estate, RuleChange
from tenant_service.domain.households import Household
from tenant_service.entrypoints.grpc_mappers import estate_to_proto, household_to_proto, rules_to_proto
from xinyi.tenant.v1 import events_pb2
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/tenant"


def announce(session: Session, estate_code: str, event: Message) -> None:
    """Write ``event`` about the estate to the outbox, in ``session``'s transaction."""
    publish(session, TENANT_EVENTS, EVENT_SOURCE, estate_code, event)


# Estates ----------------------------------------------------------------------------------------------


def estate_onboarded(estate: Estate, first_rules: RuleChange) -> events_pb2.EstateOnboarded:
    return events_pb2.EstateOnboarded(
        estate=estate_to_proto(estate, first_rules.rules),
        rules=rules_to_proto(first_rules.rules, first_rules.effective_from),
    )


def estate_rules_changed(estate_code: str, change: RuleChange) -> events_pb2.EstateRulesChanged:
    return events_pb2.EstateRulesChanged(
        estate_code=estate_code, rules=rules_to_proto(change.rules, change.effective_from)
    )


def estate_suspended(estate_code: str, reason: str) -> events_pb2.EstateSuspended:
    return events_pb2.EstateSuspended(estate_code=estate_code, reason=reason)


def estate_resumed(estate_code: str) -> events_pb2.EstateResumed:
    return events_pb2.EstateResumed(estate_code=estate_code)


def estate_offboarded(estate_code: str, archive_sha256: str) -> events_pb2.EstateOffboarded:
    return events_pb2.EstateOffboarded(estate_code=estate_code, archive_sha256=archive_sha256)


# Households -------------------------------------------------------------------------------------------


def households_imported(estate_code: str, household_ids: Iterable[uuid.UUID]) -> events_pb2.HouseholdsImported:
    return events_pb2.HouseholdsImported(estate_code=estate_code, household_ids=[str(i) for i in household_ids])


def household_changed(household: Household) -> events_pb2.HouseholdChanged:
    return events_pb2.HouseholdChanged(household=household_to_proto(household))


# Ballots ----------------------------------------------------------------------------------------------


def ballot_opened(ballot: Ballot) -> events_pb2.BallotOpened:
    t = ballot.terms
    return events_pb2.BallotOpened(
        estate_code=ballot.estate_code,
        ballot_id=ballot.ballot_id,
        question=t.question,
        options=list(t.options),
        closes_at=t.closes_at.isoformat(),
        electorate_size=ballot.electorate_size,
        subject=t.subject,
    )


def ballot_closed(ballot: Ballot, result: BallotResult) -> events_pb2.BallotClosed:
    return events_pb2.BallotClosed(
        estate_code=ballot.estate_code,
        ballot_id=ballot.ballot_id,
        tally=result.tally,
        electorate_size=result.electorate_size,
        votes_cast=result.votes_cast,
        quorum_met=result.quorum_met,
        adopted_option=result.adopted_option or "",
        subject=ballot.terms.subject,
    )
