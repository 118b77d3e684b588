"""The committee's read side in PostgreSQL (tables ``governance_*``, migration 0006): the facts the
consumer records from events, and the queries that add them up into each estate's month.

Every write is commutative or guarded by the fact's own order (a ticket's figures by their sequence
number, a budget by its adoption instant), and idempotent per event through the consumer's claim, so
replaying the topics in any interleaving of their partitions gives the same tables. Months are
derived when read, from instants, in each estate's time zone."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tenant_service.domain.governance import EstateMonth
from xinyi_shared.db import Database, Executor, sql

READ_MODEL_TABLES = (
    "governance_estates",
    "governance_households",
    "governance_tickets",
    "governance_books",
    "governance_budget_spent",
    "governance_budgets",
    "governance_closes",
    "governance_checkpoints",
    "governance_cosignatures",
    "governance_fund_flows",
)


@dataclass(frozen=True)
class EstateIdentity:
    code: str
    name: str
    district_code: str
    sub_district_code: str
    community_code: str
    time_zone: str
    status: str


@dataclass(frozen=True)
class TicketFacts:
    first_response_seconds: int | None
    resolution_seconds: int | None
    first_response_met: bool | None
    resolution_met: bool | None


@dataclass(frozen=True)
class CheckpointFacts:
    estate_code: str
    period: str
    origin: str
    tree_size: int
    root_hash: bytes
    cosigned_by: tuple[str, ...]


class GovernanceFacts:
    """What the consumer records, one event at a time (in the event's estate-scoped transaction)."""

    def __init__(self, session: Executor) -> None:
        self.session = session

    # The registry -------------------------------------------------------------------------------

    def estate_onboarded(self, estate: EstateIdentity, at: datetime) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_estates (estate_code, name, district_code, sub_district_code, community_code, "
                "time_zone, status, onboarded_at) VALUES (:code, :name, :district, :sub, :community, :tz, :status, :at) "
                "ON CONFLICT (estate_code) DO UPDATE SET name = EXCLUDED.name, district_code = EXCLUDED.district_code, "
                "sub_district_code = EXCLUDED.sub_district_code, community_code = EXCLUDED.community_code, "
                "time_zone = EXCLUDED.time_zone, onboarded_at = least(governance_estates.onboarded_at, EXCLUDED.onboarded_at)"
            ),
            {
                "code": estate.code,
                "name": estate.name,
                "district": estate.district_code,
                "sub": estate.sub_district_code,
                "community": estate.community_code,
                "tz": estate.time_zone,
                "status": estate.status,
                "at": at,
            },
        )

    def estate_status(self, estate_code: str, status: str) -> None:
        self.session.execute(
            sql("UPDATE governance_estates SET status = :status WHERE estate_code = :code"),
            {"status": status, "code": estate_code},
        )

    def households_registered(self, estate_code: str, household_ids: Iterable[str], at: datetime) -> None:
        ids = sorted(set(household_ids))
        if not ids:
            return
        self.session.execute(
            sql(
                "INSERT INTO governance_households (estate_code, household_id, registered_at) "
                "SELECT :estate, id, :at FROM unnest(CAST(:ids AS text[])) AS id "
                "ON CONFLICT (estate_code, household_id) DO UPDATE "
                "SET registered_at = least(governance_households.registered_at, EXCLUDED.registered_at)"
            ),
            {"estate": estate_code, "ids": ids, "at": at},
        )

    # Tickets ------------------------------------------------------------------------------------

    def ticket_reported(self, estate_code: str, ticket_id: str, reported_at: datetime) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_tickets (estate_code, ticket_id, reported_at) VALUES (:estate, :ticket, :at) "
                "ON CONFLICT (estate_code, ticket_id) DO UPDATE SET reported_at = EXCLUDED.reported_at"
            ),
            {"estate": estate_code, "ticket": ticket_id, "at": reported_at},
        )

    def ticket_figures(self, estate_code: str, ticket_id: str, seq: int, facts: TicketFacts) -> None:
        """The ticket's measures as of its step ``seq``; an older step never overwrites a newer one."""
        self.session.execute(
            sql(
                "INSERT INTO governance_tickets (estate_code, ticket_id, figures_seq, first_response_seconds, "
                "resolution_seconds, first_response_met, resolution_met) VALUES (:estate, :ticket, :seq, :frs, :rs, "
                ":frm, :rm) ON CONFLICT (estate_code, ticket_id) DO UPDATE SET figures_seq = EXCLUDED.figures_seq, "
                "first_response_seconds = EXCLUDED.first_response_seconds, "
                "resolution_seconds = EXCLUDED.resolution_seconds, first_response_met = EXCLUDED.first_response_met, "
                "resolution_met = EXCLUDED.resolution_met WHERE governance_tickets.figures_seq < EXCLUDED.figures_seq"
            ),
            {
                "estate": estate_code,
                "ticket": ticket_id,
                "seq": seq,
                "frs": facts.first_response_seconds,
                "rs": facts.resolution_seconds,
                "frm": facts.first_response_met,
                "rm": facts.resolution_met,
            },
        )

    def ticket_rated(self, estate_code: str, ticket_id: str, score: int, at: datetime) -> None:
        """The latest rating stands (a reopened ticket may be rated again)."""
        self.session.execute(
            sql(
                "INSERT INTO governance_tickets (estate_code, ticket_id, rating, rated_at) "
                "VALUES (:estate, :ticket, :score, :at) ON CONFLICT (estate_code, ticket_id) DO UPDATE "
                "SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at "
                "WHERE governance_tickets.rated_at IS NULL OR governance_tickets.rated_at <= EXCLUDED.rated_at"
            ),
            {"estate": estate_code, "ticket": ticket_id, "score": score, "at": at},
        )

    def ticket_breached(self, estate_code: str, ticket_id: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_tickets (estate_code, ticket_id, breaches) VALUES (:estate, :ticket, 1) "
                "ON CONFLICT (estate_code, ticket_id) DO UPDATE SET breaches = governance_tickets.breaches + 1"
            ),
            {"estate": estate_code, "ticket": ticket_id},
        )

    def ticket_moment(self, estate_code: str, ticket_id: str, column: str, at: datetime) -> None:
        """The first complaint (``complaint_at``) or petition (``petition_at``) of the ticket."""
        if column not in ("complaint_at", "petition_at"):
            raise ValueError(column)
        self.session.execute(
            sql(
                f"INSERT INTO governance_tickets (estate_code, ticket_id, {column}) VALUES (:estate, :ticket, :at) "
                f"ON CONFLICT (estate_code, ticket_id) DO UPDATE SET {column} = "
                f"least(governance_tickets.{column}, EXCLUDED.{column})"
            ),
            {"estate": estate_code, "ticket": ticket_id, "at": at},
        )

    # The books ----------------------------------------------------------------------------------

    def books_moved(
        self,
        estate_code: str,
        period: str,
        billed: int,
        collected: int,
        income: int,
        expenses: int,
        budget_lines: Mapping[str, int],
    ) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_books (estate_code, period, fees_billed_fen, fees_collected_fen, income_fen, "
                "expenses_fen) VALUES (:estate, :period, :billed, :collected, :income, :expenses) "
                "ON CONFLICT (estate_code, period) DO UPDATE SET "
                "fees_billed_fen = governance_books.fees_billed_fen + EXCLUDED.fees_billed_fen, "
                "fees_collected_fen = governance_books.fees_collected_fen + EXCLUDED.fees_collected_fen, "
                "income_fen = governance_books.income_fen + EXCLUDED.income_fen, "
                "expenses_fen = governance_books.expenses_fen + EXCLUDED.expenses_fen"
            ),
            {
                "estate": estate_code,
                "period": period,
                "billed": billed,
                "collected": collected,
                "income": income,
                "expenses": expenses,
            },
        )
        if budget_lines:
            self.session.execute(
                sql(
                    "INSERT INTO governance_budget_spent (estate_code, period, account, amount_fen) "
                    "SELECT :estate, :period, account, fen FROM unnest(CAST(:accounts AS text[]), "
                    "CAST(:amounts AS bigint[])) AS l(account, fen) ON CONFLICT (estate_code, period, account) "
                    "DO UPDATE SET amount_fen = governance_budget_spent.amount_fen + EXCLUDED.amount_fen"
                ),
                {
                    "estate": estate_code,
                    "period": period,
                    "accounts": list(budget_lines),
                    "amounts": list(budget_lines.values()),
                },
            )

    def budget_adopted(self, estate_code: str, year: int, lines: Mapping[str, int], at: datetime) -> None:
        """The budget of ``year`` adopted last stands."""
        self.session.execute(
            sql(
                "INSERT INTO governance_budgets (estate_code, year, adopted_at, lines) "
                "VALUES (:estate, :year, :at, CAST(:lines AS jsonb)) ON CONFLICT (estate_code, year) DO UPDATE "
                "SET adopted_at = EXCLUDED.adopted_at, lines = EXCLUDED.lines "
                "WHERE governance_budgets.adopted_at <= EXCLUDED.adopted_at"
            ),
            {"estate": estate_code, "year": year, "at": at, "lines": json.dumps(dict(lines), sort_keys=True)},
        )

    def period_closed(
        self, estate_code: str, period: str, at: datetime, billed: int, collected: int, closing: int, surplus: int
    ) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_closes (estate_code, period, closed_at, fees_billed_fen, fees_collected_fen, "
                "closing_balance_fen, surplus_year_to_date_fen) VALUES (:estate, :period, :at, :billed, :collected, "
                ":closing, :surplus) ON CONFLICT (estate_code, period) DO NOTHING"
            ),
            {
                "estate": estate_code,
                "period": period,
                "at": at,
                "billed": billed,
                "collected": collected,
                "closing": closing,
                "surplus": surplus,
            },
        )

    def checkpoint_published(self, estate_code: str, period: str, origin: str, tree_size: int, root: bytes) -> None:
        """The largest checkpoint signed for the month's close (or since) stands."""
        self.session.execute(
            sql(
                "INSERT INTO governance_checkpoints (estate_code, period, origin, tree_size, root_hash) "
                "VALUES (:estate, :period, :origin, :size, :root) ON CONFLICT (estate_code, period) DO UPDATE "
                "SET origin = EXCLUDED.origin, tree_size = EXCLUDED.tree_size, root_hash = EXCLUDED.root_hash "
                "WHERE governance_checkpoints.tree_size < EXCLUDED.tree_size"
            ),
            {"estate": estate_code, "period": period, "origin": origin, "size": tree_size, "root": root},
        )

    def checkpoint_cosigned(self, estate_code: str, tree_size: int, witness: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_cosignatures (estate_code, tree_size, witness) VALUES (:estate, :size, :witness) "
                "ON CONFLICT DO NOTHING"
            ),
            {"estate": estate_code, "size": tree_size, "witness": witness},
        )

    # The community micro-fund -------------------------------------------------------------------

    def fund_flow(
        self,
        scope: str,
        community_code: str,
        estate_code: str | None,
        kind: str,
        reference: str,
        amount_fen: int,
        at: datetime,
        period: str | None = None,
    ) -> None:
        self.session.execute(
            sql(
                "INSERT INTO governance_fund_flows (scope, community_code, estate_code, kind, reference, period, at, "
                "amount_fen) VALUES (:scope, :community, :estate, :kind, :reference, :period, :at, :amount) "
                "ON CONFLICT (scope, kind, reference) DO NOTHING"
            ),
            {
                "scope": scope,
                "community": community_code,
                "estate": estate_code or None,
                "kind": kind,
                "reference": reference,
                "period": period,
                "at": at,
                "amount": amount_fen,
            },
        )


def _month_bounds(period: str) -> tuple[str, str]:
    year, month = int(period[:4]), int(period[5:])
    following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return f"{period}-01 00:00:00", f"{following}-01 00:00:00"


# Each estate with its month's bounds in its own time zone (a "timestamp AT TIME ZONE" is the instant
# that local time names there); estates onboarded after the month are not in it.
_ESTATES = (
    "WITH e AS (SELECT estate_code, name, district_code, sub_district_code, community_code, time_zone, status, "
    "onboarded_at, "
    "CAST(:start AS timestamp) AT TIME ZONE time_zone AS month_start, "
    "CAST(:end AS timestamp) AT TIME ZONE time_zone AS month_end FROM governance_estates) "
)


@contextmanager
def district_session(database: Database, writable: bool = False) -> Iterator[Session]:
    """A transaction across every estate, for the committee's reads: on the system role (its answers
    are aggregates over all estates by design), read only unless ``writable``."""
    with database.system_session() as session:
        if not writable:
            session.execute(sql("SET TRANSACTION READ ONLY"))
        yield session


class GovernanceViews:
    """Reads across every estate (the system role): each estate's month, from the facts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def estates(self, period: str) -> list[EstateIdentity]:
        start, end = _month_bounds(period)
        rows = self.session.execute(
            sql(_ESTATES + "SELECT * FROM e WHERE onboarded_at < month_end ORDER BY estate_code"),
            {"start": start, "end": end},
        ).all()
        return [
            EstateIdentity(
                r.estate_code, r.name, r.district_code, r.sub_district_code, r.community_code, r.time_zone, r.status
            )
            for r in rows
        ]

    def months(self, period: str) -> dict[str, EstateMonth]:
        """Every estate's month (those onboarded by its end), from the facts recorded so far."""
        start, end = _month_bounds(period)
        bounds = {"start": start, "end": end}
        months = {e.code: EstateMonth(period, frozenset({e.code})) for e in self.estates(period)}
        if not months:
            return months
        for r in self.session.execute(
            sql(
                _ESTATES + "SELECT e.estate_code, count(h.household_id) AS households FROM e "
                "JOIN governance_households h ON h.estate_code = e.estate_code AND h.registered_at < e.month_end "
                "GROUP BY e.estate_code"
            ),
            bounds,
        ):
            if r.estate_code in months:
                months[r.estate_code].households = int(r.households)
        for r in self.session.execute(
            sql(
                _ESTATES + "SELECT t.estate_code, "
                "array_agg(t.first_response_seconds) FILTER (WHERE t.first_response_seconds IS NOT NULL) AS frs, "
                "array_agg(t.resolution_seconds) FILTER (WHERE t.resolution_seconds IS NOT NULL) AS rs, "
                "count(*) FILTER (WHERE t.first_response_met AND t.first_response_seconds IS NOT NULL) AS frm, "
                "count(*) FILTER (WHERE t.resolution_met AND t.resolution_seconds IS NOT NULL) AS rm, "
                "array_agg(t.rating) FILTER (WHERE t.rating IS NOT NULL) AS ratings, "
                "count(*) FILTER (WHERE t.complaint_at IS NOT NULL) AS complaints "
                "FROM governance_tickets t JOIN e ON e.estate_code = t.estate_code "
                "WHERE t.reported_at >= e.month_start AND t.reported_at < e.month_end GROUP BY t.estate_code"
            ),
            bounds,
        ):
            month = months.get(r.estate_code)
            if month is None:
                continue
            month.first_response_seconds = [int(v) for v in r.frs or []]
            month.resolution_seconds = [int(v) for v in r.rs or []]
            month.first_response_met = int(r.frm)
            month.resolution_met = int(r.rm)
            month.ratings = Counter(int(v) for v in r.ratings or [])
            month.complaints = int(r.complaints)
        for r in self.session.execute(
            sql(
                _ESTATES + "SELECT t.estate_code, count(*) AS petitions FROM governance_tickets t "
                "JOIN e ON e.estate_code = t.estate_code "
                "WHERE t.petition_at >= e.month_start AND t.petition_at < e.month_end GROUP BY t.estate_code"
            ),
            bounds,
        ):
            if r.estate_code in months:
                months[r.estate_code].petitions = int(r.petitions)
        year_start = f"{period[:4]}-01"
        for r in self.session.execute(
            sql(
                "SELECT estate_code, sum(fees_billed_fen) FILTER (WHERE period = :period) AS billed, "
                "sum(fees_collected_fen) FILTER (WHERE period = :period) AS collected, "
                "sum(income_fen - expenses_fen) AS surplus FROM governance_books "
                "WHERE period BETWEEN :year_start AND :period GROUP BY estate_code"
            ),
            {"period": period, "year_start": year_start},
        ):
            month = months.get(r.estate_code)
            if month is not None:
                month.billed_fen = int(r.billed or 0)
                month.collected_fen = int(r.collected or 0)
                month.surplus_fen = int(r.surplus or 0)
        for r in self.session.execute(
            sql(
                "SELECT estate_code, account, sum(amount_fen) AS fen FROM governance_budget_spent "
                "WHERE period BETWEEN :year_start AND :period GROUP BY estate_code, account"
            ),
            {"period": period, "year_start": year_start},
        ):
            month = months.get(r.estate_code)
            if month is not None and int(r.fen):
                month.budget_actual_fen[r.account] = int(r.fen)
        for r in self.session.execute(
            sql("SELECT estate_code, lines FROM governance_budgets WHERE year = :year"), {"year": int(period[:4])}
        ):
            month = months.get(r.estate_code)
            if month is not None:
                month.budget_adopted_fen.update({line: int(fen) for line, fen in dict(r.lines).items()})
        for r in self.session.execute(
            sql(
                _ESTATES + "SELECT f.estate_code, "
                "sum(f.amount_fen) FILTER (WHERE f.kind = 'pledged' AND f.period = :period) AS pledged, "
                "sum(f.amount_fen) FILTER (WHERE f.kind = 'received' AND f.at >= e.month_start "
                "AND f.at < e.month_end) AS received "
                "FROM governance_fund_flows f JOIN e ON e.estate_code = f.estate_code GROUP BY f.estate_code"
            ),
            {**bounds, "period": period},
        ):
            month = months.get(r.estate_code)
            if month is not None:
                month.fund_pledged_fen = int(r.pledged or 0)
                month.fund_received_fen = int(r.received or 0)
        return months

    def community_funds(self, period: str, time_zone: str) -> dict[str, EstateMonth]:
        """What each community's fund received from others than its estates' firms, and granted, in the
        month (in ``time_zone``, the district's): counted in the community's figures, not an estate's."""
        start, end = _month_bounds(period)
        rows = self.session.execute(
            sql(
                "SELECT community_code, sum(amount_fen) FILTER (WHERE kind = 'received' AND estate_code IS NULL) "
                "AS received, sum(amount_fen) FILTER (WHERE kind = 'granted') AS granted FROM governance_fund_flows "
                "WHERE at >= CAST(:start AS timestamp) AT TIME ZONE :tz AND at < CAST(:end AS timestamp) AT TIME ZONE :tz "
                "GROUP BY community_code"
            ),
            {"start": start, "end": end, "tz": time_zone},
        ).all()
        return {
            r.community_code: EstateMonth(
                period, frozenset(), fund_received_fen=int(r.received or 0), fund_granted_fen=int(r.granted or 0)
            )
            for r in rows
        }

    def checkpoints(self, period: str) -> list[CheckpointFacts]:
        rows = self.session.execute(
            sql(
                "SELECT c.estate_code, c.period, c.origin, c.tree_size, c.root_hash, "
                "coalesce(array_agg(s.witness ORDER BY s.witness) FILTER (WHERE s.witness IS NOT NULL), '{}') AS witnesses "
                "FROM governance_checkpoints c LEFT JOIN governance_cosignatures s "
                "ON s.estate_code = c.estate_code AND s.tree_size = c.tree_size WHERE c.period = :period "
                "GROUP BY c.estate_code, c.period, c.origin, c.tree_size, c.root_hash ORDER BY c.estate_code"
            ),
            {"period": period},
        ).all()
        return [
            CheckpointFacts(r.estate_code, r.period, r.origin, int(r.tree_size), bytes(r.root_hash), tuple(r.witnesses))
            for r in rows
        ]

    def closed(self, period: str) -> set[str]:
        rows = self.session.execute(
            sql("SELECT estate_code FROM governance_closes WHERE period = :period"), {"period": period}
        )
        return {r.estate_code for r in rows}
