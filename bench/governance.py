"""`make bench-governance`: the committee's read side (治理指标) at a district's size, beside pgbench.

Issue 12, item 6: the figures stay fresh as the district grows. Two measurements, after pgbench's
two-row transactions on the platform's own PostgreSQL cluster in the same run (bench/pgbench_baseline.py):

1. **Replay.** A year of synthetic events of 300 estates (the mix: ``Mix`` below, sizes in
   ``--help``) is produced as the services produce it — protobuf messages in CloudEvents of Kafka's
   binary mode, key = subject (estate code, or ``community:<code>`` for the micro-fund) — into topics
   of the run's own, ``xinyi.bench.<run>.<service>.events.v1`` (``--partitions`` each), never the
   platform's. The read side's own rebuild (``tenant_service.governance_rebuild.rebuild``, one
   transaction, the live consumer's handlers) replays them into an empty read model in a scratch
   database, ``tenant_governance_bench`` on the same cluster, with owner / app / system roles made
   as deploy/postgres/provision.sh makes the tenant's, migrated with the tenant's Alembic
   migrations. Reported: events applied per second beside pgbench's two-row tx/s. Then one month's
   figures over every estate, as ``GET /v1/governance/figures?period=`` computes them (the service
   layer's ``Committee.figures`` and the JSON shaping, no HTTP), on that database, timed; and the
   same request over HTTP on the live tenant as ``governance-observer``, for reference. The topics,
   the database and its roles are removed at the end.
2. **Freshness under load.** The payments load of `make bench` (``--clients`` firm-manager clients
   paying households of 3 estates the run onboards and bills through the API; bench/workloads.py)
   runs against the live platform for ``--seconds``; for every ``xinyi.ledger.v1.BooksMoved`` the
   ledger recorded meanwhile (one per payment, and the remuneration accruer's), the delay from its
   outbox row's ``created_at`` (ledger database) to ``processed_events.processed_at`` of consumer
   ``tenant.governance`` (tenant database; the row's ``event_id`` is the outbox row's id): both
   ``now()`` of their transactions, stamped by the same PostgreSQL server's clock. Also shown: the
   relay's share (``published_at``) and when the bench first saw the event's claim committed
   (polled every 0.1 s). Target: p99 ≤ 2 s.

Figures, not assertions: nothing fails on a slow machine. Needs a running platform (`make up`) and
root (or sudo) for the cluster's superuser; one benchmark at a time (the lock of `make bench`).
A killed run leaves its topics, database and estates behind: ``--cleanup`` removes the topics and
the database, ``bench/run.py --cleanup`` the estates. The default year is about 2.2 million events
(over an hour of replay on the 2-core development machine); ``--quick`` replays one month (about
35,000 events, a minute or two).

Usage: .venv/bin/python bench/governance.py [--estates 300 --months 12 --payments 150 --tickets 50]
       [--seconds 60 --clients 8] [--quick] [--skip replay|freshness] [--keep] [--cleanup]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import random
import resource
import secrets
import signal
import statistics
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from google.protobuf.message import Message
from kafka import KafkaAdminClient, KafkaProducer

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

import tenant_service  # noqa: E402
from bench import workloads  # noqa: E402
from bench.common import PORTS, estate_today, http_url, percentile, service_pids, wait_for_platform  # noqa: E402
from bench.fixtures import BenchPlatform, new_run_id  # noqa: E402
from bench.pgbench_baseline import Pgbench, PgbenchResult  # noqa: E402
from bench.run import exclusive  # noqa: E402
from bench.superuser import psql, psql_autocommit  # noqa: E402
from tenant_service.adapters.governance_store import district_session  # noqa: E402
from tenant_service.domain.governance import Thresholds  # noqa: E402
from tenant_service.entrypoints.governance_consumer import CONSUMER_GROUP  # noqa: E402
from tenant_service.governance_rebuild import rebuild  # noqa: E402
from tenant_service.service_layer.governance import Committee, area_json  # noqa: E402
from tenant_service.settings import TenantSettings  # noqa: E402
from tests.harness import connect, user_token  # noqa: E402
from xinyi.ledger.v1 import events_pb2 as ledger_events  # noqa: E402
from xinyi.microfund.v1 import events_pb2 as fund_events  # noqa: E402
from xinyi.tenant.v1 import events_pb2 as tenant_events  # noqa: E402
from xinyi.tenant.v1 import tenant_pb2  # noqa: E402
from xinyi.ticketing.v1 import events_pb2 as ticket_events  # noqa: E402
from xinyi_shared.db import Database  # noqa: E402
from xinyi_shared.events import CloudEvent  # noqa: E402
from xinyi_shared.migrations import upgrade_to_head  # noqa: E402

RESULTS_DIR = REPO_DIR / "bench" / "results"
TIME_ZONE = ZoneInfo("Asia/Shanghai")
TARGET_P99_SECONDS = 2.0
SERVICES = ("tenant", "ledger", "ticketing", "microfund")
BOOKS_MOVED = ledger_events.BooksMoved.DESCRIPTOR.full_name

# The scratch read model: a database and three roles named as TenantSettings.database_url names them
# (<db_name>_owner / _app / _system), so the tenant's own code reaches it with db_name alone.
DATABASE = "tenant_governance_bench"
ROLES = {"owner": "NOSUPERUSER NOBYPASSRLS", "app": "NOSUPERUSER NOBYPASSRLS", "system": "NOSUPERUSER BYPASSRLS"}
TOPIC_PREFIX = "xinyi.bench."
CODE_PREFIX = "gbench"  # the synthetic estates' codes; they exist only in the bench topics and database

QUICK = {"months": 1, "payments": 20, "tickets": 8, "expenses": 2, "seconds": 20}


def say(message: str) -> None:
    print(message, flush=True)


# 1. A year of events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """What each estate does in a month, on average (each estate's households are drawn from 0.5× to
    1.5× the average, and its payments and tickets scale with them)."""

    estates: int = 300
    months: int = 12
    households: int = 2000  # per estate, imported at onboarding in ``imports`` files
    imports: int = 4
    payments: int = 150  # per estate-month: most households pay the year at once, some by quarter
    payments_per_accrual: int = 3  # the ledger's accruer posts the remuneration per batch of payments
    tickets: int = 50  # per estate-month
    expenses: int = 10  # per estate-month: proposed, approved (booked), paid
    estates_per_community: int = 10
    communities_per_sub_district: int = 6

    def describe(self) -> str:
        return (
            f"{self.estates} estates × {self.months} months; per estate {self.households:,} households on average "
            f"({self.imports} imports); per estate-month {self.payments} payments (a BooksMoved each, and one "
            f"accrual per {self.payments_per_accrual}), billing in chunks of 1,000 households, {self.expenses} "
            f"expenses (proposed, approved, paid), 3 common incomes, {self.tickets} tickets (reported, 5 steps, "
            f"70% rated, breaches of missed first responses, 2% complaints, a quarter of them escalated), the close "
            f"(PeriodClosed, checkpoint published and co-signed, donation declared, pledged and received); per "
            f"community-month 2 other donations and a grant applied, decided and paid"
        )


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=TIME_ZONE)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TIME_ZONE)
    return start, end


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Estate:
    code: str
    community: str
    sub_district: str
    households: list[str]
    fee_per_household_fen: int
    collection_share: float
    budget: dict[str, int]
    entries: int = 0  # the log's size, for checkpoints
    balance_fen: int = 0
    surplus_fen: int = 0  # year to date


BUDGET_LINES = ("5100", "5200", "5300", "5400", "5500", "5600", "5900")


class YearOfEvents:
    """The synthetic history: ``events(part, parts)`` yields (service, CloudEvent) month by month,
    each estate-month's events in time order, for every ``parts``-th estate and community from
    ``part`` (so several processes can produce it); ``counts`` tallies them by type. The same
    ``seed`` gives the same history however it is split: each estate-month draws from its own
    generator."""

    def __init__(self, mix: Mix, run: str, year: int, seed: int = 12) -> None:
        self.mix, self.run, self.year, self.seed = mix, run, year, seed
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.district = f"{CODE_PREFIX}-{run}"
        self.estates: list[Estate] = []
        for index in range(mix.estates):
            community_index = index // mix.estates_per_community
            households = max(20, round(mix.households * self.rng.uniform(0.5, 1.5)))
            fee = round(95 * 220 * self.rng.uniform(0.8, 1.2))  # ~95 m² at 2.20 yuan per m² a month
            yearly_spend = households * fee * 12 * 0.8  # what the lines may spend of the fees, after remuneration
            weights = [self.rng.uniform(0.5, 1.5) for _ in BUDGET_LINES]
            self.estates.append(
                Estate(
                    code=f"{self.district}-{index:03d}",
                    community=f"{self.district}-c{community_index:02d}",
                    sub_district=f"{self.district}-s{community_index // mix.communities_per_sub_district}",
                    households=[_id(self.rng) for _ in range(households)],
                    fee_per_household_fen=fee,
                    collection_share=self.rng.uniform(0.75, 0.98),
                    budget={
                        line: round(yearly_spend * w / sum(weights))
                        for line, w in zip(BUDGET_LINES, weights, strict=True)
                    },
                )
            )
        self.communities = sorted({e.community for e in self.estates})

    def expected(self) -> int:
        """About how many events ``events()`` yields (before it ran): per estate-month the billing
        chunks, payments, accruals, 5 per expense (3 of its own, 2 BooksMoved), 3 incomes, about 7 per
        ticket and 6 for the close; per estate 5 and the imports; per community-month about 5."""
        m = self.mix
        chunks = math.ceil(m.households / 1000)
        per_month = (
            chunks
            + m.payments
            + math.ceil(m.payments / m.payments_per_accrual)
            + 5 * m.expenses
            + 3
            + 7 * m.tickets
            + 6
        )
        return round(m.estates * (m.months * per_month + 5 + m.imports) + len(self.communities) * m.months * 5)

    def events(self, part: int = 0, parts: int = 1) -> Iterator[tuple[str, CloudEvent]]:
        estates, communities = self.estates[part::parts], self.communities[part::parts]
        for estate in estates:
            self.rng.seed(f"{self.seed}:{estate.code}")
            yield from self._sorted(self._onboarding(estate))
        for month in range(1, self.mix.months + 1):
            for estate in estates:
                self.rng.seed(f"{self.seed}:{estate.code}:{month}")
                yield from self._sorted(self._estate_month(estate, month))
            for community in communities:
                self.rng.seed(f"{self.seed}:{community}:{month}")
                yield from self._sorted(self._community_month(community, month))

    def _sorted(self, events: list[tuple[datetime, str, str, Message]]) -> Iterator[tuple[str, CloudEvent]]:
        events.sort(key=lambda e: e[0])
        for moment, service, subject, message in events:
            self.counts[message.DESCRIPTOR.full_name] += 1
            event = CloudEvent.from_message(f"xinyi/{service}", subject, message)
            yield service, replace(event, time=_at(moment))

    def _onboarding(self, e: Estate) -> list[tuple[datetime, str, str, Message]]:
        rng = self.rng
        start, _ = _month(self.year, 1)
        onboarded = start + timedelta(hours=rng.uniform(1, 24))
        estate = tenant_pb2.Estate(
            code=e.code,
            name=f"基准小区 {e.code[-3:]}",
            district_code=self.district,
            community_code=e.community,
            fee_rate_fen_per_sqm_month="220",
            remuneration_share_bps=1500,
            donation_share_bps=3000,
            status=tenant_pb2.ESTATE_STATUS_ACTIVE,
            time_zone="Asia/Shanghai",
            sub_district_code=e.sub_district,
            remuneration_basis=tenant_pb2.REMUNERATION_BASIS_COLLECTED,
            billing_day=1,
            firm_name="基准物业",
        )
        out: list[tuple[datetime, str, str, Message]] = [
            (onboarded, "tenant", e.code, tenant_events.EstateOnboarded(estate=estate)),
            (
                onboarded + timedelta(seconds=1),
                "ledger",
                e.code,
                ledger_events.TrustBooksOpened(estate_code=e.code, account_count=24),
            ),
        ]
        size = math.ceil(len(e.households) / self.mix.imports)
        for n in range(self.mix.imports):
            out.append(
                (
                    onboarded + timedelta(hours=2 + n),
                    "tenant",
                    e.code,
                    tenant_events.HouseholdsImported(
                        estate_code=e.code, household_ids=e.households[n * size : (n + 1) * size]
                    ),
                )
            )
        ballot, opened = _id(rng), onboarded + timedelta(days=3)
        out += [
            (
                opened,
                "tenant",
                e.code,
                tenant_events.BallotOpened(
                    estate_code=e.code,
                    ballot_id=ballot,
                    question="年度物业服务方案",
                    options=["方案A", "方案B"],
                    electorate_size=len(e.households),
                    subject=f"budget:{ballot}",
                ),
            ),
            (
                opened + timedelta(days=10),
                "tenant",
                e.code,
                tenant_events.BallotClosed(
                    estate_code=e.code,
                    ballot_id=ballot,
                    tally={"方案A": len(e.households) // 3, "方案B": len(e.households) // 5},
                    electorate_size=len(e.households),
                    votes_cast=len(e.households) // 3 + len(e.households) // 5,
                    quorum_met=True,
                    adopted_option="方案A",
                    subject=f"budget:{ballot}",
                ),
            ),
            (
                opened + timedelta(days=10, seconds=2),
                "ledger",
                e.code,
                ledger_events.BudgetAdopted(
                    estate_code=e.code,
                    year=self.year,
                    draft_id=ballot,
                    plan_name="方案A",
                    ballot_id=ballot,
                    fee_income_fen=len(e.households) * e.fee_per_household_fen * 12,
                    lines=[ledger_events.BudgetLineAmount(account=a, amount_fen=f) for a, f in e.budget.items()],
                ),
            ),
        ]
        return out

    def _moved(self, e: Estate, period: str, **amounts: Any) -> ledger_events.BooksMoved:
        lines = amounts.pop("budget_lines", {})
        e.entries += 1
        return ledger_events.BooksMoved(
            estate_code=e.code,
            period=period,
            budget_lines=[ledger_events.BudgetLineAmount(account=a, amount_fen=f) for a, f in lines.items()],
            transactions=1,
            **amounts,
        )

    def _estate_month(self, e: Estate, month: int) -> list[tuple[datetime, str, str, Message]]:
        rng, mix = self.rng, self.mix
        start, end = _month(self.year, month)
        period = f"{start.year:04d}-{start.month:02d}"
        span = (end - start).total_seconds()

        def during() -> datetime:
            return start + timedelta(seconds=rng.uniform(0, span))

        out: list[tuple[datetime, str, str, Message]] = []

        def ledger(moment: datetime, message: Message) -> None:
            out.append((moment, "ledger", e.code, message))

        scale = len(e.households) / mix.households
        income = expenses = 0
        # Billing on the first, in chunks of 1,000 households (the ledger's default chunk).
        billed = 0
        for first in range(0, len(e.households), 1000):
            chunk = len(e.households[first : first + 1000]) * e.fee_per_household_fen
            billed += chunk
            ledger(
                start + timedelta(hours=2, seconds=first / 100),
                self._moved(e, period, fees_billed_fen=chunk, income_fen=chunk),
            )
        income += billed
        # Payments, and the remuneration accrued on them a batch at a time.
        payments = max(1, round(mix.payments * scale))
        collected_total = round(billed * e.collection_share)
        collected = accrued = 0
        moments = sorted(during() for _ in range(payments))
        for n, moment in enumerate(moments):
            amount = collected_total // payments + (1 if n < collected_total % payments else 0)
            collected += amount
            ledger(moment, self._moved(e, period, fees_collected_fen=amount))
            if (n + 1) % mix.payments_per_accrual == 0 or n == payments - 1:
                share = collected * 1500 // 10000 - accrued
                accrued += share
                ledger(moment + timedelta(seconds=2), self._moved(e, period, expenses_fen=share))
        expenses += accrued
        # Expenses on the budget lines: proposed, approved (booked), paid.
        for n in range(mix.expenses):
            line = BUDGET_LINES[(month * mix.expenses + n) % len(BUDGET_LINES)]
            monthly = e.budget[line] / 12 / max(1, mix.expenses / len(BUDGET_LINES))
            amount = max(100, round(monthly * rng.uniform(0.6, 1.3)))
            expense, proposed = _id(rng), during()
            ledger(
                proposed,
                ledger_events.ExpenseProposed(
                    estate_code=e.code, expense_id=expense, account=line, amount_fen=amount, escalation="none"
                ),
            )
            approved = proposed + timedelta(hours=rng.uniform(1, 48))
            ledger(
                approved,
                ledger_events.ExpenseApproved(
                    estate_code=e.code,
                    expense_id=expense,
                    account=line,
                    amount_fen=amount,
                    period=period,
                    transaction_id=_id(rng),
                    approval=ledger_events.APPROVAL_SUPERVISOR,
                ),
            )
            ledger(approved, self._moved(e, period, expenses_fen=amount, budget_lines={line: amount}))
            paid = approved + timedelta(hours=rng.uniform(1, 72))
            ledger(
                paid,
                ledger_events.ExpensePaid(
                    estate_code=e.code, expense_id=expense, amount_fen=amount, period=period, transaction_id=_id(rng)
                ),
            )
            ledger(paid, self._moved(e, period))  # Dr 2300 / Cr 1000: no figure moves, the event still goes
            expenses += amount
        for _ in range(3):  # parking, advertising, venue rent
            amount = rng.randint(50_000, 500_000)
            income += amount
            ledger(during(), self._moved(e, period, income_fen=amount))
        # The close, early the next month, and what follows it.
        closed = end + timedelta(days=1, hours=10 + rng.uniform(0, 8))
        e.surplus_fen = (0 if month == 1 else e.surplus_fen) + income - expenses
        e.balance_fen += collected + income - billed - expenses
        remuneration, donation = accrued, accrued * 3000 // 10000
        ledger(
            closed,
            ledger_events.PeriodClosed(
                estate_code=e.code,
                period=period,
                fees_billed_fen=billed,
                fees_collected_fen=collected,
                collection_rate_bps=(2 * collected * 10000 + billed) // (2 * billed),
                remuneration_fen=remuneration,
                donation_fen=donation,
                closing_balance_fen=e.balance_fen,
                surplus_year_to_date_fen=e.surplus_fen,
            ),
        )
        ledger(
            closed,
            ledger_events.DonationDeclared(
                estate_code=e.code,
                community_code=e.community,
                period=period,
                amount_fen=donation,
                transaction_id=_id(rng),
            ),
        )
        origin = f"ledger.xinyi.localhost/estates/{e.code}"
        ledger(
            closed,
            ledger_events.CheckpointPublished(
                estate_code=e.code,
                period=period,
                origin=origin,
                tree_size=e.entries,
                root_hash=hashlib.sha256(f"{e.code}/{period}".encode()).digest(),
            ),
        )
        ledger(
            closed + timedelta(days=1),
            ledger_events.CheckpointCosigned(
                estate_code=e.code, origin=origin, tree_size=e.entries, witness_key_name=f"supervisor-{e.code}"
            ),
        )
        scope = f"community:{e.community}"
        out.append(
            (
                closed + timedelta(minutes=1),
                "microfund",
                scope,
                fund_events.DonationPledged(
                    community_code=e.community,
                    estate_code=e.code,
                    period=period,
                    amount_fen=donation,
                    pledge_id=f"{e.code}:{period}",
                ),
            )
        )
        out.append(
            (
                closed + timedelta(days=rng.uniform(5, 20)),
                "microfund",
                scope,
                fund_events.DonationReceived(
                    community_code=e.community,
                    donation_id=_id(rng),
                    source="firm",
                    estate_code=e.code,
                    amount_fen=donation,
                ),
            )
        )
        out += self._tickets(e, max(1, round(mix.tickets * scale)), during)
        return out

    def _tickets(self, e: Estate, count: int, during: Any) -> list[tuple[datetime, str, str, Message]]:
        rng = self.rng
        out: list[tuple[datetime, str, str, Message]] = []

        def add(moment: datetime, message: Message) -> None:
            out.append((moment, "ticketing", e.code, message))

        for _ in range(count):
            ticket, reported = _id(rng), during()
            category = rng.choice(("lighting", "plumbing", "elevator", "cleaning", "greening", "security"))
            first = 60 + int(rng.expovariate(1 / 1200))  # first response: 20 min on average, 30 min target
            resolution = first + 1800 + int(rng.expovariate(1 / 72_000))  # 20 h on average, 48 h target
            f_met, r_met = first <= 1800, resolution <= 48 * 3600
            add(
                reported,
                ticket_events.TicketReported(
                    estate_code=e.code,
                    ticket_id=ticket,
                    category=category,
                    urgency="normal",
                    grid_code=f"g-{rng.randint(1, 12)}",
                    reporter_kind="resident",
                    reported_at=_at(reported),
                    first_response_due_at=_at(reported + timedelta(minutes=30)),
                    resolution_due_at=_at(reported + timedelta(hours=48)),
                    public=rng.random() < 0.3,
                ),
            )
            if not f_met:
                deadline = reported + timedelta(minutes=30)
                for level, late in (("firm_manager", 1), ("community_officer", 1801)):
                    if first > 1800 + late - 1:
                        add(
                            deadline + timedelta(seconds=late),
                            ticket_events.SlaBreached(
                                estate_code=e.code,
                                ticket_id=ticket,
                                kind="first_response",
                                level=level,
                                deadline=_at(deadline),
                                detected_at=_at(deadline + timedelta(seconds=late)),
                                category=category,
                                urgency="normal",
                            ),
                        )
            rated = rng.random() < 0.7
            resolved = reported + timedelta(seconds=resolution)
            steps = [
                ("acknowledge", "open", "acknowledged", reported + timedelta(seconds=first), False),
                ("start", "acknowledged", "in_progress", reported + timedelta(seconds=first + 60), False),
                ("resolve", "in_progress", "resolved", resolved, True),
                (
                    "confirm" if rated else "auto_confirm",
                    "resolved",
                    "confirmed",
                    resolved + (timedelta(hours=rng.uniform(1, 48)) if rated else timedelta(days=3)),
                    True,
                ),
            ]
            steps.append(("close", "confirmed", "closed", steps[-1][3] + timedelta(days=7), True))
            for seq, (action, before, after, moment, done) in enumerate(steps, start=2):
                figures = ticket_events.TicketFigures(first_response_seconds=first, first_response_met=f_met)
                if done:
                    figures.resolution_seconds = resolution
                    figures.resolution_met = r_met
                add(
                    moment,
                    ticket_events.TicketTransitioned(
                        estate_code=e.code,
                        ticket_id=ticket,
                        seq=seq,
                        action=action,
                        from_status=before,
                        to_status=after,
                        at=_at(moment),
                        actor_role="system" if action in ("auto_confirm", "close") else "firm_staff",
                        category=category,
                        urgency="normal",
                        figures=figures,
                    ),
                )
                if action == "confirm":
                    score = rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 12, 8, 5))[0]
                    add(
                        moment,
                        ticket_events.TicketRated(
                            estate_code=e.code, ticket_id=ticket, score=score, at=_at(moment), category=category
                        ),
                    )
            if rng.random() < 0.02:
                filed = resolved + timedelta(hours=1)
                add(
                    filed,
                    ticket_events.ComplaintFiled(
                        estate_code=e.code, ticket_id=ticket, at=_at(filed), category=category
                    ),
                )
                if rng.random() < 0.25:
                    escalated = filed + timedelta(days=2)
                    add(
                        escalated,
                        ticket_events.ComplaintEscalated(
                            estate_code=e.code,
                            ticket_id=ticket,
                            at=_at(escalated),
                            category=category,
                            by_role="resident",
                        ),
                    )
        return out

    def _community_month(self, community: str, month: int) -> list[tuple[datetime, str, str, Message]]:
        rng = self.rng
        start, end = _month(self.year, month)
        scope = f"community:{community}"

        def during() -> datetime:
            return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds() - 86400 * 5))

        out: list[tuple[datetime, str, str, Message]] = []
        for _ in range(2):
            out.append(
                (
                    during(),
                    "microfund",
                    scope,
                    fund_events.DonationReceived(
                        community_code=community,
                        donation_id=_id(rng),
                        source="resident",
                        amount_fen=rng.randint(1_000, 50_000),
                        anonymous=rng.random() < 0.5,
                    ),
                )
            )
        grant, applied, amount = _id(rng), during(), rng.randint(100_000, 2_000_000)
        approved = rng.random() < 0.8
        out += [
            (
                applied,
                "microfund",
                scope,
                fund_events.GrantApplied(community_code=community, grant_id=grant, amount_fen=amount),
            ),
            (
                applied + timedelta(days=3),
                "microfund",
                scope,
                fund_events.GrantDecided(
                    community_code=community, grant_id=grant, approved=approved, amount_fen=amount, decided_by="officer"
                ),
            ),
        ]
        if approved:
            out.append(
                (
                    applied + timedelta(days=5),
                    "microfund",
                    scope,
                    fund_events.GrantDisbursed(
                        community_code=community, grant_id=grant, instalment=1, amount_fen=amount
                    ),
                )
            )
        return out


# The bench's topics and database ----------------------------------------------------------------


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{PORTS['KAFKA_PORT']}"


class BenchTopics:
    """The run's four topics, created with ``partitions`` each and deleted at the end."""

    def __init__(self, run: str, partitions: int, keep: bool = False) -> None:
        self.names = {service: f"{TOPIC_PREFIX}{run}.{service}.events.v1" for service in SERVICES}
        self.partitions = partitions
        self.keep = keep

    def __enter__(self) -> BenchTopics:
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap(), client_id="xinyi-bench-governance")
        try:
            admin.create_topics(
                {name: {"num_partitions": self.partitions, "replication_factor": 1} for name in self.names.values()},
                wait_for_metadata=True,
            )
        finally:
            admin.close()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.keep:
            say(f"  kept the topics {', '.join(self.names.values())} (--cleanup removes them)")
            return
        delete_topics(list(self.names.values()))


def delete_topics(names: list[str]) -> None:
    if not names:
        return
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap(), client_id="xinyi-bench-governance")
    try:
        admin.delete_topics(names, raise_errors=False)
    finally:
        admin.close()


def leftover_topics() -> list[str]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap(), client_id="xinyi-bench-governance")
    try:
        return sorted(name for name in admin.list_topics() if name.startswith(TOPIC_PREFIX))
    finally:
        admin.close()


class ScratchReadModel:
    """``tenant_governance_bench`` and its three roles, made as deploy/postgres/provision.sh makes the
    tenant's (a scratch password), migrated to the tenant's head; dropped at the end."""

    def __init__(self, partitions: int, keep: bool = False) -> None:
        self.keep = keep
        self.password = secrets.token_hex(16)
        self.settings = TenantSettings(
            db_name=DATABASE,
            db_host="127.0.0.1",
            db_port=PORTS["POSTGRES_PORT"],
            db_password=self.password,  # type: ignore[arg-type]
            kafka_bootstrap=kafka_bootstrap(),
            kafka_topic_partitions=partitions,
        )
        self.database: Database | None = None

    def __enter__(self) -> ScratchReadModel:
        self.drop()  # what a killed run left
        for role, attributes in ROLES.items():
            psql_autocommit(f"CREATE ROLE {DATABASE}_{role} LOGIN PASSWORD '{self.password}' {attributes}")
        psql_autocommit(f"CREATE DATABASE {DATABASE} OWNER {DATABASE}_owner ENCODING 'UTF8' TEMPLATE template0")
        owner, users = f"{DATABASE}_owner", f"{DATABASE}_app, {DATABASE}_system"
        psql(
            f"REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC;\n"
            f"GRANT CONNECT ON DATABASE {DATABASE} TO {users};\n"
            f"GRANT USAGE ON SCHEMA public TO {users};\n"
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {users};\n"
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {users};\n",
            DATABASE,
        )
        upgrade_to_head(self.settings, Path(tenant_service.__file__).parent / "migrations")
        self.database = Database(self.settings)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.database is not None:
            self.database.dispose()
        if self.keep:
            say(
                f"  kept the database {DATABASE} (look: runuser -u postgres -- psql -p {PORTS['POSTGRES_PORT']} "
                f"-d {DATABASE}; --cleanup removes it)"
            )
            return
        self.drop()

    @staticmethod
    def drop() -> None:
        psql_autocommit(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        for role in ROLES:
            psql_autocommit(f"DROP ROLE IF EXISTS {DATABASE}_{role}")

    def backend_cpu_seconds(self) -> float:
        """CPU time so far of the PostgreSQL backends serving the system role (same machine: /proc)."""
        rows = psql(f"SELECT pid FROM pg_stat_activity WHERE usename = '{DATABASE}_system'")
        ticks = 0
        for (pid,) in rows:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class ReplayResult:
    pgbench: dict[str, PgbenchResult]  # two-row, --clients and 1 client, just before the replay
    load_average: tuple[float, float]  # 1-minute load average before and after the replay (a shared machine)
    events_produced: int
    produce_seconds: float
    counts: dict[str, int]
    rebuilt: dict[str, Any]
    applied_per_second: float
    records_per_second: float
    replay_cpu_seconds: float  # this process: the Kafka consumer, the handlers, SQLAlchemy
    postgres_cpu_seconds: float  # the backend that applied them
    table_rows: dict[str, int]
    period: str
    figures_first_ms: float
    figures_ms: list[float]
    figures_rows: dict[str, int]
    figures_year_ms: float
    district: dict[str, Any]


def produce_part(history: YearOfEvents, topics: dict[str, str], part: int, parts: int) -> Counter[str]:
    """One process's share of ``history`` into the bench topics, keyed by subject as the outbox relay
    keys them; the events it produced, by type."""
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap(),
        client_id=f"xinyi-bench-governance-{part}",
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    failures: list[BaseException] = []
    started = time.perf_counter()
    sent = 0
    try:
        for service, event in history.events(part, parts):
            future = producer.send(
                topics[service], key=event.subject.encode(), value=event.data, headers=event.kafka_headers()
            )
            future.add_errback(failures.append)
            sent += 1
            if sent % 250_000 == 0:
                say(f"    producer {part + 1}/{parts}: {sent:,} events ({time.perf_counter() - started:.0f} s)")
        producer.flush()
    finally:
        producer.close()
    if failures:
        raise RuntimeError(f"{len(failures)} events were not accepted by Kafka, e.g. {failures[0]!r}")
    return history.counts


def produce(history: YearOfEvents, topics: BenchTopics, processes: int) -> tuple[int, float]:
    """Every event of ``history`` into the bench topics, by ``processes`` processes (Python's Kafka
    client spends a core on a few thousand records a second); (events, seconds). ``history.counts``
    gets their tally."""
    started = time.perf_counter()
    if processes <= 1:
        counts = [produce_part(history, topics.names, 0, 1)]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            counts = pool.starmap(produce_part, [(history, topics.names, k, processes) for k in range(processes)])
    history.counts = sum(counts, Counter())
    return sum(history.counts.values()), time.perf_counter() - started


def time_figures(database: Database, settings: TenantSettings, first: str, last: str) -> tuple[float, list[Any]]:
    """One ``/figures`` request's work without HTTP: the service layer and its JSON shaping."""
    committee = Committee(
        lambda writable=False: district_session(database, writable),
        Thresholds(settings.governance_min_households, settings.governance_min_ratings),
        settings.governance_time_zone,
        settings.report_authority,
    )
    started = time.perf_counter()
    rows = committee.figures(first, last)
    body = json.dumps([area_json(row) for row in rows], ensure_ascii=False)
    elapsed = (time.perf_counter() - started) * 1000
    del body
    return elapsed, rows


def yardstick(pgbench: Pgbench, args: argparse.Namespace, one_client: bool = True) -> dict[str, PgbenchResult]:
    """pgbench's two-row transactions now, with ``--clients`` clients (and 1, like the replay's one session)."""
    results = {"two_row": pgbench.run("two_row", args.clients, args.pgbench_seconds)}
    if one_client:
        results["two_row_1"] = pgbench.run("two_row", 1, args.pgbench_seconds)
    say(
        "  pgbench two-row: "
        + ", ".join(f"{r.clients} client{'s' if r.clients > 1 else ''} {r.tps:,.0f} tx/s" for r in results.values())
        + f" (p99 {results['two_row'].p99_ms:.1f} ms)"
    )
    return results


def replay(args: argparse.Namespace, run: str, pgbench: Pgbench) -> ReplayResult:
    mix = Mix(
        estates=args.estates,
        months=args.months,
        households=args.households,
        payments=args.payments,
        tickets=args.tickets,
        expenses=args.expenses,
    )
    year = estate_today().year - 1
    history = YearOfEvents(mix, run, year)
    say(f"replay: {mix.describe()}")
    say(
        f"  about {history.expected():,} events of {year}, into {args.partitions}-partition topics {TOPIC_PREFIX}{run}.*"
    )
    with (
        BenchTopics(run, args.partitions, args.keep) as topics,
        ScratchReadModel(args.partitions, args.keep) as scratch,
    ):
        assert scratch.database is not None
        sent, produce_seconds = produce(history, topics, args.producers)
        say(f"  produced {sent:,} events in {produce_seconds:.1f} s ({sent / produce_seconds:,.0f}/s)")
        pg = yardstick(pgbench, args)
        say(f"  replaying into an empty read model in {DATABASE} (rebuild, one transaction)…")
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        rebuilt = rebuild(scratch.settings, scratch.database, topics=list(topics.names.values()))
        replay_cpu = _cpu_seconds() - cpu_before
        load_after = os.getloadavg()[0]
        postgres_cpu = scratch.backend_cpu_seconds()
        say(
            f"  {rebuilt.applied:,} events applied of {rebuilt.records:,} records in {rebuilt.seconds:.1f} s = "
            f"{rebuilt.applied / rebuilt.seconds:,.0f} events/s ({rebuilt.duplicates} duplicates, "
            f"{rebuilt.unreadable} unreadable); CPU: this process {replay_cpu:.0f} s, PostgreSQL {postgres_cpu:.0f} s"
        )
        with connect_scratch(scratch) as db:
            tables = {
                table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
                for table in (
                    "governance_estates",
                    "governance_households",
                    "governance_tickets",
                    "governance_books",
                    "governance_budget_spent",
                    "governance_fund_flows",
                    "processed_events",
                )
            }
            db.execute("ANALYZE")  # as autovacuum would soon after a rebuild
        last = f"{year:04d}-{args.months:02d}"
        first_ms, rows = time_figures(scratch.database, scratch.settings, last, last)
        repeats = [time_figures(scratch.database, scratch.settings, last, last)[0] for _ in range(args.figure_repeats)]
        year_ms, _ = time_figures(scratch.database, scratch.settings, f"{year:04d}-01", last)
        levels = Counter(row.level for row in rows)
        district = next(area_json(row)["figures"] for row in rows if row.level == "district")
        say(
            f"  figures of {last} ({levels['estate']} estates, {levels['community']} communities, "
            f"{levels['sub_district']} sub-districts, {levels['district']} district): first {first_ms:.0f} ms, "
            f"then p50 {statistics.median(repeats):.0f} ms of {len(repeats)}; {args.months} months at once {year_ms:.0f} ms"
        )
        say(
            "  the district's month, as a check of the synthetic history: collection "
            f"{district['collection_rate_bps']} bps, satisfaction {district['satisfaction_rate_bps']} bps of "
            f"{district['ratings']} ratings, first response within target {district['first_response_within_target_bps']} bps, "
            f"complaints {district['complaints']}, petitions {district['petitions']}"
        )
    return ReplayResult(
        pgbench=pg,
        load_average=(load_before, load_after),
        events_produced=sent,
        produce_seconds=produce_seconds,
        counts=dict(sorted(history.counts.items())),
        rebuilt=asdict(rebuilt),
        applied_per_second=rebuilt.applied / rebuilt.seconds,
        records_per_second=rebuilt.records / rebuilt.seconds,
        replay_cpu_seconds=replay_cpu,
        postgres_cpu_seconds=postgres_cpu,
        table_rows=tables,
        period=last,
        figures_first_ms=first_ms,
        figures_ms=repeats,
        figures_rows=dict(levels),
        figures_year_ms=year_ms,
        district=district,
    )


def connect_scratch(scratch: ScratchReadModel) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=PORTS["POSTGRES_PORT"],
        dbname=DATABASE,
        user=f"{DATABASE}_owner",
        password=scratch.password,
        autocommit=True,
    )


def live_figures(repeats: int) -> dict[str, Any]:
    """``GET /v1/governance/figures?period=<this month>`` on the live tenant, as governance-observer."""
    period = estate_today().strftime("%Y-%m")
    token = user_token("governance-observer")
    latencies, estates = [], 0
    with httpx.Client(base_url=http_url("tenant"), timeout=120) as tenant:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            response = tenant.get(
                "/v1/governance/figures", params={"period": period}, headers={"Authorization": f"Bearer {token}"}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return {"period": period, "error": f"HTTP {response.status_code}: {response.text[:200]}"}
        # The answer is a page of the rows (all of them computed each time); the estates: the total of a level.
        counted = tenant.get(
            "/v1/governance/figures",
            params={"period": period, "level": "estate", "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        if counted.status_code != 200:
            return {"period": period, "error": f"HTTP {counted.status_code}: {counted.text[:200]}"}
        estates = int(counted.json()["total"])
    return {"period": period, "estates": estates, "first_ms": latencies[0], "p50_ms": statistics.median(latencies[1:])}


# 2. Freshness under the payments load ---------------------------------------------------------


class ClaimWatcher(threading.Thread):
    """Polls the tenant's claims of BooksMoved of ``codes`` every ``interval`` s and keeps, per event
    id, the server's clock when a poll first saw it committed."""

    def __init__(self, codes: list[str], since: datetime, interval: float = 0.1) -> None:
        super().__init__(name="claim-watcher", daemon=True)
        self.codes, self.since, self.interval = codes, since, interval
        self.seen: dict[str, datetime] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        with connect("tenant", "system") as tenant:
            tenant.autocommit = True
            lower = self.since
            while not self.stopping.is_set():
                rows = tenant.execute(
                    "SELECT event_id, clock_timestamp() FROM processed_events WHERE consumer = %s AND event_type = %s "
                    "AND estate_code = ANY(%s) AND processed_at >= %s",
                    (CONSUMER_GROUP, BOOKS_MOVED, self.codes, lower),
                ).fetchall()
                now = None
                for event_id, at in rows:
                    self.seen.setdefault(event_id, at)
                    now = at
                if now is not None:  # a claim's transaction commits within seconds of its now()
                    lower = max(self.since, now - timedelta(seconds=30))
                self.stopping.wait(self.interval)


@dataclass
class FreshnessResult:
    pgbench: dict[str, PgbenchResult]  # two-row, --clients clients, just before the load
    load_average: tuple[float, float]  # before and after the load
    load: dict[str, Any]
    events: int
    from_payments: int
    applied: int
    missing: int
    rebuild_stamped: int
    applied_s: list[float]
    timeline: list[tuple[float, float]]  # (seconds into the load the event was created, its delay)
    relayed_s: list[float]
    visible_s: list[float]
    negative: int
    restarted: list[str]


def _outbox_events(
    ledger: psycopg.Connection, codes: list[str], since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    return ledger.execute(
        "SELECT id::text, created_at, published_at, payload FROM outbox WHERE event_type = %s "
        "AND estate_code = ANY(%s) AND created_at >= %s AND created_at < %s",
        (BOOKS_MOVED, codes, since, until),
    ).fetchall()


def _claims(tenant: psycopg.Connection, ids: list[str]) -> dict[str, datetime]:
    rows = tenant.execute(
        "SELECT event_id, processed_at FROM processed_events WHERE consumer = %s AND event_id = ANY(%s)",
        (CONSUMER_GROUP, ids),
    ).fetchall()
    return dict(rows)


def _wait_for_claims(
    ledger: psycopg.Connection,
    tenant: psycopg.Connection,
    codes: list[str],
    since: datetime,
    until: datetime,
    timeout: float,
) -> tuple[list[tuple[Any, ...]], dict[str, datetime]]:
    deadline = time.monotonic() + timeout
    while True:
        events = _outbox_events(ledger, codes, since, until)
        claims = _claims(tenant, [row[0] for row in events])
        if len(claims) == len(events) or time.monotonic() > deadline:
            return events, claims
        time.sleep(0.5)


def freshness(args: argparse.Namespace, run: str, pgbench: Pgbench) -> FreshnessResult:
    platform = BenchPlatform(run)
    try:
        say(
            f"freshness: {args.clients} payment clients over 3 estates of {args.payment_households:,} households for {args.seconds:.0f} s"
        )
        platform.register_hierarchy()
        platform.create_manager()
        made = platform.make_estates({f"gov-pay-{i}": args.payment_households for i in (1, 2, 3)})
        codes = sorted(made)
        period = estate_today().strftime("%Y-%m")
        for code in codes:
            problem = workloads.bill_estate(platform.manager_tokens, code, period)
            if problem:
                say(f"  {code} could not be billed for {period} ({problem}): payments become prepaid credit")
        with connect("ledger", "system") as ledger, connect("tenant", "system") as tenant:
            ledger.autocommit = tenant.autocommit = True
            epoch = datetime(2000, 1, 1, tzinfo=UTC)
            setup_end = ledger.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
            events, claims = _wait_for_claims(ledger, tenant, codes, epoch, setup_end, 120)
            setup_event_ids = [row[0] for row in events]
            say(
                f"  set up: {len(codes)} estates, {len(claims)}/{len(events)} of their BooksMoved applied before the load"
            )
            pg = yardstick(pgbench, args, one_client=False)
            load_before = os.getloadavg()[0]
            since = ledger.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
            watcher = ClaimWatcher(codes, since)
            watcher.start()
            pids = service_pids()
            load = workloads.payments(platform.manager_tokens, made, args.clients, args.seconds, args.warmup)
            until = ledger.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
            load_after = os.getloadavg()[0]
            restarted = [service for service, pid in service_pids().items() if pid != pids[service]]
            events, claims = _wait_for_claims(ledger, tenant, codes, since, until, args.catch_up)
            # A rebuild of the live read model (others' tests run one) restamps every claim, the set-up's
            # too, with its own transaction's now(); the live consumer never claims an event twice. So a
            # set-up event claimed again after the load began names the stamps of a rebuild.
            rebuild_stamps = {stamp for stamp in _claims(tenant, setup_event_ids).values() if stamp >= since}
            time.sleep(0.3)
            watcher.stopping.set()
            watcher.join()
    finally:
        say("  teardown: offboarding the estates and removing their rows")
        for problem in platform.teardown():
            say(f"  teardown: {problem}")
    applied, relayed, visible = [], [], []
    timeline: list[tuple[float, float]] = []
    from_payments = negative = 0
    for event_id, created, published, payload in events:
        moved = ledger_events.BooksMoved.FromString(bytes(payload))
        from_payments += moved.fees_collected_fen > 0
        if published is not None:
            relayed.append((published - created).total_seconds())
        stamp = claims.get(event_id)
        if stamp is None or stamp in rebuild_stamps:
            continue
        delay = (stamp - created).total_seconds()
        negative += delay < 0
        applied.append(delay)
        timeline.append(((created - since).total_seconds(), delay))
        if event_id in watcher.seen:
            visible.append((watcher.seen[event_id] - created).total_seconds())
    return FreshnessResult(
        pgbench=pg,
        load_average=(load_before, load_after),
        load={
            "clients": load.clients,
            "seconds": load.seconds,
            "payments": load.units,
            "payments_per_second": load.units_per_second,
            "p50_ms": load.p50_ms,
            "p99_ms": load.p99_ms,
            "errors": dict(load.errors),
        },
        events=len(events),
        from_payments=from_payments,
        applied=len(claims),
        missing=len(events) - len(claims),
        rebuild_stamped=sum(1 for stamp in claims.values() if stamp in rebuild_stamps),
        applied_s=applied,
        timeline=sorted(timeline),
        relayed_s=relayed,
        visible_s=visible,
        negative=negative,
        restarted=restarted,
    )


# The run -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--estates", type=int, default=300, help="estates of the synthetic district (default 300)")
    parser.add_argument(
        "--months", type=int, default=12, help="months of events, from January of last year (default 12)"
    )
    parser.add_argument("--households", type=int, default=2000, help="households per estate on average (default 2,000)")
    parser.add_argument("--payments", type=int, default=150, help="payments per estate-month on average (default 150)")
    parser.add_argument("--tickets", type=int, default=50, help="tickets per estate-month on average (default 50)")
    parser.add_argument("--expenses", type=int, default=10, help="expenses per estate-month (default 10)")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of each bench topic (default 6)")
    parser.add_argument(
        "--producers", type=int, default=os.cpu_count() or 1, help="processes producing the events (default: CPUs)"
    )
    parser.add_argument("--figure-repeats", type=int, default=5, help="timed /figures computations after the first")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of payments load (default 60)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds of load before it (default 1)")
    parser.add_argument("--clients", type=int, default=8, help="payment clients, and pgbench clients (default 8)")
    parser.add_argument("--payment-households", type=int, default=1000, help="households per payment estate")
    parser.add_argument("--catch-up", type=float, default=120, help="seconds to wait for the read side after the load")
    parser.add_argument("--pgbench-seconds", type=float, default=10, help="seconds of each pgbench run (default 10)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one month of events of 300 estates (20 payments, 8 tickets, 2 expenses each): a replay of about a minute; 20 s of load",
    )
    parser.add_argument("--skip", action="append", default=[], choices=("replay", "freshness"), help="leave one out")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/governance-<time>.json")
    parser.add_argument("--keep", action="store_true", help="keep the bench topics and database (for looking at them)")
    parser.add_argument("--cleanup", action="store_true", help="remove what killed runs left behind, then exit")
    if "--quick" in (sys.argv[1:] if argv is None else argv):
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


def _p(values: list[float], share: float) -> float:
    return percentile(values, share)


def per_second(timeline: list[tuple[float, float]]) -> dict[int, dict[str, float]]:
    """Events created in each second of the load: how many, their median and worst delay."""
    seconds: dict[int, list[float]] = {}
    for at, delay in timeline:
        seconds.setdefault(int(at), []).append(delay)
    return {
        second: {"events": len(delays), "p50_s": statistics.median(delays), "max_s": max(delays)}
        for second, delays in sorted(seconds.items())
    }


def _pgbench(result: PgbenchResult) -> dict[str, Any]:
    return {
        "clients": result.clients,
        "seconds": result.seconds,
        "tps": result.tps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "failed": result.failed,
    }


def report(
    args: argparse.Namespace,
    started_at: datetime,
    run: str,
    replayed: ReplayResult | None,
    fresh: FreshnessResult | None,
    live: dict[str, Any] | None,
    notes: list[str],
) -> None:
    say("")
    say(
        f"The committee's read side beside pgbench on the same PostgreSQL cluster — {os.cpu_count()} CPUs, "
        f"{started_at:%Y-%m-%d %H:%M} UTC, run {run}"
    )
    if replayed is not None:
        two, one = replayed.pgbench["two_row"], replayed.pgbench["two_row_1"]
        rate = replayed.applied_per_second
        say(
            f"replay: {replayed.rebuilt['applied']:,} events applied ({replayed.rebuilt['records']:,} records) in "
            f"{replayed.rebuilt['seconds']:,.0f} s = {rate:,.0f} events/s; pgbench two-row just before: "
            f"{two.tps:,.0f} tx/s ({args.clients} clients), {one.tps:,.0f} tx/s (1 client) → ratio {rate / two.tps:.1%} "
            f"and {rate / one.tps:.1%}"
        )
        say(
            f"  where the time goes: this process (Kafka consumer, handlers, SQLAlchemy) {replayed.replay_cpu_seconds:,.0f} s "
            f"CPU, PostgreSQL {replayed.postgres_cpu_seconds:,.0f} s CPU, of {replayed.rebuilt['seconds']:,.0f} s "
            f"(load average {replayed.load_average[0]:.1f} before, {replayed.load_average[1]:.1f} after)"
        )
        p50 = statistics.median(replayed.figures_ms)
        say(
            f"figures of {replayed.period}, {replayed.figures_rows.get('estate', 0)} estates and their areas "
            f"(Committee.figures + JSON, no HTTP): first {replayed.figures_first_ms:,.0f} ms, p50 {p50:,.0f} ms "
            f"(×{p50 / two.p50_ms:,.0f} pgbench's p50 of {two.p50_ms:.2f} ms); {args.months} months at once "
            f"{replayed.figures_year_ms:,.0f} ms"
        )
    if live is not None:
        if "error" in live:
            say(f"live GET /v1/governance/figures?period={live['period']}: {live['error']}")
        else:
            say(
                f"live GET /v1/governance/figures?period={live['period']} ({live['estates']} estates in the live read "
                f"model, over HTTP): first {live['first_ms']:,.0f} ms, p50 {live['p50_ms']:,.0f} ms"
            )
    if fresh is not None:
        two = fresh.pgbench["two_row"]
        a, r, v = fresh.applied_s, fresh.relayed_s, fresh.visible_s
        # Judged on the delay until the event's effect is committed and seen by a reader: the claim's
        # own stamp is its transaction's start, earlier than the commit when a batch applies many events.
        met = "met" if v and _p(v, 0.99) <= TARGET_P99_SECONDS and not fresh.missing else "NOT met"
        say(
            f"freshness: {fresh.events:,} BooksMoved during {fresh.load['payments']:,} payments "
            f"({fresh.load['payments_per_second']:.1f}/s = {fresh.load['payments_per_second'] / two.tps:.1%} of pgbench "
            f"two-row's {two.tps:,.0f} tx/s just before; payments p99 {fresh.load['p99_ms']:.0f} ms), "
            f"{fresh.from_payments:,} of them payments'; load average {fresh.load_average[0]:.1f} before, "
            f"{fresh.load_average[1]:.1f} after"
        )
        say(
            f"  outbox created_at → committed in the read model and seen (polled every 0.1 s): p50 {_p(v, 0.5):.3f} s, "
            f"p95 {_p(v, 0.95):.3f} s, p99 {_p(v, 0.99):.3f} s, max {max(v, default=math.nan):.3f} s over {len(v):,} "
            f"of {fresh.events:,} events (target p99 ≤ {TARGET_P99_SECONDS:.0f} s: {met})"
        )
        say(
            f"  of which outbox → relayed (published_at): p50 {_p(r, 0.5):.3f} s, p99 {_p(r, 0.99):.3f} s; "
            f"→ claimed (processed_at, its transaction's start): p50 {_p(a, 0.5):.3f} s, p99 {_p(a, 0.99):.3f} s, "
            f"max {max(a, default=math.nan):.3f} s"
        )
        if fresh.timeline:
            span = max(fresh.timeline[-1][0], 1e-9)
            worst = []
            for k in range(10):
                part = [d for t, d in fresh.timeline if min(9, int(10 * t / span)) == k]
                worst.append(f"{max(part):.1f}" if part else "—")
            say(f"  the worst delay in each tenth of the load (by creation): {' '.join(worst)} s")
        if sum(fresh.load["errors"].values()):
            notes.append(f"payments that failed during the load: {fresh.load['errors']}")
        if fresh.missing:
            notes.append(f"{fresh.missing} BooksMoved of the load were not applied {args.catch_up:.0f} s after it")
        if fresh.rebuild_stamped:
            notes.append(
                f"{fresh.rebuild_stamped} events were stamped by a rebuild of the live read model (someone's test): left out"
            )
        if fresh.negative:
            notes.append(f"{fresh.negative} events were applied before their outbox row's created_at (clock?)")
        if fresh.restarted:
            notes.append(f"{', '.join(fresh.restarted)} restarted during the load (not by the benchmark)")
    notes.append(f"the machine was shared: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    for note in notes:
        say(f"note: {note}")
    if args.no_json or (replayed is None and fresh is None):
        return
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"governance-{started_at:%Y-%m-%dT%H%M%SZ}.json"
    document: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "run_id": run,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "settings": vars(args),
        "notes": notes,
    }
    if replayed is not None:
        two, one = replayed.pgbench["two_row"], replayed.pgbench["two_row_1"]
        document["replay"] = {
            **{k: v for k, v in asdict(replayed).items() if k not in ("figures_ms", "pgbench")},
            "pgbench_two_row": _pgbench(two),
            "pgbench_two_row_1_client": _pgbench(one),
            "figures_ms": replayed.figures_ms,
            "figures_p50_ms": statistics.median(replayed.figures_ms),
            "ratio_to_pgbench_two_row": replayed.applied_per_second / two.tps,
            "ratio_to_pgbench_two_row_1_client": replayed.applied_per_second / one.tps,
        }
    if live is not None:
        document["live_figures"] = live
    if fresh is not None:
        two = fresh.pgbench["two_row"]
        a, r, v = fresh.applied_s, fresh.relayed_s, fresh.visible_s
        document["freshness"] = {
            "pgbench_two_row": _pgbench(two),
            "load_average": fresh.load_average,
            "load": fresh.load,
            "events": fresh.events,
            "from_payments": fresh.from_payments,
            "applied": fresh.applied,
            "missing": fresh.missing,
            "rebuild_stamped": fresh.rebuild_stamped,
            "applied_delay_s": {k: _p(a, q) for k, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
            | {"max": max(a, default=None)},
            "relayed_delay_s": {"p50": _p(r, 0.5), "p99": _p(r, 0.99), "max": max(r, default=None)},
            "visible_delay_s": {"p50": _p(v, 0.5), "p99": _p(v, 0.99), "max": max(v, default=None), "seen": len(v)},
            "target_p99_s": TARGET_P99_SECONDS,
            "target_judged_on": "visible_delay_s",
            "by_second_of_load": per_second(fresh.timeline),
            "payments_ratio_to_pgbench_two_row": fresh.load["payments_per_second"] / two.tps,
        }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n")
    say(f"results: {path.relative_to(REPO_DIR)}")


def cleanup() -> int:
    with exclusive():
        topics = leftover_topics()
        delete_topics(topics)
        ScratchReadModel.drop()
        Pgbench.drop()
        say(f"removed topics {topics or 'none'} and the database {DATABASE}; estates: bench/run.py --cleanup")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problems = wait_for_platform(120)  # others restart services while they work
    if problems:
        say("make bench-governance measures a running platform, and it is not up:")
        for problem in problems:
            say(f"  - {problem}")
        return 2
    if args.cleanup:
        return cleanup()
    notes: list[str] = []
    replayed: ReplayResult | None = None
    fresh: FreshnessResult | None = None
    live: dict[str, Any] | None = None
    status = 0
    # A run stopped with SIGTERM (or Ctrl-C) still removes its topics, database and estates.
    signal.signal(signal.SIGTERM, _interrupt)
    with exclusive():
        started_at = datetime.now(UTC)
        run = new_run_id()
        try:
            with Pgbench() as pgbench:
                if "replay" not in args.skip:
                    replayed = replay(args, run, pgbench)
                    try:
                        live = live_figures(args.figure_repeats)
                    except (httpx.HTTPError, RuntimeError, KeyError) as error:  # the live tenant is only a reference
                        live = {
                            "period": estate_today().strftime("%Y-%m"),
                            "error": f"{error.__class__.__name__}: {error}",
                        }
                if "freshness" not in args.skip:
                    problems = wait_for_platform(300)
                    if problems:
                        raise RuntimeError(f"the platform is not up for the payments load: {'; '.join(problems)}")
                    fresh = freshness(args, run, pgbench)
        except KeyboardInterrupt:
            notes.append("interrupted")
            status = 130
        except Exception as error:  # noqa: BLE001 - report what was measured, then fail
            traceback.print_exc()
            notes.append(f"the run stopped: {error.__class__.__name__}: {error}")
            status = 1
        report(args, started_at, run, replayed, fresh, live, notes)
    return status


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
