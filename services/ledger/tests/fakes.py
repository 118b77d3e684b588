"""In-memory fakes of the ledger's unit of work, its repositories and the tenant registry.

The pattern of cosmicpython's ``tests/unit/test_handlers.py``: the use cases of
``ledger_service.service_layer`` run unchanged against a :class:`FakeLedgerUnitOfWork`, whose
repositories keep the estates' rows in a shared :class:`FakeBooks` (the ledger's database, as far
as the use cases can tell). No I/O, no PostgreSQL.

What the fakes keep of the real components (``adapters/*.py`` and the migrations):

* a unit of work commits by keeping its changes and rolls back (explicitly, or by leaving its
  ``with`` block without a commit) by restoring the state taken at ``__enter__``; savepoints
  likewise; after-commit hooks run only on commit; ``publish`` writes to an outbox that rolls back
  with everything else;
* the journal refuses what the database refuses: an unbalanced transaction or one of fewer than two
  lines, a zero line, a line on an account the estate has not opened, a transaction in a period
  without a row (the foreign key), a second reversal of one transaction (``reverses`` is unique),
  a settlement of 0 fen, a payment by an unknown method; it keeps ``period_totals`` (net fen per
  period, account and kind) as entries post, and numbers each estate's entries 1, 2, 3… from a
  sequence that — as in PostgreSQL — a rollback does not give back (a gap);
* idempotency keys are claimed, answered and replayed as ``adapters/idempotency.py`` does (same
  request fingerprint; the answer is read back from its JSON, so tuples come back as lists);
* every read and write is scoped to the unit of work's estate (row-level security);
* the transparency log (``adapters/transparency_log.py``, migration 0009): one key per estate (the
  first made stands), leaves, checkpoints, cosignatures and household secrets append-only (a second
  row of one key is refused, except cosignatures: ``ON CONFLICT DO NOTHING``), entries rebuilt from
  the journal's rows as the log records them (lines numbered 1, 2… as posted, households by their
  commitments), witness keys retired by the next one registered. ``FakeBooks.alter_line`` and
  ``FakeBooks.rewrite_leaf`` change rows behind the books' back, as a rogue administrator would;
* a community fund's book (migration 0011) is a row of kind 'fund' under ``fund:<community>`` (the
  form is checked as ``trust_books_kind_code`` does), its entries and log in the same tables, and
  the estates' reads (the journal's context, the books' chart and profile) never see it.

Units of work run one after the other: opening one while another is open on the same books is
refused (the fake has no isolation between concurrent transactions).

The repositories subclass the real ones, so a ``FakeLedgerUnitOfWork`` is a ``LedgerUnitOfWork``
and mypy checks every fake method against the real signature. Only what the use cases call is
faked; anything else fails loudly (the fakes hold no database session).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, cast

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, NoResultFound

from ledger_service.adapters.books import BooksRepository
from ledger_service.adapters.fund_books import FundBooksRepository
from ledger_service.adapters.governance import (
    AdoptedBudget,
    GovernanceRepository,
    HistoryItem,
    Question,
    StoredDraft,
    StoredExpense,
    Voucher,
)
from ledger_service.adapters.idempotency import IdempotencyKeys, request_fingerprint
from ledger_service.adapters.journal import JournalRepository
from ledger_service.adapters.rules import RulesRepository, rules_of_json
from ledger_service.adapters.tenant_client import BillableHousehold, PeriodRules, period_rules
from ledger_service.adapters.tenant_mirror import TenantMirror
from ledger_service.adapters.transparency_log import (
    Leaf,
    LogKey,
    StoredCheckpoint,
    StoredCosignature,
    TransparencyLog,
    WitnessKey,
)
from ledger_service.domain import trust_books as rules
from ledger_service.domain.books import STANDARD_CHART, EstateTerms, TrustBooks, open_books
from ledger_service.domain.budgets import BudgetDraft, BudgetLine, DraftStatus
from ledger_service.domain.expenses import Escalation, ExpenseStatus, Proposal
from ledger_service.domain.funds import FUND_BOOK_PREFIX, FUND_CHART, FundBook, community_of_book, fund_book_code
from ledger_service.domain.money import bill_amount
from ledger_service.domain.postings import EXPENSES_PAYABLE, PREPAID, RECEIVABLE, Line, Transaction, check_period
from ledger_service.domain.trust_books import FeeBills, OpenBill, ServicePostings
from ledger_service.domain.views import (
    BillView,
    EntryLine,
    EntryView,
    EstateContext,
    PaymentView,
    PeriodTotal,
    PostedRef,
)
from ledger_service.service_layer.movements import post_and_announce
from ledger_service.service_layer.unit_of_work import EVENT_SOURCE, AccrualQueue, LedgerUnitOfWork, Savepoint
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.transparency.entries import EntryLine as LogEntryLine
from xinyi_shared.transparency.entries import LedgerEntry, household_commitment

PAYMENT_METHODS = frozenset({"cash", "bank_transfer", "wechat_pay", "alipay"})  # payments_method_known
LOG_AUTHORITY = "ledger.xinyi.test"  # the fake deployment's authority: its logs are <authority>/estates/<code>
_NO_CONNECTION = cast(Connection, None)  # the fakes' repositories work on FakeBooks, not on a connection


def refused(what: str) -> IntegrityError:
    """What the database raises for a row its constraints or triggers refuse."""
    return IntegrityError(f"-- fake database: {what}", None, Exception(what))


def canonical(household_id: str) -> str:
    """A household id as PostgreSQL's uuid type keeps it (ValueError, like a failed cast, if not one)."""
    return str(uuid.UUID(household_id))


# The tables ---------------------------------------------------------------------------------------
# Rows are immutable (an update replaces the row), so a snapshot is a copy of the containers.


@dataclass(frozen=True)
class EstateRow:
    """``trust_books`` (with its terms) and the book's ``accounts``: an estate's trust books, or a
    community fund's book (``kind`` 'fund', code ``fund:<community>``, no terms; migration 0011)."""

    estate_code: str
    name: str
    community_code: str
    time_zone: str
    district_code: str
    first_period: str
    status: str
    terms: EstateTerms | None
    accounts: frozenset[str]
    kind: str = "trust"

    def __post_init__(self) -> None:
        if (self.kind == "fund") != self.estate_code.startswith(FUND_BOOK_PREFIX):  # trust_books_kind_code
            raise refused(f"trust_books_kind_code: {self.kind} book {self.estate_code!r}")


@dataclass(frozen=True)
class PeriodRow:
    status: str = "open"
    closed_by: str | None = None
    statement: str | None = None  # JSON, as the jsonb column holds it


@dataclass(frozen=True)
class TransactionRow:
    id: str
    estate_code: str
    number: int
    transaction: Transaction
    posted_by: str
    posted_at: datetime


@dataclass(frozen=True)
class BillRow:
    id: str
    estate_code: str
    household_id: str
    period: str
    amount_fen: int
    area_centi_sqm: int
    rate_fen_per_sqm_month: Decimal
    occupied_days: int | None
    billed_on: date
    transaction_id: str


@dataclass(frozen=True)
class SettlementRow:
    estate_code: str
    bill_id: str
    transaction_id: str
    amount_fen: int


@dataclass(frozen=True)
class PaymentRow:
    id: str
    estate_code: str
    household_id: str
    amount_fen: int
    method: str
    reference: str
    received_on: date
    transaction_id: str


@dataclass(frozen=True)
class KeyRow:
    request_hash: str
    response: str | None  # JSON; None between the claim and the answer


@dataclass(frozen=True)
class OutboxRow:
    estate_code: str
    topic: str
    source: str
    message: Message


@dataclass(frozen=True)
class DraftRow:
    """``budget_drafts`` with its ``budget_plans`` (the draft's plans, in their positions)."""

    id: str
    estate_code: str
    draft: BudgetDraft
    status: DraftStatus
    ballot_id: str | None
    adopted_plan: str | None
    created_by: str
    created_at: datetime
    decided_at: datetime | None
    # Which unit of work wrote it (:attr:`_Connection.serial`): with ``created_at``, the fake's now(),
    # which differs between transactions even on one ``books.today`` and is the same within one.
    written_in: int = 0


@dataclass(frozen=True)
class AdoptedRow:
    """``budgets``: the plan (a position in its draft) adopted for a year."""

    estate_code: str
    year: int
    draft_id: str
    plan_position: int
    ballot_id: str
    adopted_at: datetime


@dataclass(frozen=True)
class VoucherRow:
    voucher: Voucher
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class ExpenseRow:
    id: str
    estate_code: str
    number: int
    status: ExpenseStatus
    proposal: Proposal
    vouchers: tuple[Voucher, ...]  # the jsonb column: the vouchers as they were when proposed
    year: int
    escalation: Escalation
    proposed_by: str
    proposed_by_name: str
    proposed_at: datetime
    first_approver: str | None = None
    ballot_id: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    booking_transaction_id: str | None = None
    payment_transaction_id: str | None = None
    ticket_id: str | None = None


@dataclass(frozen=True)
class HistoryRow:
    """``expense_history``: appended, never changed (a trigger refuses UPDATE and DELETE)."""

    estate_code: str
    expense_id: str
    action: str
    status: str
    actor: str
    actor_name: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class QuestionRow:
    id: str
    estate_code: str
    expense_id: str
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class LeafRow:
    """``log_leaves``: leaf ``leaf_index`` of an estate's log."""

    transaction_id: str
    leaf_hash: bytes


@dataclass(frozen=True)
class WitnessRow:
    """``witness_keys``."""

    key: WitnessKey
    registered_by: str


@dataclass
class Tables:
    """The ledger's database. Keys hold the estate code first, as the real primary keys do."""

    estates: dict[str, EstateRow] = field(default_factory=dict)
    known_households: dict[tuple[str, str], int | None] = field(default_factory=dict)
    announced_rules: dict[tuple[str, date], str] = field(default_factory=dict)
    periods: dict[tuple[str, str], PeriodRow] = field(default_factory=dict)
    transactions: dict[str, TransactionRow] = field(default_factory=dict)
    period_totals: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    bills: dict[str, BillRow] = field(default_factory=dict)
    settlements: list[SettlementRow] = field(default_factory=list)
    payments: dict[str, PaymentRow] = field(default_factory=dict)
    idempotency_keys: dict[tuple[str, str], KeyRow] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    budget_drafts: dict[str, DraftRow] = field(default_factory=dict)
    budgets: dict[tuple[str, int], AdoptedRow] = field(default_factory=dict)
    vouchers: dict[tuple[str, str], VoucherRow] = field(default_factory=dict)
    expenses: dict[str, ExpenseRow] = field(default_factory=dict)
    expense_history: list[HistoryRow] = field(default_factory=list)
    expense_questions: dict[str, QuestionRow] = field(default_factory=dict)
    log_keys: dict[str, LogKey] = field(default_factory=dict)
    log_leaves: dict[tuple[str, int], LeafRow] = field(default_factory=dict)
    checkpoints: dict[tuple[str, int], StoredCheckpoint] = field(default_factory=dict)
    witness_keys: dict[tuple[str, str], WitnessRow] = field(default_factory=dict)  # in the order registered
    cosignatures: dict[tuple[str, int, str], StoredCosignature] = field(default_factory=dict)  # as received
    household_secrets: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def copy(self) -> Tables:
        return Tables(
            estates=dict(self.estates),
            known_households=dict(self.known_households),
            announced_rules=dict(self.announced_rules),
            periods=dict(self.periods),
            transactions=dict(self.transactions),
            period_totals=dict(self.period_totals),
            bills=dict(self.bills),
            settlements=list(self.settlements),
            payments=dict(self.payments),
            idempotency_keys=dict(self.idempotency_keys),
            outbox=list(self.outbox),
            budget_drafts=dict(self.budget_drafts),
            budgets=dict(self.budgets),
            vouchers=dict(self.vouchers),
            expenses=dict(self.expenses),
            expense_history=list(self.expense_history),
            expense_questions=dict(self.expense_questions),
            log_keys=dict(self.log_keys),
            log_leaves=dict(self.log_leaves),
            checkpoints=dict(self.checkpoints),
            witness_keys=dict(self.witness_keys),
            cosignatures=dict(self.cosignatures),
            household_secrets=dict(self.household_secrets),
        )


class FakeAccrualQueue:
    """The remuneration accruer as the unit of work sees it: what was touched (after commits)."""

    def __init__(self) -> None:
        self.touched: list[tuple[str, str]] = []

    def touch(self, estate_code: str, period: str) -> None:
        self.touched.append((estate_code, period))


def estate_rules(
    effective_from: str = "2026-03-01",
    *,
    rate: str = "35",
    remuneration_share_bps: int = 1500,
    donation_share_bps: int = 3000,
    basis: str = "collected",
    billing_day: int = 1,
) -> tenant_pb2.EstateRules:
    """Rules as the tenant service states them (``GetEstateRules``)."""
    return tenant_pb2.EstateRules(
        effective_from=effective_from,
        fee_rate_fen_per_sqm_month=rate,
        remuneration_share_bps=remuneration_share_bps,
        donation_share_bps=donation_share_bps,
        remuneration_basis=(
            tenant_pb2.REMUNERATION_BASIS_BILLED if basis == "billed" else tenant_pb2.REMUNERATION_BASIS_COLLECTED
        ),
        billing_day=billing_day,
    )


def _rules_json(message: tenant_pb2.EstateRules) -> str:
    return json.dumps(MessageToDict(message, preserving_proto_field_name=True))


# The shared state --------------------------------------------------------------------------------


class FakeBooks:
    """The ledger's database and clock, shared by every unit of work opened on it.

    ``today`` is the estates' calendar day (what ``now() AT TIME ZONE time_zone`` gives); set it to
    move time. ``accruals`` records the (estate, period) pairs committed units of work touched."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.tables = Tables()
        self.accruals = FakeAccrualQueue()
        self.sequences: dict[str, int] = {}  # estate_seq_<estate>: not transactional
        self.expense_numbers = 0  # the identity of expenses.number: not transactional, one for all estates
        self.active: FakeLedgerUnitOfWork | None = None

    # Set-up (outside any unit of work) ------------------------------------------------------------

    def _setting_up(self) -> Tables:
        if self.active is not None:
            raise RuntimeError("set the books up between units of work, not inside one")
        return self.tables

    def open_estate(
        self,
        estate_code: str,
        *,
        first_period: str,
        rules: tenant_pb2.EstateRules | None = None,
        households: Mapping[str, int | None] | None = None,
        status: str = "active",
        name: str = "金河绿洲",
        community_code: str = "jinhe",
        time_zone: str = "Asia/Shanghai",
        district_code: str = "shuangliu",
        budget_lines: Iterable[str] = (),
    ) -> None:
        """Books as ``open_trust_books`` leaves them (with ``rules`` in the mirror when given) and
        the ``households`` the mirror learned from the tenant service's events (id → area)."""
        tables = self._setting_up()
        check_period(first_period)
        message = rules or estate_rules(f"{first_period}-01")
        terms = EstateTerms(
            estate_code,
            Decimal(message.fee_rate_fen_per_sqm_month),
            message.remuneration_share_bps,
            message.donation_share_bps,
        )
        tables.estates[estate_code] = EstateRow(
            estate_code=estate_code,
            name=name,
            community_code=community_code,
            time_zone=time_zone,
            district_code=district_code,
            first_period=first_period,
            status=status,
            terms=terms,
            accounts=frozenset(a.code for a in STANDARD_CHART) | frozenset(budget_lines),
        )
        self.sequences.setdefault(estate_code, 0)
        if rules is not None:
            tables.announced_rules[(estate_code, date.fromisoformat(rules.effective_from))] = _rules_json(rules)
        for household_id, area in (households or {}).items():
            tables.known_households[(estate_code, canonical(household_id))] = area

    def open_accounts(self, estate_code: str, *codes: str) -> None:
        """Budget lines an adopted budget opens."""
        tables = self._setting_up()
        row = tables.estates[estate_code]
        tables.estates[estate_code] = replace(row, accounts=row.accounts | frozenset(codes))

    def set_status(self, estate_code: str, status: str) -> None:
        tables = self._setting_up()
        tables.estates[estate_code] = replace(tables.estates[estate_code], status=status)

    # A rogue administrator (the database's triggers disabled): rows changed behind the books' back -----

    def alter_line(self, estate_code: str, transaction_id: str, line: int, amount_fen: int) -> None:
        """Line ``line`` (1, 2… as posted) of a committed entry now says ``amount_fen``: nothing else
        changes (not its other lines, not the period totals), so the entry may no longer balance."""
        tables = self._setting_up()
        row = tables.transactions[canonical(transaction_id)]
        if row.estate_code != estate_code:
            raise KeyError(f"no entry {transaction_id} in {estate_code}")
        lines = list(row.transaction.lines)
        lines[line - 1] = replace(lines[line - 1], amount_fen=amount_fen)
        altered = copy.copy(row.transaction)
        object.__setattr__(altered, "lines", tuple(lines))  # behind the frozen dataclass's checks
        tables.transactions[row.id] = replace(row, transaction=altered)

    def rewrite_leaf(self, estate_code: str, leaf_index: int, leaf_hash: bytes) -> None:
        """Leaf ``leaf_index`` of the estate's log now holds ``leaf_hash`` (its transaction unchanged)."""
        tables = self._setting_up()
        row = tables.log_leaves[(estate_code, leaf_index)]
        tables.log_leaves[(estate_code, leaf_index)] = replace(row, leaf_hash=leaf_hash)

    def uow(self, estate_code: str) -> FakeLedgerUnitOfWork:
        return FakeLedgerUnitOfWork(self, estate_code)

    def bill(
        self,
        estate_code: str,
        household_id: str,
        period: str,
        amount_fen: int | None = None,
        *,
        billed_on: date | None = None,
        area_centi_sqm: int | None = None,
    ) -> str:
        """A household's bill of ``period`` as a billing run posts it (the billing use case is not in
        the service layer yet): Dr 1100[h] / Cr 4000, the household's prepaid credit applied to
        it, the bill's row, in one committed unit of work. ``amount_fen`` defaults to area × the
        rate in force on the period's first day. Returns the bill's id."""
        household_id = canonical(household_id)
        uow = self.uow(estate_code)
        with uow:
            tables = uow.tables
            in_force = uow.rules.in_force(date(int(period[:4]), int(period[5:]), 1))
            if area_centi_sqm is None:
                area_centi_sqm = tables.known_households.get((estate_code, household_id)) or 0
            if amount_fen is None:
                if in_force is None:
                    raise NotFound(f"no rules in force in {period} to bill by: give amount_fen")
                amount_fen = bill_amount(area_centi_sqm, in_force.fee_rate_fen_per_sqm_month)
            rate = in_force.fee_rate_fen_per_sqm_month if in_force else Decimal(0)
            billing_day = in_force.billing_day if in_force else 1
            bill_id = str(uuid.uuid4())
            uow.journal.hold_period(period, households=[household_id])
            credit = -uow.journal.household_balances(household_id).get(PREPAID, 0)
            transactions = rules.bill_household(
                period,
                household_id,
                amount_fen,
                rules.Remuneration(),  # the terms matter only to accrue, which billing leaves to the accruer
                prepaid_credit_fen=credit,
                reference={"bill_id": bill_id},
            )
            posted = post_and_announce(uow, transactions, "ledger:billing")  # as billing posts
            if any(
                (b.estate_code, b.household_id, b.period) == (estate_code, household_id, period)
                for b in tables.bills.values()
            ):
                raise refused("bills_once_per_household_and_period")
            tables.bills[bill_id] = BillRow(
                id=bill_id,
                estate_code=estate_code,
                household_id=household_id,
                period=period,
                amount_fen=amount_fen,
                area_centi_sqm=area_centi_sqm,
                rate_fen_per_sqm_month=rate,
                occupied_days=None,
                billed_on=billed_on or date(int(period[:4]), int(period[5:]), billing_day),
                transaction_id=posted[0].transaction_id,
            )
            if len(posted) > 1:  # the prepaid credit applied settles part of the bill
                uow.journal.settle([(bill_id, posted[1].transaction_id, transactions[1].amount_on(PREPAID))])
            uow.basis_moved(period)
            uow.commit()
        return bill_id

    # Reads for assertions ---------------------------------------------------------------------------

    def entries_of(self, estate_code: str) -> list[TransactionRow]:
        """The estate's committed entries in number order."""
        rows = [row for row in self.tables.transactions.values() if row.estate_code == estate_code]
        return sorted(rows, key=lambda row: row.number)

    def published(self, estate_code: str | None = None) -> list[Message]:
        return [row.message for row in self.tables.outbox if estate_code in (None, row.estate_code)]

    def period_statuses(self, estate_code: str) -> dict[str, str]:
        return {period: row.status for (estate, period), row in self.tables.periods.items() if estate == estate_code}

    def balance(self, estate_code: str, account: str, period: str | None = None) -> int:
        """Net fen on ``account`` (in ``period`` when given), from the period totals."""
        return sum(
            fen
            for (estate, posted, code, _), fen in self.tables.period_totals.items()
            if estate == estate_code and code == account and period in (None, posted)
        )

    def check_consistency(self) -> None:
        """The invariants the database and the use cases keep together (AssertionError if broken):
        every entry balances; the period totals are the sums of the postings; entry numbers rise
        per estate; a household's receivable is what its bills still owe (0 ≤ due ≤ amount) and its
        prepaid credit is never negative."""
        tables = self.tables
        totals: dict[tuple[str, str, str, str], int] = {}
        receivable: dict[tuple[str, str], int] = {}
        prepaid: dict[tuple[str, str], int] = {}
        by_estate: dict[str, list[int]] = {}
        for row in tables.transactions.values():
            t = row.transaction
            assert sum(line.amount_fen for line in t.lines) == 0, row
            by_estate.setdefault(row.estate_code, []).append(row.number)
            for line in t.lines:
                key = (row.estate_code, t.period, line.account, t.kind)
                totals[key] = totals.get(key, 0) + line.amount_fen
                if line.household_id is not None:
                    sub = receivable if line.account == RECEIVABLE else prepaid
                    h = (row.estate_code, line.household_id)
                    sub[h] = sub.get(h, 0) + line.amount_fen
        assert totals == tables.period_totals
        for estate, numbers in by_estate.items():
            assert len(set(numbers)) == len(numbers), estate
            assert numbers == sorted(numbers), estate  # posted in number order
        owed: dict[tuple[str, str], int] = {}
        for bill in tables.bills.values():
            due = bill.amount_fen - sum(s.amount_fen for s in tables.settlements if s.bill_id == bill.id)
            assert 0 <= due <= bill.amount_fen, bill
            h = (bill.estate_code, bill.household_id)
            owed[h] = owed.get(h, 0) + due
        assert {h: fen for h, fen in receivable.items() if fen} == {h: fen for h, fen in owed.items() if fen}
        assert all(fen <= 0 for fen in prepaid.values()), prepaid
        self._check_expenses()

    def _check_expenses(self) -> None:
        """An expense is booked (Dr its line / Cr 2300) exactly when approved or paid, and paid (Dr 2300 /
        Cr 1000) exactly when paid; its history's last state is its state."""
        tables = self.tables
        for expense in tables.expenses.values():
            fen, account = expense.proposal.amount_fen, expense.proposal.account
            booked = expense.status in (ExpenseStatus.APPROVED, ExpenseStatus.PAID)
            assert (expense.booking_transaction_id is not None) == booked, expense
            assert (expense.payment_transaction_id is not None) == (expense.status is ExpenseStatus.PAID), expense
            for transaction_id, lines in (
                (expense.booking_transaction_id, {(account, fen), (EXPENSES_PAYABLE, -fen)}),
                (expense.payment_transaction_id, {(EXPENSES_PAYABLE, fen), ("1000", -fen)}),
            ):
                if transaction_id is not None:
                    row = tables.transactions[transaction_id]
                    assert row.estate_code == expense.estate_code, expense
                    assert {(line.account, line.amount_fen) for line in row.transaction.lines} == lines, expense
            history = [h for h in tables.expense_history if h.expense_id == expense.id]
            assert history and history[-1].status == expense.status.value, (expense, history)


# The unit of work ---------------------------------------------------------------------------------


_TRANSACTIONS = itertools.count(1)


class _Connection:
    """One unit of work's hold on the books: repositories refuse to work once it is closed. ``serial``
    orders the units of work as their transactions' now() would (a later one, a later instant)."""

    def __init__(self, books: FakeBooks) -> None:
        self.books = books
        self.open = True
        self.serial = next(_TRANSACTIONS)

    @property
    def tables(self) -> Tables:
        if not self.open:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self.books.tables


class FakeLedgerUnitOfWork(LedgerUnitOfWork):
    """A ``LedgerUnitOfWork`` on :class:`FakeBooks`.

    ``basis_moves`` lists the periods ``basis_moved`` was told of (committed or not); the
    accrual queue (``books.accruals`` unless given) hears of them only after a commit.
    ``log_authority`` names the fake deployment in each estate's log origin."""

    def __init__(
        self,
        books: FakeBooks,
        estate_code: str,
        accruals: AccrualQueue | None = None,
        log_authority: str = LOG_AUTHORITY,
    ) -> None:
        # Not EstateUnitOfWork.__init__: it wants a Database. The same attributes, without one.
        self.estate_code = estate_code
        self.log_authority = log_authority
        self.topic = LEDGER_EVENTS
        self.source = EVENT_SOURCE
        self._connection = None  # the base's: the fakes hold no database connection
        self._after_commit = []
        self._accruals = accruals if accruals is not None else books.accruals
        self.fake_books = books
        self._fake_connection: _Connection | None = None
        self._snapshot: Tables | None = None
        self.basis_moves: list[str] = []
        self.commits = 0

    @property
    def tables(self) -> Tables:
        return self._open().tables

    def _open(self) -> _Connection:
        if self._fake_connection is None or not self._fake_connection.open:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._fake_connection

    def __enter__(self) -> Self:
        books = self.fake_books
        if books.active is not None:
            raise RuntimeError("another unit of work is open on these books: the fake runs one at a time")
        books.active = self
        self._fake_connection = _Connection(books)
        self._snapshot = books.tables.copy()
        self._after_commit = []
        self.bind(_NO_CONNECTION)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        connection, self._fake_connection = self._fake_connection, None
        if connection is None:
            return
        books = self.fake_books
        if self._snapshot is not None:  # what was not committed is rolled back
            books.tables = self._snapshot
        self._snapshot = None
        connection.open = False
        books.active = None

    def bind(self, session: Connection) -> None:
        connection = self._open()
        self.fake_journal = FakeJournal(connection, self.estate_code)  # typed for tests: .held
        self.journal = self.fake_journal
        self.keys = FakeIdempotencyKeys(connection, self.estate_code)
        self.rules = FakeRules(connection, self.estate_code)
        self.books = FakeBooksRepository(connection)
        self.mirror = FakeTenantMirror(connection)
        self.fake_governance = FakeGovernance(connection, self.estate_code)
        self.governance = self.fake_governance
        self.fake_log = FakeTransparencyLog(connection, self.estate_code, community_of_book(self.estate_code))
        self.log = self.fake_log
        self.funds = FakeFundBooks(connection, self.estate_code)

    def commit(self) -> None:
        self._open()
        self._snapshot = self.fake_books.tables.copy()
        self.commits += 1
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self._open()
        assert self._snapshot is not None
        self.fake_books.tables = self._snapshot.copy()
        self._after_commit = []

    def savepoint(self) -> Savepoint:
        return FakeSavepoint(self)

    def publish(self, message: Message) -> None:
        kept = type(message)()
        kept.CopyFrom(message)
        self.tables.outbox.append(OutboxRow(self.estate_code, self.topic, self.source, kept))

    def basis_moved(self, period: str) -> None:
        self.basis_moves.append(period)
        super().basis_moved(period)


class FakeSavepoint(Savepoint):
    def __init__(self, uow: FakeLedgerUnitOfWork) -> None:
        self._uow = uow
        self._state: Tables | None = None

    def __enter__(self) -> None:
        self._state = self._uow.tables.copy()

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is not None and self._state is not None:
            self._uow.fake_books.tables = self._state
        self._state = None


# The repositories ---------------------------------------------------------------------------------


class FakeJournal(JournalRepository):
    def __init__(self, connection: _Connection, estate_code: str) -> None:
        self._fake_connection = connection
        self.estate = estate_code
        self.held: list[tuple[str, tuple[str, ...]]] = []  # (period, households locked) per hold

    @property
    def _t(self) -> Tables:
        return self._fake_connection.tables

    # The estate -----------------------------------------------------------------------------------

    def context(self, household_id: str | None = None) -> EstateContext | None:
        row = self._t.estates.get(self.estate)
        if row is None or row.kind != "trust":  # an estate's trust books only
            return None
        knows = household_id is not None and (self.estate, canonical(household_id)) in self._t.known_households
        return EstateContext(
            estate_code=self.estate,
            status=row.status,
            time_zone=row.time_zone,
            estate_name=row.name,
            community_code=row.community_code,
            first_period=row.first_period,
            today=self._fake_connection.books.today,
            knows_household=knows,
        )

    def claim_and_context(
        self, key: str, fingerprint: str, household_id: str | None = None
    ) -> tuple[bool, EstateContext | None]:
        keys = self._t.idempotency_keys
        claimed = (self.estate, key) not in keys
        if claimed:
            keys[(self.estate, key)] = KeyRow(fingerprint, None)
        return claimed, self.context(household_id)

    def open_accounts(self) -> set[str]:
        row = self._t.estates.get(self.estate)
        return set(row.accounts) if row else set()

    # Periods ----------------------------------------------------------------------------------------

    def _insert_period(self, period: str) -> PeriodRow:
        try:
            check_period(period)
        except InvalidInput as error:  # the table's check constraint
            raise refused(f"periods_period_format: {period!r}") from error
        return self._t.periods.setdefault((self.estate, period), PeriodRow())

    def period_status(self, period: str) -> str | None:
        row = self._t.periods.get((self.estate, period))
        return row.status if row else None

    def hold_period(self, period: str, *, households: Sequence[str] = ()) -> str:
        self.held.append((period, tuple(sorted({canonical(h) for h in households}))))
        return self._insert_period(period).status

    def lock_period_for_close(self, period: str) -> str | None:
        return self._insert_period(period).status

    def lock_period_for_accrual(self, period: str, *, wait: bool) -> str | None:
        return self.period_status(period)

    def close_period(self, period: str, closed_by: str, statement: dict[str, Any]) -> None:
        key = (self.estate, period)
        if key in self._t.periods:  # an UPDATE: nothing when there is no row
            self._t.periods[key] = PeriodRow("closed", closed_by, json.dumps(statement))

    def closed_statement(self, period: str) -> dict[str, Any] | None:
        row = self._t.periods.get((self.estate, period))
        if row is None or row.status != "closed" or row.statement is None:
            return None
        return dict(json.loads(row.statement))

    def periods_with_status(self) -> dict[str, str]:
        return {period: row.status for (estate, period), row in self._t.periods.items() if estate == self.estate}

    # Totals ----------------------------------------------------------------------------------------

    def totals(self, first_period: str, last_period: str) -> list[PeriodTotal]:
        return [
            PeriodTotal(period, account, kind, fen)
            for (estate, period, account, kind), fen in sorted(self._t.period_totals.items())
            if estate == self.estate and first_period <= period <= last_period and fen != 0
        ]

    def cash_before(self, period: str) -> int:
        return sum(
            fen
            for (estate, posted, account, _), fen in self._t.period_totals.items()
            if estate == self.estate and account == "1000" and posted < period
        )

    def balances(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (estate, _, account, _), fen in self._t.period_totals.items():
            if estate == self.estate:
                out[account] = out.get(account, 0) + fen
        return out

    # Transactions ----------------------------------------------------------------------------------

    def post(self, transactions: Sequence[Transaction], posted_by: str) -> list[PostedRef]:
        if not transactions:
            return []
        tables = self._t
        accounts = tables.estates[self.estate].accounts if self.estate in tables.estates else frozenset()
        reversed_in_statement: set[str] = set()
        for transaction in transactions:  # the checks of one INSERT statement, all before any row
            lines = transaction.lines
            if len(lines) < 2 or sum(line.amount_fen for line in lines) != 0:
                raise refused("check_violation: a transaction does not balance or has fewer than two lines")
            if (self.estate, transaction.period) not in tables.periods:
                raise refused(f"foreign key: no period {transaction.period} (hold it first)")
            for line in lines:
                if line.amount_fen == 0:
                    raise refused("postings_amount_not_zero")
                if line.account not in accounts:
                    raise refused(f"foreign key: account {line.account} is not open in {self.estate}")
                if line.household_id is not None:
                    canonical(line.household_id)
            if transaction.reverses is not None:
                target = tables.transactions.get(canonical(transaction.reverses))
                if target is None:
                    raise refused("foreign key: reverses an unknown transaction")
                already = any(row.transaction.reverses == target.id for row in tables.transactions.values())
                if already or target.id in reversed_in_statement:
                    raise refused("unique: the transaction is already reversed")
                reversed_in_statement.add(target.id)
        posted: list[PostedRef] = []
        for transaction in transactions:
            number = self._fake_connection.books.sequences.get(self.estate, 0) + 1
            self._fake_connection.books.sequences[self.estate] = number
            transaction_id = str(uuid.uuid4())
            tables.transactions[transaction_id] = TransactionRow(
                id=transaction_id,
                estate_code=self.estate,
                number=number,
                transaction=replace(transaction),  # its own copy of the reference
                posted_by=posted_by,
                posted_at=datetime.combine(self._fake_connection.books.today, time(12), tzinfo=UTC),
            )
            for line in transaction.lines:
                key = (self.estate, transaction.period, line.account, str(transaction.kind))
                tables.period_totals[key] = tables.period_totals.get(key, 0) + line.amount_fen
            posted.append(PostedRef(transaction_id, number))
        return posted

    def post_fee_bills(self, bills: FeeBills, posted_by: str) -> list[str]:
        return [posted.transaction_id for posted in self.post(bills.transactions(), posted_by)]

    def post_service_postings(self, batch: ServicePostings, ids: Sequence[str], posted_by: str) -> list[PostedRef]:
        posted = self.post(batch.transactions(), posted_by)
        # The fake makes its own ids: the entries take the ids the caller chose instead.
        renamed = []
        for ref, wanted in zip(posted, ids, strict=True):
            row = self._t.transactions.pop(ref.transaction_id)
            self._t.transactions[wanted] = replace(row, id=wanted)
            renamed.append(PostedRef(wanted, ref.number))
        return renamed

    def _row(self, transaction_id: uuid.UUID | str) -> TransactionRow | None:
        row = self._t.transactions.get(str(transaction_id))
        return row if row is not None and row.estate_code == self.estate else None

    def transaction(self, transaction_id: uuid.UUID) -> tuple[Transaction, bool] | None:
        row = self._row(transaction_id)
        if row is None:
            return None
        reversed_already = any(
            other.transaction.reverses == row.id
            for other in self._t.transactions.values()
            if other.estate_code == self.estate
        )
        return replace(row.transaction), reversed_already

    def entries(self, limit: int, before: int | None) -> list[EntryView]:
        rows = sorted(
            (
                row
                for row in self._t.transactions.values()
                if row.estate_code == self.estate and (before is None or row.number < before)
            ),
            key=lambda row: row.number,
            reverse=True,
        )[:limit]
        return [
            EntryView(
                id=row.id,
                number=row.number,
                period=row.transaction.period,
                kind=row.transaction.kind,
                memo=row.transaction.memo,
                reverses=row.transaction.reverses,
                posted_at=row.posted_at,
                posted_by=row.posted_by,
                lines=[EntryLine(line.account, line.amount_fen, line.household_id) for line in row.transaction.lines],
            )
            for row in rows
        ]

    def _lines_of(self, household_id: str) -> Iterable[Line]:
        wanted = canonical(household_id)
        for row in self._t.transactions.values():
            if row.estate_code == self.estate:
                yield from (line for line in row.transaction.lines if line.household_id == wanted)

    def household_balances(self, household_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self._lines_of(household_id):
            out[line.account] = out.get(line.account, 0) + line.amount_fen
        return out

    def has_entries_of(self, household_id: str) -> bool:
        return any(True for _ in self._lines_of(household_id))

    # Bills and payments -----------------------------------------------------------------------------

    def _due(self, bill: BillRow) -> int:
        return bill.amount_fen - sum(s.amount_fen for s in self._t.settlements if s.bill_id == bill.id)

    def _bills(self, household_id: str | None = None) -> list[BillRow]:
        wanted = canonical(household_id) if household_id is not None else None
        return sorted(
            (
                bill
                for bill in self._t.bills.values()
                if bill.estate_code == self.estate and wanted in (None, bill.household_id)
            ),
            key=lambda bill: (bill.period, bill.billed_on, bill.id),
        )

    def _open_bill(self, bill: BillRow) -> OpenBill:
        return OpenBill(bill.id, bill.period, self._due(bill), bill.billed_on)

    def open_bills(self, household_id: str) -> list[OpenBill]:
        return [self._open_bill(bill) for bill in self._bills(household_id) if self._due(bill) > 0]

    def open_bills_page(self, limit: int, after_household: str | None) -> list[tuple[str, OpenBill]]:
        after = uuid.UUID(after_household) if after_household is not None else None
        owing = [
            bill
            for bill in self._bills()
            if self._due(bill) > 0 and (after is None or uuid.UUID(bill.household_id) > after)
        ]
        households = sorted({bill.household_id for bill in owing}, key=uuid.UUID)[:limit]
        chosen = set(households)
        return [
            (bill.household_id, self._open_bill(bill))
            for bill in sorted(owing, key=lambda b: uuid.UUID(b.household_id))
            if bill.household_id in chosen
        ]

    def all_open_bills(self) -> list[OpenBill]:
        return [self._open_bill(bill) for bill in self._bills() if self._due(bill) > 0]

    def settle(self, settlements: Iterable[tuple[str, str, int]]) -> None:
        items = list(settlements)
        for bill_id, transaction_id, fen in items:
            if fen == 0:
                raise refused("bill_settlements_amount_not_zero")
            if bill_id not in self._t.bills or transaction_id not in self._t.transactions:
                raise refused("foreign key: a settlement of an unknown bill or transaction")
        self._t.settlements.extend(SettlementRow(self.estate, b, t, fen) for b, t, fen in items)

    def add_payment(
        self,
        household_id: str,
        amount_fen: int,
        method: str,
        reference: str,
        received_on: date,
        transaction_id: str,
        settlements: Sequence[tuple[str, int]] = (),
    ) -> str:
        self.settle((bill_id, transaction_id, fen) for bill_id, fen in settlements)
        if amount_fen <= 0 or method not in PAYMENT_METHODS:
            raise refused("payments_amount_positive / payments_method_known")
        if transaction_id not in self._t.transactions:
            raise refused("foreign key: a payment of an unknown transaction")
        payment_id = str(uuid.uuid4())
        self._t.payments[payment_id] = PaymentRow(
            payment_id, self.estate, canonical(household_id), amount_fen, method, reference, received_on, transaction_id
        )
        return payment_id

    def bill_of_transaction(self, transaction_id: uuid.UUID) -> tuple[str, int] | None:
        for bill in self._bills():
            if bill.transaction_id == str(transaction_id):
                return bill.id, self._due(bill)
        return None

    def settlements_of(self, transaction_id: uuid.UUID) -> list[tuple[str, int]]:
        return [
            (s.bill_id, s.amount_fen)
            for s in self._t.settlements
            if s.estate_code == self.estate and s.transaction_id == str(transaction_id)
        ]

    def bills_of(self, household_id: str) -> list[BillView]:
        return [
            BillView(
                id=bill.id,
                period=bill.period,
                amount_fen=bill.amount_fen,
                billed_on=bill.billed_on,
                area_centi_sqm=bill.area_centi_sqm,
                rate=format(bill.rate_fen_per_sqm_month.quantize(Decimal("0.0001")), "f"),  # numeric(12, 4)::text
                occupied_days=bill.occupied_days,
                due_fen=self._due(bill),
            )
            for bill in self._bills(household_id)
        ]

    def payments_of(self, household_id: str) -> list[PaymentView]:
        wanted = canonical(household_id)
        rows = sorted(
            (p for p in self._t.payments.values() if p.estate_code == self.estate and p.household_id == wanted),
            key=lambda p: (p.received_on, p.id),
        )
        return [PaymentView(p.id, p.amount_fen, p.method, p.reference, p.received_on, p.transaction_id) for p in rows]


class FakeGovernance(GovernanceRepository):
    """Budgets, vouchers, expenses and questions as ``adapters/governance.py`` keeps them (and the
    constraints of migration 0008): one estate's rows; ``adopt`` replaces the year's budget (a plan
    the draft does not have: no row, as the INSERT … SELECT finds none); ``open_budget_lines`` opens
    the lines' accounts in the estate's books (``FakeJournal.open_accounts`` sees them); expenses are
    numbered from an identity shared by every estate that a rollback does not give back; the history
    is only ever appended to. Timestamps are ``books.today`` at noon UTC (``now()``: the same all
    through a transaction)."""

    def __init__(self, connection: _Connection, estate_code: str) -> None:
        self._fake_connection = connection
        self.estate = estate_code

    @property
    def _t(self) -> Tables:
        return self._fake_connection.tables

    def _now(self) -> datetime:
        return datetime.combine(self._fake_connection.books.today, time(12), tzinfo=UTC)

    @staticmethod
    def _key(value: str) -> str | None:
        """``value`` as a uuid column keeps it, None when it is not one (the adapter's ValueError path)."""
        try:
            return str(uuid.UUID(value))
        except (ValueError, TypeError, AttributeError):
            return None

    # Budgets -------------------------------------------------------------------------------------

    def add_draft(self, draft: BudgetDraft, created_by: str) -> str:
        draft_id = str(uuid.uuid4())
        self._t.budget_drafts[draft_id] = DraftRow(
            id=draft_id,
            estate_code=self.estate,
            draft=draft,
            status=DraftStatus.DRAFT,
            ballot_id=None,
            adopted_plan=None,
            created_by=created_by,
            created_at=self._now(),
            decided_at=None,
            written_in=self._fake_connection.serial,
        )
        return draft_id

    def _draft_row(self, draft_id: str) -> DraftRow | None:
        key = self._key(draft_id)
        row = self._t.budget_drafts.get(key) if key is not None else None
        return row if row is not None and row.estate_code == self.estate else None

    def _update_draft(self, draft_id: str, **changes: Any) -> None:
        row = self._draft_row(draft_id)
        if row is not None:  # an UPDATE: nothing when there is no row
            self._t.budget_drafts[row.id] = replace(row, **changes)

    def replace_draft(self, draft_id: str, draft: BudgetDraft) -> None:
        row = self._draft_row(draft_id)
        if row is None:  # the UPDATE finds nothing; the plans' INSERT breaks the foreign key
            raise refused(f"foreign key: budget_plans of an unknown draft {draft_id}")
        self._t.budget_drafts[row.id] = replace(row, draft=draft)

    def _stored_draft(self, row: DraftRow) -> StoredDraft:
        return StoredDraft(
            id=row.id,
            draft=row.draft,
            status=row.status,
            ballot_id=row.ballot_id,
            adopted_plan=row.adopted_plan,
            created_by=row.created_by,
            created_at=row.created_at,
            decided_at=row.decided_at,
        )

    def draft(self, draft_id: str, *, for_update: bool = False) -> StoredDraft | None:
        row = self._draft_row(draft_id)
        return self._stored_draft(row) if row is not None else None

    def drafts(self, limit: int = 100, offset: int = 0) -> list[StoredDraft]:
        mine = [row for row in self._t.budget_drafts.values() if row.estate_code == self.estate]
        # ORDER BY created_at DESC, id DESC: newest first (a later transaction is a later now()); among
        # drafts of one transaction (the same now()), the greater id first (a uuid's text orders as it does).
        newest = sorted(mine, key=lambda row: (row.created_at, row.written_in, row.id), reverse=True)
        return [self._stored_draft(row) for row in newest[offset : offset + limit]]

    def count_drafts(self) -> int:
        return sum(1 for row in self._t.budget_drafts.values() if row.estate_code == self.estate)

    def mark_balloting(self, draft_id: str, ballot_id: str) -> None:
        self._update_draft(draft_id, status=DraftStatus.BALLOTING, ballot_id=ballot_id)

    def decide_draft(self, draft_id: str, status: DraftStatus, adopted_plan: str | None, ballot_id: str) -> None:
        self._update_draft(
            draft_id,
            status=DraftStatus(status),  # budget_drafts_status
            adopted_plan=adopted_plan,
            ballot_id=ballot_id,
            decided_at=self._now(),
        )

    def adopt(self, year: int, draft_id: str, plan_name: str, ballot_id: str) -> None:
        row = self._draft_row(draft_id)
        if row is None:
            return  # the INSERT … SELECT finds no plan
        position = next(
            (i for i, plan in enumerate(row.draft.plans) if plan.name.lower() == plan_name.lower()),
            None,
        )
        if position is None:
            return
        self._t.budgets[(self.estate, year)] = AdoptedRow(self.estate, year, row.id, position, ballot_id, self._now())

    def budget(self, year: int) -> AdoptedBudget | None:
        adopted = self._t.budgets.get((self.estate, year))
        if adopted is None:
            return None
        row = self._t.budget_drafts[adopted.draft_id]
        return AdoptedBudget(
            year=adopted.year,
            draft_id=adopted.draft_id,
            plan=row.draft.plans[adopted.plan_position],
            policy=row.draft.policy,
            ballot_id=adopted.ballot_id,
            adopted_at=adopted.adopted_at,
        )

    def open_budget_lines(self, lines: list[BudgetLine]) -> None:
        row = self._t.estates.get(self.estate)
        if row is None:
            raise refused(f"foreign key: accounts of an estate without books ({self.estate})")
        self._t.estates[self.estate] = replace(row, accounts=row.accounts | {line.account for line in lines})

    # Vouchers ------------------------------------------------------------------------------------

    def add_voucher(self, voucher: Voucher, uploaded_by: str) -> None:
        if re.fullmatch(r"[0-9a-f]{64}", voucher.sha256) is None:
            raise refused("vouchers_sha256_hex")
        self._t.vouchers.setdefault((self.estate, voucher.sha256), VoucherRow(voucher, uploaded_by, self._now()))

    def vouchers(self, hashes: list[str]) -> dict[str, Voucher]:
        return {sha: row.voucher for sha in hashes if (row := self._t.vouchers.get((self.estate, sha))) is not None}

    # Expenses ------------------------------------------------------------------------------------

    def add_expense(
        self,
        proposal: Proposal,
        vouchers: list[Voucher],
        year: int,
        escalation: Escalation,
        proposed_by: str,
        proposed_by_name: str,
        ticket_id: str | None = None,
    ) -> str:
        if ticket_id is not None and not 1 <= len(ticket_id) <= 128:
            raise refused("expenses_ticket_id_length")
        expense_id = str(uuid.uuid4())
        books = self._fake_connection.books
        books.expense_numbers += 1  # GENERATED ALWAYS AS IDENTITY: not transactional, shared by estates
        self._t.expenses[expense_id] = ExpenseRow(
            id=expense_id,
            estate_code=self.estate,
            number=books.expense_numbers,
            status=ExpenseStatus.PROPOSED,
            proposal=proposal,
            vouchers=tuple(vouchers),
            year=year,
            escalation=Escalation(escalation),
            proposed_by=proposed_by,
            proposed_by_name=proposed_by_name,
            proposed_at=self._now(),
            ticket_id=ticket_id,
        )
        self.record(expense_id, "proposed", ExpenseStatus.PROPOSED, proposed_by, proposed_by_name, None)
        return expense_id

    def _expense_row(self, expense_id: str) -> ExpenseRow | None:
        key = self._key(expense_id)
        row = self._t.expenses.get(key) if key is not None else None
        return row if row is not None and row.estate_code == self.estate else None

    @staticmethod
    def _stored_expense(row: ExpenseRow) -> StoredExpense:
        return StoredExpense(
            id=row.id,
            number=row.number,
            status=row.status,
            proposal=row.proposal,
            year=row.year,
            escalation=row.escalation,
            proposed_by=row.proposed_by,
            proposed_by_name=row.proposed_by_name,
            proposed_at=row.proposed_at,
            first_approver=row.first_approver,
            ballot_id=row.ballot_id,
            decided_at=row.decided_at,
            reason=row.reason,
            booking_transaction_id=row.booking_transaction_id,
            payment_transaction_id=row.payment_transaction_id,
            ticket_id=row.ticket_id,
        )

    def expense(self, expense_id: str, *, for_update: bool = False) -> StoredExpense | None:
        row = self._expense_row(expense_id)
        return self._stored_expense(row) if row is not None else None

    def _expense_rows(self) -> list[ExpenseRow]:
        return [row for row in self._t.expenses.values() if row.estate_code == self.estate]

    def expenses(self, status: str | None, limit: int, before: int | None) -> list[StoredExpense]:
        rows = [
            row
            for row in self._expense_rows()
            if (status is None or row.status.value == status) and (before is None or row.number < before)
        ]
        rows.sort(key=lambda row: row.number, reverse=True)
        return [self._stored_expense(row) for row in rows[:limit]]

    def expense_vouchers(self, expense_id: str) -> list[Voucher]:
        row = self._expense_row(expense_id)
        if row is None:  # scalar_one() of no row
            raise NoResultFound("No row was found when one was required")
        return list(row.vouchers)

    def held_on_line(self, year: int, account: str) -> int:
        holding = (ExpenseStatus.PROPOSED, ExpenseStatus.AWAITING_BALLOT, ExpenseStatus.AWAITING_SECOND_APPROVAL)
        return sum(
            row.proposal.amount_fen
            for row in self._expense_rows()
            if row.year == year and row.proposal.account == account and row.status in holding
        )

    def _period_of(self, transaction_id: str | None) -> str | None:
        """The period of a transaction (any estate's: the JOIN is on the id), None when there is none."""
        row = self._t.transactions.get(transaction_id) if transaction_id is not None else None
        return row.transaction.period if row is not None else None

    def committed_by_line(self, first_period: str, through_period: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self._expense_rows():
            booked = self._period_of(row.booking_transaction_id)  # JOIN: an expense not booked is not counted
            if booked is None or not first_period <= booked <= through_period:
                continue
            paid = self._period_of(row.payment_transaction_id)  # LEFT JOIN
            if paid is None or paid > through_period:
                out[row.proposal.account] = out.get(row.proposal.account, 0) + row.proposal.amount_fen
        return out

    def open_line(self, account: str) -> None:
        # Named as the standard line in the real table; the fake's chart keeps only the codes.
        row = self._t.estates.get(self.estate)
        if row is None:
            raise refused(f"foreign key: an account of an estate without books ({self.estate})")
        self._t.estates[self.estate] = replace(row, accounts=row.accounts | {account})

    def update_expense(self, expense_id: str, **changes: Any) -> None:
        allowed = {
            "status",
            "first_approver",
            "ballot_id",
            "decided_at",
            "reason",
            "booking_transaction_id",
            "payment_transaction_id",
        }
        if not changes or not set(changes) <= allowed:
            raise ValueError(f"unknown expense fields: {sorted(set(changes) - allowed)}")
        values = dict(changes)
        if "decided_at" in values:
            values["decided_at"] = self._now()  # decided_at = now(), whatever was passed
        if "status" in values:
            try:
                values["status"] = ExpenseStatus(values["status"])
            except ValueError as error:
                raise refused(f"expenses_status: {values['status']!r}") from error
        for name in ("booking_transaction_id", "payment_transaction_id"):
            if values.get(name) is not None:
                values[name] = str(uuid.UUID(str(values[name])))
        row = self._expense_row(expense_id)
        if row is not None:  # an UPDATE: nothing when there is no row
            self._t.expenses[row.id] = replace(row, **values)

    def set_escalation(self, expense_id: str, escalation: str) -> None:
        row = self._expense_row(expense_id)
        if row is not None:
            self._t.expenses[row.id] = replace(row, escalation=Escalation(escalation))

    def record(
        self, expense_id: str, action: str, status: ExpenseStatus, actor: str, actor_name: str, reason: str | None
    ) -> None:
        if self._expense_row(expense_id) is None:
            raise refused(f"foreign key: history of an unknown expense {expense_id}")
        self._t.expense_history.append(
            HistoryRow(
                self.estate, str(uuid.UUID(expense_id)), action, status.value, actor, actor_name, reason, self._now()
            )
        )

    def history(self, expense_id: str) -> list[HistoryItem]:
        wanted = str(uuid.UUID(expense_id))
        return [
            HistoryItem(row.action, row.status, row.actor_name, row.reason, row.at)
            for row in self._t.expense_history
            if row.estate_code == self.estate and row.expense_id == wanted
        ]

    # Questions -----------------------------------------------------------------------------------

    def add_question(self, expense_id: str, question: str, asked_by: str) -> str:
        expense = self._expense_row(expense_id)
        if expense is None:
            raise refused(f"foreign key: a question on an unknown expense {expense_id}")
        question_id = str(uuid.uuid4())
        self._t.expense_questions[question_id] = QuestionRow(
            question_id, self.estate, expense.id, question, asked_by, self._now()
        )
        return question_id

    def _question(self, row: QuestionRow) -> Question:
        expense = self._t.expenses[row.expense_id]
        return Question(
            id=row.id,
            expense_id=row.expense_id,
            expense_number=expense.number,
            question=row.question,
            asked_at=row.asked_at,
            answer=row.answer,
            answered_at=row.answered_at,
            asked_by=row.asked_by,
        )

    def question(self, question_id: str, *, for_update: bool = False) -> Question | None:
        key = self._key(question_id)
        row = self._t.expense_questions.get(key) if key is not None else None
        return self._question(row) if row is not None and row.estate_code == self.estate else None

    def questions(self, expense_id: str | None = None, *, open_only: bool = False) -> list[Question]:
        wanted = canonical(expense_id) if expense_id is not None else None  # CAST(:expense AS uuid)
        rows = [
            row
            for row in self._t.expense_questions.values()
            if row.estate_code == self.estate
            and wanted in (None, row.expense_id)
            and not (open_only and row.answer is not None)
        ]
        return [self._question(row) for row in sorted(rows, key=lambda row: row.asked_at)][:500]

    def _estate_questions(self, open_only: bool) -> list[Any]:
        # FROM expense_questions q … WHERE q.estate_code = :estate AND (NOT :open_only OR q.answer IS NULL)
        return [
            row
            for row in self._t.expense_questions.values()
            if row.estate_code == self.estate and not (open_only and row.answer is not None)
        ]

    def questions_page(self, open_only: bool, limit: int, offset: int) -> list[Question]:
        # ORDER BY q.asked_at, q.id: among questions of one transaction (one now()), the smaller id first.
        oldest = sorted(self._estate_questions(open_only), key=lambda row: (row.asked_at, row.id))
        return [self._question(row) for row in oldest[offset : offset + limit]]

    def count_questions(self, open_only: bool) -> int:
        return len(self._estate_questions(open_only))

    def answer(self, question_id: str, answer: str, answered_by: str) -> None:
        key = self._key(question_id)
        row = self._t.expense_questions.get(key) if key is not None else None
        if row is not None and row.estate_code == self.estate:
            self._t.expense_questions[row.id] = replace(
                row, answer=answer, answered_by=answered_by, answered_at=self._now()
            )


class FakeTransparencyLog(TransparencyLog):
    """An estate's tamper-evident log as ``adapters/transparency_log.py`` keeps it (migration 0009):
    the key made once (the first stored stands), leaves append-only (a leaf index or a transaction
    logged twice is refused, as the primary key and ``log_leaves_once_per_transaction`` do), entries
    rebuilt from the journal's rows, households' secrets made on first use and never changed,
    checkpoints once per size, witness keys retired by the next one, a cosignature once per key and
    checkpoint. Timestamps are ``books.today`` at noon UTC, as in :class:`FakeGovernance`."""

    def __init__(self, connection: _Connection, estate_code: str, subject: str | None = None) -> None:
        self._fake_connection = connection
        self.estate = estate_code
        self.subject = subject or estate_code

    @property
    def _t(self) -> Tables:
        return self._fake_connection.tables

    def _now(self) -> datetime:
        return datetime.combine(self._fake_connection.books.today, time(12), tzinfo=UTC)

    def lock(self) -> None:
        """One unit of work runs at a time here: nothing to wait for."""

    # The log's key -------------------------------------------------------------------------------

    def key(self) -> LogKey | None:
        return self._t.log_keys.get(self.estate)

    def add_key(self, key: LogKey) -> LogKey:
        return self._t.log_keys.setdefault(self.estate, key)  # ON CONFLICT (estate_code) DO NOTHING

    # Leaves --------------------------------------------------------------------------------------

    def leaves(self) -> list[Leaf]:
        return [
            Leaf(index, row.transaction_id, row.leaf_hash)
            for (estate, index), row in sorted(self._t.log_leaves.items())
            if estate == self.estate
        ]

    def leaf_of(self, transaction_id: str) -> Leaf | None:
        try:
            wanted = str(uuid.UUID(transaction_id))
        except ValueError:
            return None
        return next((leaf for leaf in self.leaves() if leaf.transaction_id == wanted), None)

    def append(self, first_index: int, leaves: Sequence[tuple[str, bytes]]) -> None:
        if not leaves:
            return
        rows = {
            (self.estate, first_index + n): LeafRow(str(uuid.UUID(transaction_id)), bytes(leaf_hash))
            for n, (transaction_id, leaf_hash) in enumerate(leaves)
        }
        logged = {row.transaction_id for (estate, _), row in self._t.log_leaves.items() if estate == self.estate}
        for (_, index), row in rows.items():  # one INSERT: every row checked before any is kept
            if index < 0 or len(row.leaf_hash) != 32:
                raise refused("log_leaves_shape")
            if (self.estate, index) in self._t.log_leaves:
                raise refused(f"log_leaves_pkey: leaf {index} is logged already")
            if row.transaction_id in logged:
                raise refused(f"log_leaves_once_per_transaction: {row.transaction_id}")
            logged.add(row.transaction_id)
        self._t.log_leaves.update(rows)

    def unlogged_transaction_ids(self, through_period: str) -> list[str]:
        logged = {row.transaction_id for (estate, _), row in self._t.log_leaves.items() if estate == self.estate}
        rows = [
            row
            for row in self._t.transactions.values()
            if row.estate_code == self.estate and row.transaction.period <= through_period and row.id not in logged
        ]
        return [row.id for row in sorted(rows, key=lambda row: row.number)]

    def entries(self, transaction_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        if not transaction_ids:
            return {}
        wanted = {str(uuid.UUID(t)) for t in transaction_ids}
        heads = [row for row in self._t.transactions.values() if row.estate_code == self.estate and row.id in wanted]
        households = {
            canonical(line.household_id) for row in heads for line in row.transaction.lines if line.household_id
        }
        household_secrets = self.household_secrets(sorted(households))
        return {
            row.id: LedgerEntry(
                estate=self.subject,
                seq=row.number,
                transaction_id=row.id,
                period=row.transaction.period,
                kind=str(row.transaction.kind),
                posted_at=row.posted_at,
                lines=tuple(
                    LogEntryLine(
                        line=number,
                        account=line.account,
                        amount_fen=line.amount_fen,
                        household=household_commitment(household_secrets[canonical(line.household_id)], row.id, number)
                        if line.household_id
                        else None,
                    )
                    for number, line in enumerate(row.transaction.lines, start=1)
                ),
            )
            for row in heads
        }

    def household_secrets(self, household_ids: Iterable[str]) -> dict[str, bytes]:
        wanted = [str(uuid.UUID(h)) for h in household_ids]
        kept = self._t.household_secrets
        for household in wanted:  # ON CONFLICT DO NOTHING: a secret, once made, stays
            kept.setdefault((self.estate, household), secrets.token_bytes(32))
        return {household: kept[(self.estate, household)] for household in wanted}

    # Checkpoints ---------------------------------------------------------------------------------

    def add_checkpoint(self, tree_size: int, period: str, note: str, root_hash: bytes) -> None:
        key = (self.estate, tree_size)
        if key in self._t.checkpoints:
            raise refused(f"checkpoints_pkey: a checkpoint of size {tree_size} exists")
        self._t.checkpoints[key] = StoredCheckpoint(tree_size, period, note, bytes(root_hash), self._now())

    def checkpoints(self, limit: int | None = None, offset: int = 0) -> list[StoredCheckpoint]:
        mine = [stored for (estate, _), stored in sorted(self._t.checkpoints.items()) if estate == self.estate]
        return mine[offset:] if limit is None else mine[offset : offset + limit]

    def count_checkpoints(self) -> int:
        return sum(1 for estate, _ in self._t.checkpoints if estate == self.estate)

    def checkpoint(self, tree_size: int | None = None) -> StoredCheckpoint | None:
        if tree_size is not None:
            return self._t.checkpoints.get((self.estate, tree_size))
        stored = self.checkpoints()
        return stored[-1] if stored else None

    def checkpoint_holding(self, leaf_index: int) -> StoredCheckpoint | None:
        return next((stored for stored in self.checkpoints() if stored.tree_size > leaf_index), None)

    # Witnesses -----------------------------------------------------------------------------------

    def witness_keys(self, *, active_only: bool = False) -> list[WitnessKey]:
        rows = [
            row.key
            for (estate, _), row in self._t.witness_keys.items()
            if estate == self.estate and not (active_only and row.key.retired_at is not None)
        ]
        return sorted(rows, key=lambda key: key.registered_at)  # stable: registered in one transaction, as written

    def register_witness(self, verifier_key: str, name: str, registered_by: str) -> None:
        witnesses = self._t.witness_keys
        for (estate, vkey), row in list(witnesses.items()):
            if estate == self.estate and row.key.retired_at is None and vkey != verifier_key:
                witnesses[(estate, vkey)] = replace(row, key=replace(row.key, retired_at=self._now()))
        known = witnesses.get((self.estate, verifier_key))
        if known is None:
            witnesses[(self.estate, verifier_key)] = WitnessRow(
                WitnessKey(verifier_key, name, self._now(), None), registered_by
            )
        else:  # ON CONFLICT DO UPDATE SET retired_at = NULL
            witnesses[(self.estate, verifier_key)] = replace(known, key=replace(known.key, retired_at=None))

    def cosignatures(self, tree_size: int | None = None) -> list[StoredCosignature]:
        rows = [
            stored
            for (estate, size, _), stored in self._t.cosignatures.items()
            if estate == self.estate and tree_size in (None, size)
        ]
        return sorted(rows, key=lambda stored: stored.tree_size)  # stable: as received within a size

    def add_cosignature(self, tree_size: int, verifier_key: str, line: str, cosigned_at: datetime) -> bool:
        key = (self.estate, tree_size, verifier_key)
        if key in self._t.cosignatures:  # ON CONFLICT DO NOTHING
            return False
        self._t.cosignatures[key] = StoredCosignature(tree_size, verifier_key, line, cosigned_at)
        return True


class FakeIdempotencyKeys(IdempotencyKeys):
    def __init__(self, connection: _Connection, estate_code: str) -> None:
        self._fake_connection = connection
        self.estate = estate_code

    def claim(self, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        fingerprint = request_fingerprint(body)
        keys = self._fake_connection.tables.idempotency_keys
        if (self.estate, key) not in keys:
            keys[(self.estate, key)] = KeyRow(fingerprint, None)
            return None
        return self.stored(key, fingerprint)

    def stored(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        row = self._fake_connection.tables.idempotency_keys.get((self.estate, key))
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise Conflict("this idempotency key was already used for a different request")
        return dict(json.loads(row.response)) if row.response is not None else None

    def answer(self, key: str, response: dict[str, Any]) -> None:
        keys = self._fake_connection.tables.idempotency_keys
        row = keys.get((self.estate, key))
        if row is not None:  # an UPDATE
            keys[(self.estate, key)] = replace(row, response=json.dumps(response, default=str))

    def claim_many(
        self, fingerprints: dict[str, str], postings: dict[str, str] | None = None, period: str = ""
    ) -> set[str]:
        keys = self._fake_connection.tables.idempotency_keys
        new = {key for key in fingerprints if (self.estate, key) not in keys}
        for key in new:
            posting = (postings or {}).get(key)
            answer = {"transaction_id": posting, "period": period, "reverses": None} if posting else None
            keys[(self.estate, key)] = KeyRow(fingerprints[key], json.dumps(answer) if answer else None)
        return new

    def stored_many(self, wanted: list[str]) -> dict[str, tuple[str, dict[str, Any] | None]]:
        keys = self._fake_connection.tables.idempotency_keys
        found = {}
        for key in wanted:
            row = keys.get((self.estate, key))
            if row is None:
                continue
            answer = dict(json.loads(row.response)) if row.response is not None else None
            if answer is not None and "transaction_id" in answer and "number" not in answer:
                entry = self._fake_connection.tables.transactions.get(answer["transaction_id"])
                answer["number"] = entry.number if entry is not None and entry.estate_code == self.estate else None
            found[key] = (row.request_hash, answer)
        return found

    def answer_many(self, responses: dict[str, dict[str, Any]]) -> None:
        for key, response in responses.items():
            self.answer(key, response)

    def release_many(self, released: list[str]) -> None:
        keys = self._fake_connection.tables.idempotency_keys
        for key in released:
            row = keys.get((self.estate, key))
            if row is not None and row.response is None:
                del keys[(self.estate, key)]


class FakeRules(RulesRepository):
    def __init__(self, connection: _Connection, estate_code: str) -> None:
        self._fake_connection = connection
        self.estate = estate_code

    def in_force(self, day: date) -> PeriodRules | None:
        started = [
            (effective_from, stored)
            for (estate, effective_from), stored in self._fake_connection.tables.announced_rules.items()
            if estate == self.estate and effective_from <= day
        ]
        return rules_of_json(json.loads(max(started)[1])) if started else None

    def record(self, rules: tenant_pb2.EstateRules, source: str) -> None:
        key = (self.estate, date.fromisoformat(rules.effective_from))
        self._fake_connection.tables.announced_rules[key] = _rules_json(rules)


class FakeTenantMirror(TenantMirror):
    def __init__(self, connection: _Connection) -> None:
        self._fake_connection = connection

    def learn_households(self, estate_code: str, households: list[tuple[str, int | None]]) -> None:
        known = self._fake_connection.tables.known_households
        for household_id, area in households:
            key = (estate_code, canonical(household_id))
            known[key] = area if area is not None else known.get(key)

    def knows_household(self, estate_code: str, household_id: str) -> bool:
        return (estate_code, canonical(household_id)) in self._fake_connection.tables.known_households

    def record_rules(self, estate_code: str, rules: tenant_pb2.EstateRules, event_id: str) -> None:
        key = (estate_code, date.fromisoformat(rules.effective_from))
        self._fake_connection.tables.announced_rules[key] = _rules_json(rules)


class FakeBooksRepository(BooksRepository):
    def __init__(self, connection: _Connection) -> None:
        self._fake_connection = connection

    def _trust(self, estate_code: str) -> EstateRow | None:
        row = self._fake_connection.tables.estates.get(estate_code)
        return row if row is not None and row.kind == "trust" else None

    def get(self, estate_code: str) -> TrustBooks | None:
        row = self._trust(estate_code)
        return open_books(row.terms) if row is not None and row.terms is not None else None

    def profile(self, estate_code: str) -> dict[str, str] | None:
        row = self._trust(estate_code)
        if row is None:
            return None
        return {
            "estate_name": row.name,
            "community_code": row.community_code,
            "time_zone": row.time_zone,
            "status": row.status,
        }

    def set_status(self, estate_code: str, status: str) -> None:
        estates = self._fake_connection.tables.estates
        if self._trust(estate_code) is not None:
            estates[estate_code] = replace(estates[estate_code], status=status)


class FakeFundBooks(FundBooksRepository):
    """A community fund's book as ``adapters/fund_books.py`` keeps it: a row of kind 'fund' under
    ``fund:<community>`` with the fund's chart, opened once (a second ``add`` writes nothing)."""

    def __init__(self, connection: _Connection, book_code: str) -> None:
        self._fake_connection = connection
        self.book = book_code

    def add(self, community_code: str, name: str, opened_by: str) -> bool:
        code = fund_book_code(community_code)
        tables = self._fake_connection.tables
        if code in tables.estates:  # ON CONFLICT (estate_code) DO NOTHING
            return False
        today = self._fake_connection.books.today
        tables.estates[code] = EstateRow(
            estate_code=code,
            name=name,
            community_code=community_code,
            time_zone="Asia/Shanghai",
            district_code="",
            first_period=f"{today:%Y-%m}",
            status="active",
            terms=None,
            accounts=frozenset(a.code for a in FUND_CHART),
            kind="fund",
        )
        self._fake_connection.books.sequences.setdefault(code, 0)
        return True

    def get(self) -> FundBook | None:
        row = self._fake_connection.tables.estates.get(self.book)
        if row is None or row.kind != "fund":
            return None
        return FundBook(
            community_code=row.community_code,
            name=row.name,
            first_period=row.first_period,
            today=self._fake_connection.books.today,
            accounts=tuple(a for a in FUND_CHART if a.code in row.accounts),
        )


# The tenant service ------------------------------------------------------------------------------


class FakeRegistry:
    """The tenant service as the ledger's use cases ask it (``common.Registry``); ``calls`` lists
    what it was asked, so a test can tell when the ledger's own mirror sufficed."""

    def __init__(self) -> None:
        self.rules: dict[str, list[tenant_pb2.EstateRules]] = {}
        self.households: dict[str, dict[str, BillableHousehold]] = {}
        self.calls: list[tuple[str, str, str]] = []

    def add_rules(self, estate_code: str, *messages: tenant_pb2.EstateRules) -> None:
        self.rules.setdefault(estate_code, []).extend(messages)

    def add_household(
        self,
        estate_code: str,
        household_id: str,
        area_centi_sqm: int,
        occupied_from: date | None = None,
        occupied_until: date | None = None,
    ) -> None:
        household = BillableHousehold(canonical(household_id), area_centi_sqm, occupied_from, occupied_until)
        self.households.setdefault(estate_code, {})[household.id] = household

    def rules_message(self, estate_code: str, day: date) -> tenant_pb2.EstateRules:
        self.calls.append(("rules_message", estate_code, day.isoformat()))
        started = [m for m in self.rules.get(estate_code, []) if date.fromisoformat(m.effective_from) <= day]
        if not started:
            raise NotFound(f"no rules of estate {estate_code!r} in force on {day}")
        return max(started, key=lambda m: m.effective_from)

    def rules_on(self, estate_code: str, day: date) -> PeriodRules:
        return period_rules(self.rules_message(estate_code, day))

    def household(self, estate_code: str, household_id: str) -> BillableHousehold:
        self.calls.append(("household", estate_code, household_id))
        found = self.households.get(estate_code, {}).get(canonical(household_id))
        if found is None:
            raise NotFound("no such household in this estate")
        return found
