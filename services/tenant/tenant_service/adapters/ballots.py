"""Ballots, their electorates and votes in and out of PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenant_service.domain.ballots import Ballot, BallotResult, BallotTerms, Vote


class BallotRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, ballot: Ballot, kind: str, opened_by: str) -> None:
        t = ballot.terms
        self.session.execute(
            text(
                "INSERT INTO ballots (id, estate_code, kind, subject, question, options, quorum_bps, threshold, "
                "threshold_base, opens_at, closes_at, opened_by) VALUES (:id, :estate, :kind, :subject, :question, "
                "CAST(:options AS jsonb), :quorum, :threshold, :base, :opens, :closes, :by)"
            ),
            {
                "id": uuid.UUID(ballot.ballot_id),
                "estate": ballot.estate_code,
                "kind": kind,
                "subject": t.subject,
                "question": t.question,
                "options": json.dumps(list(t.options), ensure_ascii=False),
                "quorum": t.quorum_bps,
                "threshold": t.threshold.value,
                "base": t.threshold_base.value,
                "opens": t.opens_at,
                "closes": t.closes_at,
                "by": opened_by,
            },
        )
        self.session.execute(
            text(
                "INSERT INTO ballot_electorate (estate_code, ballot_id, household_id) VALUES (:estate, :ballot, :household)"
            ),
            [
                {"estate": ballot.estate_code, "ballot": uuid.UUID(ballot.ballot_id), "household": uuid.UUID(h)}
                for h in ballot.electorate
            ],
        )

    def get(self, ballot_id: uuid.UUID, *, lock: str = "") -> tuple[Ballot, str] | None:
        """The ballot and its kind; ``lock`` is "" or a row lock clause ("FOR SHARE", "FOR UPDATE")."""
        row = self.session.execute(
            text(
                "SELECT id, estate_code, kind, subject, question, options, quorum_bps, threshold, threshold_base, "
                f"opens_at, closes_at, closed_at, closed_by, result FROM ballots WHERE id = :id {lock}"
            ),
            {"id": ballot_id},
        ).first()
        if row is None:
            return None
        electorate = frozenset(
            str(h)
            for h in self.session.execute(
                text("SELECT household_id FROM ballot_electorate WHERE ballot_id = :id"), {"id": ballot_id}
            ).scalars()
        )
        votes = {
            str(v.household_id): Vote(str(v.household_id), v.option, v.fingerprint, v.cast_by, v.cast_at)
            for v in self.session.execute(
                text(
                    "SELECT household_id, option, fingerprint, cast_by, cast_at FROM ballot_votes WHERE ballot_id = :id"
                ),
                {"id": ballot_id},
            )
        }
        terms = BallotTerms(
            question=row.question,
            options=tuple(row.options),
            quorum_bps=row.quorum_bps,
            threshold=row.threshold,
            threshold_base=row.threshold_base,
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            subject=row.subject,
        )
        ballot = Ballot(
            str(row.id),
            row.estate_code,
            terms,
            electorate,
            votes=votes,
            closed_at=row.closed_at,
            result=BallotResult.from_dict(row.result) if row.result else None,
            closed_by=row.closed_by,
        )
        return ballot, row.kind

    def save_vote(self, ballot_id: str, estate_code: str, vote: Vote) -> None:
        """One row per household: a new vote replaces the household's previous one."""
        self.session.execute(
            text(
                "INSERT INTO ballot_votes (estate_code, ballot_id, household_id, option, fingerprint, cast_by, cast_at) "
                "VALUES (:estate, :ballot, :household, :option, :fingerprint, :by, :at) "
                "ON CONFLICT (ballot_id, household_id) DO UPDATE SET option = EXCLUDED.option, "
                "fingerprint = EXCLUDED.fingerprint, cast_by = EXCLUDED.cast_by, cast_at = EXCLUDED.cast_at"
            ),
            {
                "estate": estate_code,
                "ballot": uuid.UUID(ballot_id),
                "household": uuid.UUID(vote.household_id),
                "option": vote.option,
                "fingerprint": vote.fingerprint,
                "by": vote.cast_by,
                "at": vote.cast_at,
            },
        )

    def save_result(self, ballot: Ballot) -> None:
        assert ballot.result is not None
        self.session.execute(
            text(
                "UPDATE ballots SET closed_at = :closed_at, closed_by = :closed_by, result = CAST(:result AS jsonb) "
                "WHERE id = :id"
            ),
            {
                "closed_at": ballot.closed_at,
                "closed_by": ballot.closed_by,
                "result": json.dumps(ballot.result.as_dict(), ensure_ascii=False),
                "id": uuid.UUID(ballot.ballot_id),
            },
        )

    def count(self, estate_code: str) -> int:
        """How many ballots the estate has (the total of :meth:`list`'s pages)."""
        return int(
            self.session.execute(
                text("SELECT count(*) FROM ballots WHERE estate_code = :estate"), {"estate": estate_code}
            ).scalar_one()
        )

    def list(self, estate_code: str, limit: int, offset: int) -> list[dict[str, object]]:
        """A page of the estate's ballots, the latest opening first (the id breaks ties: a total order)."""
        rows = self.session.execute(
            text(
                "SELECT id, kind, subject, question, opens_at, closes_at, closed_at FROM ballots "
                "WHERE estate_code = :estate ORDER BY opens_at DESC, id LIMIT :limit OFFSET :offset"
            ),
            {"estate": estate_code, "limit": limit, "offset": offset},
        ).mappings()
        return [dict(row) for row in rows]


def due_ballots(session: Session, now: datetime) -> list[tuple[str, uuid.UUID]]:
    """(estate, ballot) pairs past their closing time and not closed yet: across estates (system role)."""
    rows = session.execute(
        text(
            "SELECT estate_code, id FROM ballots WHERE closed_at IS NULL AND closes_at <= :now ORDER BY closes_at LIMIT 100"
        ),
        {"now": now},
    ).all()
    return [(r.estate_code, r.id) for r in rows]
