"""Tickets, their history, files, materials and notifications in PostgreSQL.

A ticket's row holds the columns people filter on, the scheduler's ``next_timer_at`` and the whole
state as JSON; it changes only through :meth:`TicketRepository.save`, which appends the outcome's
transitions (primary key ``(ticket_id, seq)``) and updates the row ``WHERE version = <old>``: two
writers of one ticket cannot both win, and the loser's transaction changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketing_service.adapters.codec import ticket_from_json, ticket_json, transition_from_json, transition_json
from ticketing_service.domain.tickets import Outcome, Ticket, Transition
from xinyi_shared.db import Executor, sql
from xinyi_shared.errors import Conflict


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets a listing shows. ``households``/``grids``/``reporter``/``public`` are ORed (what
    a viewer may see); None for all of them means every ticket of the estate (the firm's view)."""

    status: str | None = None
    category: str | None = None
    assignee: str | None = None
    open_only: bool = False
    households: Sequence[str] | None = None
    grids: Sequence[str] | None = None
    reporter: str | None = None
    public: bool = False
    escalated_to_community: bool = False

    @property
    def restricted(self) -> bool:
        return (
            self.households is not None
            or self.grids is not None
            or self.reporter is not None
            or self.public
            or self.escalated_to_community
        )


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    purpose: str
    file_name: str


@dataclass(frozen=True)
class MaterialsRecord:
    ticket_id: str
    seq: int
    expense_id: str
    amount_fen: int
    account: str
    expense_status: str
    recorded_at: datetime


@dataclass(frozen=True)
class Notification:
    id: int
    estate_code: str
    ticket_id: str
    recipient_kind: str
    recipient: str
    kind: str
    message: dict[str, Any]
    attempts: int


class TicketRepository:
    def __init__(self, session: Executor) -> None:
        self.session = session

    # Tickets ------------------------------------------------------------------------------------

    def add(self, outcome: Outcome, next_timer: datetime | None) -> None:
        ticket = outcome.ticket
        self.session.execute(
            sql(
                "INSERT INTO tickets (id, estate_code, status, category, urgency, household_id, grid_code, "
                "visibility, reporter_subject, assignee, reported_at, updated_at, version, next_timer_at, state) "
                "VALUES (:id, :estate, :status, :category, :urgency, :household, :grid, :visibility, :reporter, "
                ":assignee, :reported_at, :updated_at, :version, :timer, CAST(:state AS jsonb))"
            ),
            self._row(ticket, next_timer),
        )
        self._append(outcome.transitions, ticket.estate_code)

    def save(self, outcome: Outcome, old_version: int, next_timer: datetime | None) -> None:
        """Write the outcome of a step taken on the ticket as it was at ``old_version``."""
        if not outcome.transitions:
            return
        ticket = outcome.ticket
        updated = self.session.execute(
            sql(
                "UPDATE tickets SET status = :status, category = :category, urgency = :urgency, "
                "visibility = :visibility, assignee = :assignee, updated_at = :updated_at, version = :version, "
                "next_timer_at = :timer, state = CAST(:state AS jsonb) WHERE id = :id AND version = :old"
            ),
            {**self._row(ticket, next_timer), "old": old_version},
        )
        if getattr(updated, "rowcount", 1) != 1:
            raise Conflict("the ticket changed meanwhile: read it again and retry")
        self._append(outcome.transitions, ticket.estate_code)

    @staticmethod
    def _row(ticket: Ticket, next_timer: datetime | None) -> dict[str, Any]:
        return {
            "id": ticket.id,
            "estate": ticket.estate_code,
            "status": ticket.status.value,
            "category": ticket.category,
            "urgency": ticket.urgency.value,
            "household": ticket.household_id,
            "grid": ticket.grid_code,
            "visibility": ticket.visibility.value,
            "reporter": ticket.reporter_subject,
            "assignee": ticket.assignee,
            "reported_at": ticket.reported_at,
            "updated_at": ticket.updated_at,
            "version": ticket.version,
            "timer": next_timer,
            "state": json.dumps(ticket_json(ticket), ensure_ascii=False),
        }

    def _append(self, transitions: Iterable[Transition], estate_code: str) -> None:
        rows = [
            {
                "ticket": t.ticket_id,
                "seq": t.seq,
                "estate": estate_code,
                "action": t.action.value,
                "at": t.at,
                "record": json.dumps(transition_json(t), ensure_ascii=False),
            }
            for t in transitions
        ]
        if rows:
            self.session.execute(
                sql(
                    "INSERT INTO ticket_transitions (ticket_id, seq, estate_code, action, at, record) "
                    "VALUES (:ticket, :seq, :estate, :action, :at, CAST(:record AS jsonb))"
                ),
                rows,
            )

    def get(self, ticket_id: str, *, for_update: bool = False) -> Ticket | None:
        row = self.session.execute(
            sql("SELECT state FROM tickets WHERE id = :id" + (" FOR UPDATE" if for_update else "")),
            {"id": ticket_id},
        ).first()
        return None if row is None else ticket_from_json(row.state)

    def history(self, ticket_id: str) -> list[Transition]:
        rows = self.session.execute(
            sql("SELECT record FROM ticket_transitions WHERE ticket_id = :id ORDER BY seq"), {"id": ticket_id}
        ).all()
        return [transition_from_json(row.record) for row in rows]

    def listing(
        self, estate_code: str, where: TicketFilter, limit: int, before: tuple[datetime, str] | None
    ) -> list[Ticket]:
        """Newest report first; ``before``: the (reported_at, id) of the previous page's last ticket."""
        clauses = ["estate_code = :estate"]
        params: dict[str, Any] = {"estate": estate_code, "limit": limit}
        if where.status is not None:
            clauses.append("status = :status")
            params["status"] = where.status
        if where.open_only:
            clauses.append("status IN ('open', 'acknowledged', 'in_progress')")
        if where.category is not None:
            clauses.append("category = :category")
            params["category"] = where.category
        if where.assignee is not None:
            clauses.append("assignee = :assignee")
            params["assignee"] = where.assignee
        if where.restricted:
            visible = []
            if where.households:
                visible.append("household_id = ANY(:households)")
                params["households"] = list(where.households)
            if where.grids:
                visible.append("grid_code = ANY(:grids)")
                params["grids"] = list(where.grids)
            if where.reporter is not None:
                visible.append("reporter_subject = :reporter")
                params["reporter"] = where.reporter
            if where.public:
                visible.append("visibility = 'public'")
            if where.escalated_to_community:
                visible.append(
                    "(state -> 'breaches' @> '[{\"level\": \"community_officer\"}]' "
                    "OR (state -> 'complaint' ->> 'escalated_at') IS NOT NULL)"
                )
            clauses.append("(" + (" OR ".join(visible) or "false") + ")")
        if before is not None:
            clauses.append("(reported_at, id) < (:before_at, :before_id)")
            params["before_at"], params["before_id"] = before
        rows = self.session.execute(
            sql(
                f"SELECT state FROM tickets WHERE {' AND '.join(clauses)} "
                "ORDER BY reported_at DESC, id DESC LIMIT :limit"
            ),
            params,
        ).all()
        return [ticket_from_json(row.state) for row in rows]

    def all_in_estate(self, estate_code: str, limit: int, after: str | None, status: str | None) -> list[Ticket]:
        """Oldest report first (the gRPC listing for other services)."""
        rows = self.session.execute(
            sql(
                "SELECT state FROM tickets WHERE estate_code = :estate "
                "AND (CAST(:status AS text) IS NULL OR status = :status) "
                "AND (CAST(:after AS text) IS NULL OR (reported_at, id) > "
                "(SELECT reported_at, id FROM tickets WHERE id = :after)) "
                "ORDER BY reported_at, id LIMIT :limit"
            ),
            {"estate": estate_code, "status": status, "after": after, "limit": limit},
        ).all()
        return [ticket_from_json(row.state) for row in rows]

    def of_month(self, estate_code: str, start: datetime, end: datetime) -> list[Ticket]:
        """Tickets reported in ``[start, end)``, and those whose complaint went beyond the estate then."""
        rows = self.session.execute(
            sql(
                "SELECT state FROM tickets WHERE estate_code = :estate AND ((reported_at >= :start AND reported_at < :end) "
                "OR (state -> 'complaint' ->> 'escalated_at' IS NOT NULL "
                "AND CAST(state -> 'complaint' ->> 'escalated_at' AS timestamptz) >= :start "
                "AND CAST(state -> 'complaint' ->> 'escalated_at' AS timestamptz) < :end))"
            ),
            {"estate": estate_code, "start": start, "end": end},
        ).all()
        return [ticket_from_json(row.state) for row in rows]

    # The scheduler (cross-estate, on the system role) -------------------------------------------

    def lock_due(self, now: datetime, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Tickets whose timer is due, locked for this transaction, as (id, stored state); those
        another replica holds are skipped (it is working on them), so each timer fires once. The
        states are rebuilt one by one by the caller, so one bad row cannot stop the others."""
        rows = self.session.execute(
            sql(
                "SELECT id, state FROM tickets WHERE next_timer_at <= :now "
                "ORDER BY next_timer_at LIMIT :limit FOR UPDATE SKIP LOCKED"
            ),
            {"now": now, "limit": limit},
        ).all()
        return [(str(row.id), dict(row.state)) for row in rows]

    def refresh_timer(self, ticket_id: str, next_timer: datetime | None) -> None:
        self.session.execute(
            sql("UPDATE tickets SET next_timer_at = :timer WHERE id = :id"), {"id": ticket_id, "timer": next_timer}
        )

    # Files --------------------------------------------------------------------------------------

    def add_file(self, estate_code: str, stored: StoredFile, uploaded_by: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO ticket_files (estate_code, sha256, size, media_type, purpose, file_name, uploaded_by) "
                "VALUES (:estate, :sha, :size, :type, :purpose, :name, :by) "
                "ON CONFLICT (estate_code, sha256) DO NOTHING"
            ),
            {
                "estate": estate_code,
                "sha": stored.sha256,
                "size": stored.size,
                "type": stored.media_type,
                "purpose": stored.purpose,
                "name": stored.file_name,
                "by": uploaded_by,
            },
        )

    def files(self, shas: Sequence[str]) -> dict[str, StoredFile]:
        if not shas:
            return {}
        rows = self.session.execute(
            sql("SELECT sha256, size, media_type, purpose, file_name FROM ticket_files WHERE sha256 = ANY(:shas)"),
            {"shas": list(shas)},
        ).all()
        return {
            row.sha256: StoredFile(row.sha256, row.size, row.media_type, row.purpose, row.file_name) for row in rows
        }

    # Materials ----------------------------------------------------------------------------------

    def add_materials(self, estate_code: str, record: MaterialsRecord, request_key: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO ticket_materials (estate_code, ticket_id, seq, expense_id, amount_fen, account, "
                "expense_status, request_key, recorded_at) VALUES (:estate, :ticket, :seq, :expense, :amount, "
                ":account, :status, :key, :at)"
            ),
            {
                "estate": estate_code,
                "ticket": record.ticket_id,
                "seq": record.seq,
                "expense": record.expense_id,
                "amount": record.amount_fen,
                "account": record.account,
                "status": record.expense_status,
                "key": request_key,
                "at": record.recorded_at,
            },
        )

    def materials(self, ticket_id: str) -> list[MaterialsRecord]:
        rows = self.session.execute(
            sql(
                "SELECT ticket_id, seq, expense_id, amount_fen, account, expense_status, recorded_at "
                "FROM ticket_materials WHERE ticket_id = :ticket ORDER BY seq"
            ),
            {"ticket": ticket_id},
        ).all()
        return [MaterialsRecord(*row) for row in rows]

    def materials_by_key(self, request_key: str) -> MaterialsRecord | None:
        row = self.session.execute(
            sql(
                "SELECT ticket_id, seq, expense_id, amount_fen, account, expense_status, recorded_at "
                "FROM ticket_materials WHERE request_key = :key"
            ),
            {"key": request_key},
        ).first()
        return None if row is None else MaterialsRecord(*row)

    def set_expense_status(self, expense_id: str, status: str) -> bool:
        updated = self.session.execute(
            sql("UPDATE ticket_materials SET expense_status = :status WHERE expense_id = :expense"),
            {"status": status, "expense": expense_id},
        )
        return bool(getattr(updated, "rowcount", 0))

    # Report keys --------------------------------------------------------------------------------

    def claim_report_key(self, estate_code: str, key: str, fingerprint: str, ticket_id: str) -> str | None:
        """None when the key is new (claimed for ``ticket_id``); else the ticket it opened before
        (Conflict when it was used for another report)."""
        row = self.session.execute(
            sql(
                "INSERT INTO report_keys (estate_code, key, fingerprint, ticket_id) "
                "VALUES (:estate, :key, :fingerprint, :ticket) ON CONFLICT (estate_code, key) DO NOTHING "
                "RETURNING ticket_id"
            ),
            {"estate": estate_code, "key": key, "fingerprint": fingerprint, "ticket": ticket_id},
        ).first()
        if row is not None:
            return None
        first = self.session.execute(
            sql("SELECT fingerprint, ticket_id FROM report_keys WHERE estate_code = :estate AND key = :key"),
            {"estate": estate_code, "key": key},
        ).one()
        if first.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was used for another report")
        return str(first.ticket_id)

    # Notifications ------------------------------------------------------------------------------

    def notify(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(
                sql(
                    "INSERT INTO notifications (estate_code, ticket_id, recipient_kind, recipient, kind, message) "
                    "VALUES (:estate, :ticket, :recipient_kind, :recipient, :kind, CAST(:message AS jsonb))"
                ),
                [{**row, "message": json.dumps(row["message"], ensure_ascii=False)} for row in rows],
            )

    def notifications_of(self, ticket_id: str) -> list[Notification]:
        rows = self.session.execute(
            sql(
                "SELECT id, estate_code, ticket_id, recipient_kind, recipient, kind, message, attempts "
                "FROM notifications WHERE ticket_id = :ticket ORDER BY id"
            ),
            {"ticket": ticket_id},
        ).all()
        return [Notification(*row) for row in rows]

    def lock_pending_notifications(self, now: datetime, limit: int) -> list[Notification]:
        rows = self.session.execute(
            sql(
                "SELECT id, estate_code, ticket_id, recipient_kind, recipient, kind, message, attempts "
                "FROM notifications WHERE delivered_at IS NULL AND next_attempt_at <= :now "
                "ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE SKIP LOCKED"
            ),
            {"now": now, "limit": limit},
        ).all()
        return [Notification(*row) for row in rows]

    def delivered(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            self.session.execute(
                sql("UPDATE notifications SET delivered_at = :at, attempts = attempts + 1 WHERE id = ANY(:ids)"),
                {"at": at, "ids": list(ids)},
            )

    def failed(self, notification_id: int, retry_at: datetime | None, error: str) -> None:
        """A failed delivery: retried at ``retry_at``; None gives up (kept, marked, never silently dropped)."""
        self.session.execute(
            sql(
                "UPDATE notifications SET attempts = attempts + 1, last_error = :error, "
                "next_attempt_at = coalesce(:retry, 'infinity'::timestamptz) WHERE id = :id"
            ),
            {"id": notification_id, "retry": retry_at, "error": error[:500]},
        )
