"""一户一票 — owners' ballots: one household, one vote, a secret choice and a public, verifiable tally.

A household may vote again until the close; its new vote replaces the old one. Each vote gives the
voter a receipt code, shown once. The published audit list holds only receipt fingerprints, per
option, so a household can find its own vote in the count and nobody can read another's choice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from xinyi_shared.codes import validate_estate_code
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

MIN_OPTIONS = 2
MAX_OPTIONS = 20
MAX_QUESTION_LENGTH = 2000
MAX_OPTION_LENGTH = 200
MAX_SUBJECT_LENGTH = 200
MIN_VOTING_WINDOW = timedelta(minutes=1)
RECEIPT_BYTES = 16  # 128 random bits: a 22-character URL-safe code
FINGERPRINT_LENGTH = 16  # hex characters of the SHA-256


class ThresholdKind(StrEnum):
    SIMPLE_MAJORITY = "simple_majority"  # strictly more than half of the base
    TWO_THIRDS = "two_thirds"  # at least two thirds of the base
    THREE_QUARTERS = "three_quarters"  # at least three quarters of the base
    PLURALITY = "plurality"  # the most votes, no tie; the base plays no part


class ThresholdBase(StrEnum):
    VOTES_CAST = "votes_cast"
    ALL_HOUSEHOLDS = "all_households"  # the electorate frozen at opening


class BallotStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


# A threshold met by v votes of base b when v * denominator > or >= numerator * b; exact integers.
_FRACTIONS: dict[ThresholdKind, tuple[int, int, bool]] = {
    ThresholdKind.SIMPLE_MAJORITY: (1, 2, True),  # strict
    ThresholdKind.TWO_THIRDS: (2, 3, False),
    ThresholdKind.THREE_QUARTERS: (3, 4, False),
}


def _require_aware(name: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be a datetime with a time zone")
    return moment


def _require_text(name: str, value: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must not be empty")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters")
    return value


def meets_threshold(votes: int, base: int, kind: ThresholdKind) -> bool:
    """Whether ``votes`` of ``base`` reach a fractional threshold; no base, no adoption."""
    if kind is ThresholdKind.PLURALITY:
        raise InvalidInput("plurality is not a fraction of a base")
    if base <= 0 or votes <= 0:
        return False
    numerator, denominator, strict = _FRACTIONS[kind]
    if strict:
        return votes * denominator > numerator * base
    return votes * denominator >= numerator * base


def quorum_met(votes_cast: int, electorate_size: int, quorum_bps: int) -> bool:
    return votes_cast * 10000 >= quorum_bps * electorate_size


@dataclass(frozen=True)
class BallotTerms:
    """What the ballot asks and how it decides; fixed once the ballot is open."""

    question: str
    options: tuple[str, ...]
    quorum_bps: int
    threshold: ThresholdKind
    threshold_base: ThresholdBase
    opens_at: datetime
    closes_at: datetime
    subject: str = ""  # a caller-defined label, e.g. "budget-2027"

    def __post_init__(self) -> None:
        object.__setattr__(self, "question", _require_text("question", self.question, MAX_QUESTION_LENGTH))
        if isinstance(self.options, str) or not isinstance(self.options, Iterable):
            raise InvalidInput("options must be a list of texts")
        options = tuple(_require_text("option", option, MAX_OPTION_LENGTH) for option in self.options)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise InvalidInput(f"a ballot has {MIN_OPTIONS} to {MAX_OPTIONS} options")
        if len({option.casefold() for option in options}) != len(options):
            raise InvalidInput("options must be distinct")
        object.__setattr__(self, "options", options)
        if isinstance(self.quorum_bps, bool) or not isinstance(self.quorum_bps, int):
            raise InvalidInput("quorum must be a whole number of basis points")
        if not 0 <= self.quorum_bps <= 10000:
            raise InvalidInput("quorum must be between 0 and 10000 basis points of the electorate")
        try:
            object.__setattr__(self, "threshold", ThresholdKind(self.threshold))
            object.__setattr__(self, "threshold_base", ThresholdBase(self.threshold_base))
        except ValueError as error:
            raise InvalidInput(f"unknown threshold: {error}") from error
        _require_aware("opens_at", self.opens_at)
        _require_aware("closes_at", self.closes_at)
        if self.closes_at - self.opens_at < MIN_VOTING_WINDOW:
            raise InvalidInput("a ballot must close at least one minute after it opens")
        if not isinstance(self.subject, str) or len(self.subject.strip()) > MAX_SUBJECT_LENGTH:
            raise InvalidInput(f"subject must be a text of at most {MAX_SUBJECT_LENGTH} characters")
        object.__setattr__(self, "subject", self.subject.strip())


@dataclass(frozen=True)
class Vote:
    """A household's current choice; the receipt code itself is never kept, only its fingerprint."""

    household_id: str
    option: str
    fingerprint: str
    cast_by: str  # the member of the household who cast it
    cast_at: datetime


@dataclass(frozen=True)
class BallotResult:
    """The count: per option, how many households chose it and the fingerprints of their receipts."""

    tally: dict[str, int]
    votes_cast: int
    electorate_size: int
    quorum_met: bool
    adopted_option: str | None
    audit: dict[str, list[str]]  # option -> sorted receipt fingerprints; never household ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "tally": dict(self.tally),
            "votes_cast": self.votes_cast,
            "electorate_size": self.electorate_size,
            "quorum_met": self.quorum_met,
            "adopted_option": self.adopted_option,
            "audit": {option: list(fingerprints) for option, fingerprints in self.audit.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BallotResult:
        return cls(
            tally={str(option): int(count) for option, count in data["tally"].items()},
            votes_cast=int(data["votes_cast"]),
            electorate_size=int(data["electorate_size"]),
            quorum_met=bool(data["quorum_met"]),
            adopted_option=data["adopted_option"],
            audit={str(option): [str(f) for f in fingerprints] for option, fingerprints in data["audit"].items()},
        )


def receipt_fingerprint(ballot_id: str, receipt_code: str) -> str:
    """What the audit list publishes for a receipt: the first 16 hex digits of sha256(ballot_id:code)."""
    digest = hashlib.sha256(f"{ballot_id}:{receipt_code}".encode()).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


def verify_receipt(result: BallotResult, ballot_id: str, receipt_code: str) -> str | None:
    """The option a receipt was counted for, or None when it was not counted (replaced, or not of this ballot)."""
    fingerprint = receipt_fingerprint(ballot_id, receipt_code)
    for option, fingerprints in result.audit.items():
        if fingerprint in fingerprints:
            return option
    return None


class Ballot:
    """One question put to the households of an estate. Nothing here lists which household chose what."""

    def __init__(
        self,
        ballot_id: str,
        estate_code: str,
        terms: BallotTerms,
        electorate: frozenset[str],
        votes: dict[str, Vote] | None = None,
        closed_at: datetime | None = None,
        result: BallotResult | None = None,
        closed_by: str | None = None,
    ) -> None:
        if not isinstance(ballot_id, str) or not ballot_id.strip():
            raise InvalidInput("ballot id must not be empty")
        self.ballot_id = ballot_id
        self.estate_code = validate_estate_code(estate_code)
        self.terms = terms
        self.electorate = frozenset(electorate)
        if any(not isinstance(household, str) or not household for household in self.electorate):
            raise InvalidInput("household ids of the electorate must not be empty")
        self._votes: dict[str, Vote] = {}
        for household_id, vote in (votes or {}).items():
            if vote.household_id != household_id:
                raise InvalidInput(f"vote stored under {household_id!r} belongs to another household")
            if household_id not in self.electorate:
                raise InvalidInput(f"vote of household {household_id!r} which is outside the electorate")
            if vote.option not in terms.options:
                raise InvalidInput(f"vote for {vote.option!r} which is not an option of the ballot")
            self._votes[household_id] = vote
        if closed_at is not None:
            _require_aware("closed_at", closed_at)
        elif result is not None:
            raise InvalidInput("a ballot with a result must have a closing time")
        self.closed_at = closed_at
        self.closed_by = closed_by
        self.result = result if result is not None or closed_at is None else self.tally()

    @classmethod
    def open(
        cls,
        ballot_id: str,
        estate_code: str,
        terms: BallotTerms,
        electorate: Iterable[str],
        now: datetime,
    ) -> Ballot:
        """Open a ballot; the electorate is frozen now. It may open later (scheduled) but must close later."""
        _require_aware("now", now)
        frozen = frozenset(electorate)
        if not frozen:
            raise InvalidInput("a ballot needs at least one household in its electorate")
        if terms.closes_at <= now:
            raise InvalidInput("a ballot must close in the future")
        return cls(ballot_id, estate_code, terms, frozen)

    @property
    def electorate_size(self) -> int:
        return len(self.electorate)

    @property
    def votes_cast(self) -> int:
        """Turnout so far: the number of households that have voted."""
        return len(self._votes)

    def status(self, now: datetime) -> BallotStatus:
        _require_aware("now", now)
        if self.closed_at is not None or now >= self.terms.closes_at:
            return BallotStatus.CLOSED
        if now < self.terms.opens_at:
            return BallotStatus.SCHEDULED
        return BallotStatus.OPEN

    def cast(self, household_id: str, option: str, cast_by: str, now: datetime) -> tuple[Vote, str]:
        """Record the household's vote, replacing any earlier one; returns the vote and its receipt code.

        The receipt code is shown once to the voter and must not be stored; the vote keeps its fingerprint.
        """
        status = self.status(now)
        if status is BallotStatus.SCHEDULED:
            raise Conflict("the ballot is not open yet")
        if status is BallotStatus.CLOSED:
            raise Conflict("the ballot is closed")
        if household_id not in self.electorate:
            raise PermissionDenied("the household is not in the electorate of this ballot")
        if option not in self.terms.options:
            raise InvalidInput(f"{option!r} is not an option of this ballot")
        if not isinstance(cast_by, str) or not cast_by.strip():
            raise InvalidInput("the voter must be named")
        taken = {vote.fingerprint for vote in self._votes.values()}
        while True:  # a clash of 64-bit fingerprints is near impossible; never let two votes share one
            receipt_code = secrets.token_urlsafe(RECEIPT_BYTES)
            fingerprint = receipt_fingerprint(self.ballot_id, receipt_code)
            if fingerprint not in taken:
                break
        vote = Vote(household_id, option, fingerprint, cast_by, now)
        self._votes[household_id] = vote
        return vote, receipt_code

    def own_vote(self, household_id: str) -> Vote | None:
        """The household's current vote, for that household only (the caller checks who asks)."""
        return self._votes.get(household_id)

    def tally(self) -> BallotResult:
        """Count the votes as they stand, without closing; not to be published before the close."""
        tally = dict.fromkeys(self.terms.options, 0)
        audit: dict[str, list[str]] = {option: [] for option in self.terms.options}
        for vote in self._votes.values():
            tally[vote.option] += 1
            audit[vote.option].append(vote.fingerprint)
        for fingerprints in audit.values():
            fingerprints.sort()
        votes_cast = len(self._votes)
        electorate_size = len(self.electorate)
        met = quorum_met(votes_cast, electorate_size, self.terms.quorum_bps)
        return BallotResult(
            tally=tally,
            votes_cast=votes_cast,
            electorate_size=electorate_size,
            quorum_met=met,
            adopted_option=self._adopted(tally, votes_cast, electorate_size) if met else None,
            audit=audit,
        )

    def _adopted(self, tally: dict[str, int], votes_cast: int, electorate_size: int) -> str | None:
        if self.terms.threshold is ThresholdKind.PLURALITY:
            most = max(tally.values())
            leaders = [option for option, count in tally.items() if count == most]
            return leaders[0] if most > 0 and len(leaders) == 1 else None
        base = votes_cast if self.terms.threshold_base is ThresholdBase.VOTES_CAST else electorate_size
        winners = [option for option, count in tally.items() if meets_threshold(count, base, self.terms.threshold)]
        return winners[0] if len(winners) == 1 else None

    def close(self, now: datetime, closed_by: str, force: bool = False) -> BallotResult:
        """Close and count. Before ``closes_at`` only with ``force`` (the supervisor ends it early).

        Idempotent: closing a closed ballot returns its result unchanged. ``closed_at`` is when voting
        stopped: ``closes_at`` when the close comes after it, else ``now``.
        """
        _require_aware("now", now)
        if self.result is not None:
            return self.result
        if now < self.terms.closes_at and not force:
            raise Conflict("the ballot closes at its closing time; closing it early must be forced")
        if not isinstance(closed_by, str) or not closed_by.strip():
            raise InvalidInput("who closes the ballot must be named")
        self.closed_at = min(now, self.terms.closes_at)
        self.closed_by = closed_by
        self.result = self.tally()
        return self.result

    def result_at(self, now: datetime) -> BallotResult | None:
        """The result once voting has ended (stored, or counted when ``closes_at`` has passed); None before."""
        if self.result is not None:
            return self.result
        if self.status(now) is BallotStatus.CLOSED:
            return self.tally()
        return None
