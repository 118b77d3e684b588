"""Billing jobs in and out of PostgreSQL: ``billing_jobs`` and ``billing_job_estates``.

Platform machinery read and written with the service's system role (BYPASSRLS; the app role has no
privilege on these tables), like the outbox relay: give this repository a
``Database.system_session()``. A worker writes a job only while it holds the job's lease: every
progress write checks ``lease_owner`` under the job row's lock, so a worker that lost its lease
(stalled, and taken over) changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ledger_service.domain.billing import RunFigures

_JOB_COLUMNS = (
    "id, scope, district_code, estate_code, period, status, households_total, households_done, "
    "households_billed, already_billed, not_occupied, billed_fen, estates_total, estates_done, error, "
    "created_at, started_at, finished_at, requested_by, request_hash, attempts"
)


@dataclass(frozen=True)
class EstateFailure:
    estate_code: str
    reason: str


@dataclass(frozen=True)
class BillingJob:
    """A billing job as its requester reads it."""

    job_id: str
    scope: str
    district_code: str | None
    estate_code: str | None
    period: str
    status: str
    households_total: int | None
    households_done: int
    estates_total: int
    estates_done: int
    households_billed: int
    already_billed: int
    not_occupied: int
    billed_fen: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    requested_by: str
    request_hash: str
    attempts: int
    error: str | None = None
    failures: list[EstateFailure] = field(default_factory=list, hash=False)


@dataclass(frozen=True)
class EstateBooks:
    """An estate whose books take postings, with its calendar (for a district's job)."""

    estate_code: str
    first_period: str
    today: date


@dataclass(frozen=True)
class JobEstate:
    estate_code: str
    status: str


def _job(r: Row[Any], failures: list[EstateFailure]) -> BillingJob:
    return BillingJob(
        job_id=str(r.id),
        scope=r.scope,
        district_code=r.district_code,
        estate_code=r.estate_code,
        period=r.period,
        status=r.status,
        households_total=None if r.households_total is None else int(r.households_total),
        households_done=int(r.households_done),
        estates_total=int(r.estates_total),
        estates_done=int(r.estates_done),
        households_billed=int(r.households_billed),
        already_billed=int(r.already_billed),
        not_occupied=int(r.not_occupied),
        billed_fen=int(r.billed_fen),
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        requested_by=r.requested_by,
        request_hash=r.request_hash,
        attempts=int(r.attempts),
        error=r.error,
        failures=failures,
    )


def _uuid(job_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(job_id)
    except (ValueError, AttributeError, TypeError):
        return None


class BillingJobsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Requests ----------------------------------------------------------------------------------------

    def by_key(self, scope: str, target_code: str, key: str) -> BillingJob | None:
        row = self.session.execute(
            text(
                f"SELECT {_JOB_COLUMNS} FROM billing_jobs "
                "WHERE scope = :scope AND target_code = :target AND idempotency_key = :key"
            ),
            {"scope": scope, "target": target_code, "key": key},
        ).first()
        return None if row is None else _job(row, self._failures(row.id))

    def get(self, job_id: str) -> BillingJob | None:
        ident = _uuid(job_id)
        if ident is None:
            return None
        row = self.session.execute(
            text(f"SELECT {_JOB_COLUMNS} FROM billing_jobs WHERE id = :id"), {"id": ident}
        ).first()
        return None if row is None else _job(row, self._failures(ident))

    def _failures(self, job_id: uuid.UUID) -> list[EstateFailure]:
        rows = self.session.execute(
            text(
                "SELECT estate_code, coalesce(error, 'not billed') AS error FROM billing_job_estates "
                "WHERE job_id = :id AND status = 'failed' ORDER BY estate_code"
            ),
            {"id": job_id},
        ).all()
        return [EstateFailure(r.estate_code, r.error) for r in rows]

    def create(
        self,
        *,
        scope: str,
        district_code: str | None,
        estate_code: str | None,
        period: str,
        key: str,
        request_hash: str,
        requested_by: str,
        estates: Sequence[str],
    ) -> BillingJob | None:
        """A new queued job over ``estates``; None when the key was taken (by a concurrent request)."""
        job_id = uuid.uuid4()
        target = estate_code if scope == "estate" else district_code
        created = self.session.execute(
            text(
                "INSERT INTO billing_jobs (id, scope, district_code, estate_code, target_code, period, "
                "idempotency_key, request_hash, requested_by, estates_total) VALUES (:id, :scope, :district, "
                ":estate, :target, :period, :key, :hash, :by, :estates) "
                "ON CONFLICT (scope, target_code, idempotency_key) DO NOTHING RETURNING id"
            ),
            {
                "id": job_id,
                "scope": scope,
                "district": district_code,
                "estate": estate_code,
                "target": target,
                "period": period,
                "key": key,
                "hash": request_hash,
                "by": requested_by,
                "estates": len(estates),
            },
        ).first()
        if created is None:
            return None
        self.session.execute(
            text(
                "INSERT INTO billing_job_estates (job_id, estate_code) "
                "SELECT :id, code FROM unnest(CAST(:codes AS text[])) AS code"
            ),
            {"id": job_id, "codes": list(estates)},
        )
        return self.get(str(job_id))

    def district_estates(self, district_code: str) -> list[EstateBooks]:
        """The district's estates whose books are active (a cross-estate read: system role only)."""
        rows = self.session.execute(
            text(
                "SELECT estate_code, first_period, (now() AT TIME ZONE time_zone)::date AS today FROM trust_books "
                "WHERE status = 'active' AND kind = 'trust' AND district_code = :district ORDER BY estate_code"
            ),
            {"district": district_code},
        ).all()
        return [EstateBooks(r.estate_code, r.first_period, r.today) for r in rows]

    # Workers -----------------------------------------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> BillingJob | None:
        """Take the oldest job that is queued, or running under a lease that expired (its worker
        died): the job is leased to ``owner`` for ``lease_seconds``. Workers skip each other's rows."""
        row = self.session.execute(
            text(
                "UPDATE billing_jobs SET status = 'running', lease_owner = :owner, "
                "lease_until = now() + make_interval(secs => :lease), heartbeat_at = now(), "
                "started_at = coalesce(started_at, now()), attempts = attempts + 1 "
                "WHERE id = (SELECT id FROM billing_jobs WHERE status IN ('queued', 'running') "
                "AND (lease_until IS NULL OR lease_until < now()) ORDER BY created_at "
                "LIMIT 1 FOR UPDATE SKIP LOCKED) "
                f"RETURNING {_JOB_COLUMNS}"
            ),
            {"owner": owner, "lease": lease_seconds},
        ).first()
        return None if row is None else _job(row, [])

    def renew(self, owner: str, job_ids: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases of ``job_ids``; the ids it still holds."""
        if not job_ids:
            return set()
        rows = self.session.execute(
            text(
                "UPDATE billing_jobs SET lease_until = now() + make_interval(secs => :lease), heartbeat_at = now() "
                "WHERE id = ANY(CAST(:ids AS uuid[])) AND lease_owner = :owner AND status = 'running' RETURNING id"
            ),
            {"owner": owner, "ids": [uuid.UUID(j) for j in job_ids], "lease": lease_seconds},
        ).all()
        return {str(r.id) for r in rows}

    def release(self, owner: str, job_id: str, *, retry_after_seconds: float = 0.0) -> None:
        """Give the job up unfinished: another worker (or this one) may take it after the delay."""
        self.session.execute(
            text(
                "UPDATE billing_jobs SET lease_until = now() + make_interval(secs => :delay), lease_owner = NULL "
                "WHERE id = :id AND lease_owner = :owner AND status = 'running'"
            ),
            {"id": uuid.UUID(job_id), "owner": owner, "delay": retry_after_seconds},
        )

    def job_estates(self, job_id: str) -> list[JobEstate]:
        rows = self.session.execute(
            text("SELECT estate_code, status FROM billing_job_estates WHERE job_id = :id ORDER BY estate_code"),
            {"id": uuid.UUID(job_id)},
        ).all()
        return [JobEstate(r.estate_code, r.status) for r in rows]

    def _hold(self, owner: str, job_id: str) -> bool:
        """Lock the job's row (progress writes of one job take turns) if ``owner`` still leases it."""
        return (
            self.session.execute(
                text("SELECT 1 FROM billing_jobs WHERE id = :id AND lease_owner = :owner FOR UPDATE"),
                {"id": uuid.UUID(job_id), "owner": owner},
            ).first()
            is not None
        )

    def _refresh(self, job_id: str) -> None:
        """The job's figures: the sums of its estates' (total: once every estate still to bill has
        been read)."""
        self.session.execute(
            text(
                "UPDATE billing_jobs j SET households_total = a.total, households_done = a.done, "
                "households_billed = a.billed, already_billed = a.already, not_occupied = a.skipped, "
                "billed_fen = a.fen, estates_done = a.finished, heartbeat_at = now() "
                "FROM (SELECT CASE WHEN bool_and(households_total IS NOT NULL OR status = 'failed') "
                "THEN sum(coalesce(households_total, 0)) END AS total, coalesce(sum(households_done), 0) AS done, "
                "coalesce(sum(households_billed), 0) AS billed, coalesce(sum(already_billed), 0) AS already, "
                "coalesce(sum(not_occupied), 0) AS skipped, coalesce(sum(billed_fen), 0) AS fen, "
                "count(*) FILTER (WHERE status IN ('done', 'failed')) AS finished "
                "FROM billing_job_estates WHERE job_id = :id) a WHERE j.id = :id"
            ),
            {"id": uuid.UUID(job_id)},
        )

    def estate_started(self, owner: str, job_id: str, estate_code: str) -> bool:
        """The estate's run begins (again, when the job resumes: its figures are counted anew)."""
        if not self._hold(owner, job_id):
            return False
        self.session.execute(
            text(
                "UPDATE billing_job_estates SET status = 'running', households_total = NULL, households_done = 0, "
                "households_billed = 0, already_billed = 0, not_occupied = 0, billed_fen = 0, error = NULL, "
                "started_at = now(), finished_at = NULL WHERE job_id = :id AND estate_code = :estate"
            ),
            {"id": uuid.UUID(job_id), "estate": estate_code},
        )
        self._refresh(job_id)
        return True

    def estate_total(self, owner: str, job_id: str, estate_code: str, households_total: int) -> bool:
        if not self._hold(owner, job_id):
            return False
        self.session.execute(
            text(
                "UPDATE billing_job_estates SET households_total = :total WHERE job_id = :id AND estate_code = :estate"
            ),
            {"id": uuid.UUID(job_id), "estate": estate_code, "total": households_total},
        )
        self._refresh(job_id)
        return True

    def estate_progress(self, owner: str, job_id: str, estate_code: str, figures: RunFigures) -> bool:
        """Add a committed chunk's ``figures`` to the estate's; False when the lease was lost."""
        if not self._hold(owner, job_id):
            return False
        self.session.execute(
            text(
                "UPDATE billing_job_estates SET households_done = households_done + :done, "
                "households_billed = households_billed + :billed, already_billed = already_billed + :already, "
                "not_occupied = not_occupied + :skipped, billed_fen = billed_fen + :fen "
                "WHERE job_id = :id AND estate_code = :estate"
            ),
            {
                "id": uuid.UUID(job_id),
                "estate": estate_code,
                "done": figures.households_done,
                "billed": figures.households_billed,
                "already": figures.already_billed,
                "skipped": figures.not_occupied,
                "fen": figures.billed_fen,
            },
        )
        self._refresh(job_id)
        return True

    def estate_finished(self, owner: str, job_id: str, estate_code: str, status: str, error: str | None) -> bool:
        if not self._hold(owner, job_id):
            return False
        self.session.execute(
            text(
                "UPDATE billing_job_estates SET status = :status, error = :error, finished_at = now() "
                "WHERE job_id = :id AND estate_code = :estate"
            ),
            {"id": uuid.UUID(job_id), "estate": estate_code, "status": status, "error": error},
        )
        self._refresh(job_id)
        return True

    def fail_unfinished(self, owner: str, job_id: str, reason: str) -> bool:
        """Every estate the job has not finished fails with ``reason``."""
        if not self._hold(owner, job_id):
            return False
        self.session.execute(
            text(
                "UPDATE billing_job_estates SET status = 'failed', error = :reason, finished_at = now() "
                "WHERE job_id = :id AND status NOT IN ('done', 'failed')"
            ),
            {"id": uuid.UUID(job_id), "reason": reason},
        )
        self._refresh(job_id)
        return True

    def finish(self, owner: str, job_id: str, status: str, error: str | None = None) -> bool:
        """The job ends (done or failed) and its lease with it."""
        if not self._hold(owner, job_id):
            return False
        self._refresh(job_id)
        self.session.execute(
            text(
                "UPDATE billing_jobs SET status = :status, error = :error, finished_at = now(), "
                "lease_owner = NULL, lease_until = NULL WHERE id = :id"
            ),
            {"id": uuid.UUID(job_id), "status": status, "error": error},
        )
        return True
