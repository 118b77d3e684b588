"""Use cases that move money in an estate's trust books: billing runs, payments, common income,
reversals and period closes; and what people read: statements, accounts, arrears, entries.

Every write takes an idempotency key (a retry with it returns the first result; the same key with
another body is refused) and runs in one database transaction, in which the database itself checks
that every transaction balances. Postings of one estate are serialised on the period's row (the
running totals of exact cumulative rounding live there), those of one household on an advisory
lock, so a billing run — one short transaction per household — never blocks payments for long.
"""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ledger_service.adapters.books import BooksRepository
from ledger_service.adapters.journal import JournalRepository
from ledger_service.adapters.tenant_client import BillableHousehold, PeriodRules
from ledger_service.adapters.tenant_mirror import TenantMirror
from ledger_service.domain import trust_books as rules
from ledger_service.domain.money import bill_amount
from ledger_service.domain.postings import PREPAID, RECEIVABLE, REMUNERATION, Line, Transaction, check_period
from ledger_service.domain.trust_books import HouseholdBalance, Kind, MonthlyStatement, OpenBill, Remuneration
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/ledger"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$")
PAYMENT_METHODS = ("cash", "bank_transfer", "wechat_pay", "alipay")
BILLING_CHUNK = 25  # households per billing transaction


class Registry(Protocol):
    """The tenant service, as money needs it."""

    def rules_on(self, estate_code: str, day: date) -> PeriodRules: ...

    def households(self, estate_code: str) -> Any: ...

    def household(self, estate_code: str, household_id: str) -> BillableHousehold: ...


def check_key(key: str | None) -> str:
    if not key or not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("an Idempotency-Key of 8-128 letters, digits, '_', '.', ':' or '-' is required")
    return key


def period_start(period: str) -> date:
    check_period(period)
    return date(int(period[:4]), int(period[5:]), 1)


def _profile(session: Session, code: str) -> dict[str, str]:
    profile = BooksRepository(session).profile(code)
    if profile is None:
        raise NotFound(f"no trust books for estate {code!r}")
    return profile


def _writable(session: Session, code: str) -> dict[str, str]:
    profile = _profile(session, code)
    if profile["status"] != "active":
        raise Conflict(f"the books of estate {code!r} are {profile['status']}: read-only")
    return profile


def estate_today(profile: dict[str, str]) -> date:
    return datetime.now(ZoneInfo(profile["time_zone"])).date()


def _posting_period(journal: JournalRepository, wanted: str, today: date) -> str:
    """Where an entry dated in ``wanted`` is posted: that period while it is open, else (a late
    correction of a closed month) the current month, referencing the closed one in its memo."""
    current = f"{today.year:04d}-{today.month:02d}"
    if wanted > current:
        raise InvalidInput(f"period {wanted} has not started yet")
    if journal.period(wanted).status == "open":
        return wanted
    if journal.period(current).status == "open":
        return current
    raise Conflict(f"period {wanted} is closed and so is the current period {current}")


def _post(journal: JournalRepository, transactions: list[Transaction], basis: str, posted_by: str) -> list[uuid.UUID]:
    ids = []
    for transaction in transactions:
        ids.append(journal.post(transaction, posted_by))
        journal.add_to_period_totals(
            transaction.period,
            rules.remuneration_basis_delta(transaction, basis),
            transaction.amount_on(REMUNERATION),
        )
    return ids


def _terms(period_rules: PeriodRules) -> Remuneration:
    return Remuneration(period_rules.remuneration_share_bps, period_rules.remuneration_basis)


def _household_balance(journal: JournalRepository, household_id: str) -> HouseholdBalance:
    balances = journal.household_balances(uuid.UUID(household_id))
    return HouseholdBalance(receivable_fen=balances.get(RECEIVABLE, 0), prepaid_fen=-balances.get(PREPAID, 0))


# Billing ---------------------------------------------------------------------------------------


def occupied_days(household: BillableHousehold, period: str) -> tuple[int | None, int]:
    """Days of ``period`` the household owes fees for, None for the whole month.

    Rule: fees are owed from the day the dwelling is occupied (handed over / moved in) until the
    day before it is vacated; a month only partly covered is prorated by days (bill_amount)."""
    start = period_start(period)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    end = date(start.year, start.month, days_in_month)
    first = max(start, household.occupied_from) if household.occupied_from else start
    last = min(end, date.fromordinal(household.occupied_until.toordinal() - 1)) if household.occupied_until else end
    if last < first:
        return 0, days_in_month
    days = (last - first).days + 1
    return (None if days == days_in_month else days), days_in_month


def run_billing(database: Database, registry: Registry, code: str, period: str, key: str, actor: str) -> dict[str, Any]:
    """Bill every household of the estate for ``period`` by floor area × the rate in force on its
    first day. Billing a period again bills nothing new. One short transaction per household."""
    check_key(key)
    start = period_start(period)
    with database.estate_session(code) as session:
        journal = JournalRepository(session, code)
        # A retry answers as the first run did, even once the month is closed.
        replay = journal.replayed(key, {"run": "billing", "period": period})
        if replay is not None:
            return replay
        profile = _writable(session, code)
        if journal.period(period).status == "closed":
            raise Conflict(f"period {period} is closed")
        if period > f"{estate_today(profile):%Y-%m}":
            raise InvalidInput(f"period {period} has not started yet")
    period_rules = registry.rules_on(code, start)
    with database.estate_session(code) as session:
        billed_before = JournalRepository(session, code).billed_households(period)
    billed = already = skipped = total = 0
    to_bill: list[tuple[BillableHousehold, int | None, int]] = []
    for household in registry.households(code):
        if household.id in billed_before:
            already += 1
            continue
        days, days_in_month = occupied_days(household, period)
        if days == 0:
            skipped += 1
            continue
        amount = bill_amount(
            household.area_centi_sqm, period_rules.fee_rate_fen_per_sqm_month, days, days_in_month if days else None
        )
        to_bill.append((household, days, amount))
    # Short transactions of a few households each: a payment waits at most for one of them.
    for first in range(0, len(to_bill), BILLING_CHUNK):
        chunk = to_bill[first : first + BILLING_CHUNK]
        with database.estate_session(code) as session:
            journal = JournalRepository(session, code)
            # Households first, then the period: the order payments take them in, so no deadlock.
            for household, _, _ in sorted(chunk, key=lambda item: item[0].id):
                journal.lock_household(household.id)
            billed_now = journal.billed_households(period)
            if journal.period(period, for_update=True).status == "closed":
                raise Conflict(f"period {period} was closed during the billing run")
            prepaid = journal.prepaid_credits([household.id for household, _, _ in chunk])
            for household, days, amount in chunk:
                if household.id in billed_now:
                    already += 1
                    continue
                totals = journal.period(period)
                bill_id = uuid.uuid4()
                transactions = rules.bill_household(
                    period,
                    household.id,
                    amount,
                    _terms(period_rules),
                    remuneration_accrued_in_period=totals.remuneration_accrued_fen,
                    basis_total_in_period_before=totals.remuneration_basis_fen,
                    prepaid_credit_fen=prepaid.get(household.id, 0),
                    reference={"bill_id": str(bill_id)},
                )
                ids = _post(journal, transactions, period_rules.remuneration_basis, actor)
                journal.add_bill(
                    bill_id,
                    household.id,
                    period,
                    amount,
                    household.area_centi_sqm,
                    period_rules.fee_rate_fen_per_sqm_month,
                    days,
                    start,
                    ids[0],
                )
                for transaction, transaction_id in zip(transactions, ids, strict=True):
                    if transaction.kind == Kind.PREPAID_APPLIED:
                        journal.settle(bill_id, transaction_id, -transaction.amount_on(RECEIVABLE, household.id))
                billed += 1
                total += amount
    summary = {
        "period": period,
        "billed": billed,
        "already_billed": already,
        "not_occupied": skipped,
        "billed_fen": total,
    }
    with database.estate_session(code) as session:
        journal = JournalRepository(session, code)
        response, _ = journal.once(key, {"run": "billing", "period": period}, lambda: summary)
    return response


# Payments and common income --------------------------------------------------------------------


def _period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def record_payment(
    database: Database,
    registry: Registry,
    code: str,
    key: str,
    household_id: str,
    amount_fen: int,
    method: str,
    reference: str,
    received_on: date,
    actor: str,
) -> tuple[dict[str, Any], bool]:
    """A household's payment, allocated to its oldest open bills first; the rest is prepaid credit."""
    check_key(key)
    try:
        uuid.UUID(household_id)
    except ValueError as error:
        raise InvalidInput("household_id must be a UUID") from error
    if amount_fen <= 0:
        raise InvalidInput("a payment must be a positive number of fen")
    if method not in PAYMENT_METHODS:
        raise InvalidInput(f"payment method must be one of {', '.join(PAYMENT_METHODS)}")
    body = {
        "payment": household_id,
        "amount_fen": amount_fen,
        "method": method,
        "reference": reference,
        "received_on": received_on,
    }
    with database.estate_session(code) as session:
        profile = _writable(session, code)
        journal = JournalRepository(session, code)
        if journal.replayed(key, body) is None and not TenantMirror(session).knows_household(code, household_id):
            # Not yet learned from the tenant service's events: ask it (NotFound when it has no such household).
            registry.household(code, household_id)
        today = estate_today(profile)
        if received_on > today:
            raise InvalidInput("a payment cannot be received in the future")

        def post() -> dict[str, Any]:
            journal.lock_household(household_id)
            period = _posting_period(journal, _period_of(received_on), today)
            totals = journal.period(period, for_update=True)
            period_rules = registry.rules_on(code, period_start(period))
            open_bills = [
                OpenBill(str(b.id), b.period, int(b.due), b.billed_on) for b in journal.open_bills(household_id)
            ]
            allocation = rules.allocate_payment(amount_fen, open_bills)
            transactions = rules.record_payment(
                period,
                household_id,
                amount_fen,
                allocation,
                _terms(period_rules),
                remuneration_accrued_in_period=totals.remuneration_accrued_fen,
                basis_total_in_period_before=totals.remuneration_basis_fen,
                reference={"method": method, "receipt": reference[:100]},
            )
            ids = _post(journal, transactions, period_rules.remuneration_basis, actor)
            for bill_id, fen in allocation.per_bill:
                journal.settle(uuid.UUID(bill_id), ids[0], fen)
            payment_id = journal.add_payment(household_id, amount_fen, method, reference, received_on, ids[0])
            return {
                "payment_id": str(payment_id),
                "transaction_id": str(ids[0]),
                "period": period,
                "allocated": [{"bill_id": bill_id, "amount_fen": fen} for bill_id, fen in allocation.per_bill],
                "to_prepaid_fen": allocation.to_prepaid,
            }

        return journal.once(key, body, post)


def record_common_income(
    database: Database, code: str, key: str, kind: str, amount_fen: int, description: str, received_on: date, actor: str
) -> tuple[dict[str, Any], bool]:
    """Parking, advertising, venue rent and other income of the common parts, into the trust fund."""
    check_key(key)
    if amount_fen <= 0:
        raise InvalidInput("income must be a positive number of fen")
    if kind not in rules.COMMON_INCOME_ACCOUNTS:
        raise InvalidInput(f"kind must be one of {', '.join(rules.COMMON_INCOME_ACCOUNTS)}")
    body = {"income": kind, "amount_fen": amount_fen, "description": description, "received_on": received_on}
    with database.estate_session(code) as session:
        profile = _writable(session, code)
        journal = JournalRepository(session, code)
        today = estate_today(profile)
        if received_on > today:
            raise InvalidInput("income cannot be received in the future")

        def post() -> dict[str, Any]:
            period = _posting_period(journal, _period_of(received_on), today)
            journal.period(period, for_update=True)
            transaction = rules.record_common_income(period, kind, amount_fen, memo=description[:200])
            (transaction_id,) = _post(journal, [transaction], "collected", actor)
            return {"transaction_id": str(transaction_id), "period": period}

        return journal.once(key, body, post)


# Corrections and period close -------------------------------------------------------------------


def reverse(
    database: Database, registry: Registry, code: str, key: str, transaction_id: uuid.UUID, reason: str, actor: str
) -> tuple[dict[str, Any], bool]:
    """A correction: the reversing entry of ``transaction_id`` (in the open period), never an edit."""
    check_key(key)
    if not reason.strip():
        raise InvalidInput("say why the entry is reversed")
    with database.estate_session(code) as session:
        profile = _writable(session, code)
        journal = JournalRepository(session, code)

        def post() -> dict[str, Any]:
            found = journal.transaction(transaction_id)
            if found is None:
                raise NotFound("no such transaction in this estate's books")
            original, reversed_already = found
            if reversed_already:
                raise Conflict("this transaction was already reversed")
            households = sorted({line.household_id for line in original.lines if line.household_id})
            for household_id in households:
                journal.lock_household(household_id)
            today = estate_today(profile)
            period = _posting_period(journal, _period_of(today), today)
            totals = journal.period(period, for_update=True)
            period_rules = registry.rules_on(code, period_start(period))
            bill = journal.bill_of_transaction(transaction_id) if original.kind == Kind.FEE_BILLED else None
            transactions = rules.reverse_entry(
                original,
                str(transaction_id),
                period,
                f"Reversal of an entry of {original.period}: {reason.strip()[:200]}",
                _terms(period_rules),
                remuneration_accrued_in_period=totals.remuneration_accrued_fen,
                basis_total_in_period_before=totals.remuneration_basis_fen,
                household_balances={h: _household_balance(journal, h) for h in households},
                bill_due_fen_remaining=int(bill.due) if bill is not None else None,
            )
            ids = _post(journal, transactions, period_rules.remuneration_basis, actor)
            # Settlements follow the entry: a reversed payment or prepaid application re-opens its bills.
            for bill_id, fen in journal.settlements_of(transaction_id):
                journal.settle(bill_id, ids[0], -fen)
            if bill is not None:
                journal.settle(bill.id, ids[0], int(bill.due))  # a reversed bill owes nothing
            return {"transaction_id": str(ids[0]), "period": period, "reverses": str(transaction_id)}

        return journal.once(key, {"reverse": str(transaction_id), "reason": reason}, post)


def close_period(
    database: Database, registry: Registry, code: str, period: str, key: str, actor: str
) -> tuple[dict[str, Any], bool]:
    """Close a month: its donation becomes payable to the community micro-fund, its entries freeze,
    its statement is kept, and PeriodClosed (and DonationDeclared) are announced."""
    check_key(key)
    check_period(period)
    with database.estate_session(code) as session:
        profile = _writable(session, code)
        journal = JournalRepository(session, code)

        def close() -> dict[str, Any]:
            totals = journal.period(period, for_update=True)
            if totals.status == "closed":
                raise Conflict(f"period {period} is already closed")
            if period > _period_of(estate_today(profile)):
                raise InvalidInput(f"period {period} has not started yet")
            earlier_open = [p for p in journal.open_periods() if p < period]
            if earlier_open:
                raise Conflict(f"close {earlier_open[0]} first: periods close in order")
            period_rules = registry.rules_on(code, period_start(period))
            donation = rules.close_period(period, totals.remuneration_accrued_fen, period_rules.donation_share_bps)
            ids = _post(journal, donation, period_rules.remuneration_basis, actor)
            result = _statement(journal, period)
            view = statement_json(code, profile, result, closed=True)
            journal.close_period(period, actor, view)
            publish(
                session,
                LEDGER_EVENTS,
                EVENT_SOURCE,
                code,
                events_pb2.PeriodClosed(
                    estate_code=code,
                    period=period,
                    fees_billed_fen=result.fees_billed_fen,
                    fees_collected_fen=result.fees_collected_fen,
                    collection_rate_bps=result.collection_rate_bps,
                    remuneration_fen=result.remuneration_fen,
                    donation_fen=result.donation_fen,
                    closing_balance_fen=result.closing_balance_fen,
                    surplus_year_to_date_fen=result.surplus_year_to_date_fen,
                ),
            )
            if ids:
                publish(
                    session,
                    LEDGER_EVENTS,
                    EVENT_SOURCE,
                    code,
                    events_pb2.DonationDeclared(
                        estate_code=code,
                        community_code=profile["community_code"],
                        period=period,
                        amount_fen=result.donation_fen,
                        transaction_id=str(ids[0]),
                    ),
                )
            return view

        return journal.once(key, {"close": period}, close)


# Reading --------------------------------------------------------------------------------------


def _statement(journal: JournalRepository, period: str) -> MonthlyStatement:
    year = int(period[:4])
    transactions = journal.transactions_of_year(year, period)
    return rules.statement(period, [(t, t.period) for t in transactions], journal.cash_before(f"{year:04d}-01"))


def statement_json(code: str, profile: dict[str, str], result: MonthlyStatement, *, closed: bool) -> dict[str, Any]:
    return {"estate_code": code, "estate_name": profile["estate_name"], "closed": closed, **asdict(result)}


def get_statement(database: Database, code: str, period: str) -> dict[str, Any]:
    """The month's statement: the one kept at its close, or a provisional one while it is open."""
    check_period(period)
    with database.estate_session(code) as session:
        profile = _profile(session, code)
        journal = JournalRepository(session, code)
        row = journal.period(period)
        if row.status == "closed" and row.statement:
            return dict(row.statement)
        return statement_json(code, profile, _statement(journal, period), closed=False)


def household_account(database: Database, code: str, household_id: str) -> dict[str, Any]:
    with database.estate_session(code) as session:
        _profile(session, code)
        journal = JournalRepository(session, code)
        balance = _household_balance(journal, household_id)
        bills = journal.bills_of(household_id)
        payments = journal.payments_of(household_id)
    return {
        "household_id": household_id,
        "owed_fen": balance.receivable_fen,
        "prepaid_fen": balance.prepaid_fen,
        "bills": bills,
        "payments": payments,
    }


def arrears(database: Database, code: str) -> dict[str, Any]:
    """What each household owes, and the estate's receivables by age (0-30, 31-90, 91-180, >180 days)."""
    with database.estate_session(code) as session:
        profile = _profile(session, code)
        journal = JournalRepository(session, code)
        bills = journal.all_open_bills()
    today = estate_today(profile)
    by_household: dict[str, int] = {}
    for bill in bills:
        by_household[str(bill.household_id)] = by_household.get(str(bill.household_id), 0) + int(bill.due)
    open_bills = [OpenBill(str(b.id), b.period, int(b.due), b.billed_on) for b in bills]
    return {
        "as_of": today.isoformat(),
        "total_fen": sum(by_household.values()),
        "ageing_fen": rules.ageing(open_bills, today),
        "households": [
            {"household_id": h, "owed_fen": fen} for h, fen in sorted(by_household.items(), key=lambda x: -x[1])
        ],
    }


def entries(database: Database, code: str, limit: int, offset: int) -> list[dict[str, Any]]:
    with database.estate_session(code) as session:
        _profile(session, code)
        return JournalRepository(session, code).entries(limit, offset)


def balances(database: Database, code: str) -> dict[str, int]:
    with database.estate_session(code) as session:
        _profile(session, code)
        return JournalRepository(session, code).balances()


def estate_now(database: Database, code: str) -> datetime:
    """The current time in the estate's time zone (statements are dated as its people read them)."""
    with database.estate_session(code) as session:
        return datetime.now(ZoneInfo(_profile(session, code)["time_zone"]))


# Generic postings for other services -------------------------------------------------------------

# Accounts only the ledger's own rules post to: fees, household sub-ledgers, remuneration, donation.
MANAGED_ACCOUNTS = frozenset({"1100", "2000", "2100", "2200", "4000", "5000"})
GENERIC_KIND = re.compile(r"^[a-z][a-z_]{2,39}$")


def post_transaction(
    database: Database, code: str, key: str, kind: str, memo: str, lines: list[tuple[str, int, str | None]], actor: str
) -> tuple[dict[str, Any], bool]:
    """A balanced transaction another service posts (e.g. an approved expense) into the open period."""
    check_key(key)
    if not GENERIC_KIND.match(kind) or kind in {k.value for k in Kind if k is not Kind.EXPENSE}:
        raise InvalidInput("kind must be lower-case words, and not one the ledger posts by itself")
    if any(account in MANAGED_ACCOUNTS for account, _, _ in lines):
        raise InvalidInput(f"accounts {', '.join(sorted(MANAGED_ACCOUNTS))} are posted only by the ledger's own rules")
    body = {"kind": kind, "memo": memo, "lines": lines}
    with database.estate_session(code) as session:
        profile = _writable(session, code)
        journal = JournalRepository(session, code)
        today = estate_today(profile)

        def post() -> dict[str, Any]:
            missing = sorted({account for account, _, _ in lines} - journal.open_accounts())
            if missing:
                raise InvalidInput(
                    f"account(s) {', '.join(missing)} are not open in this estate's books "
                    "(budget lines open with an adopted budget)"
                )
            period = _posting_period(journal, _period_of(today), today)
            journal.period(period, for_update=True)
            transaction = Transaction(
                kind=kind, period=period, lines=tuple(Line(a, f, h) for a, f, h in lines), memo=memo[:200]
            )
            (transaction_id,) = _post(journal, [transaction], "collected", actor)
            return {"transaction_id": str(transaction_id), "period": period}

        return journal.once(key, body, post)


def run_district_billing(
    database: Database, registry: Registry, district_code: str, period: str, key: str, actor: str
) -> dict[str, Any]:
    """Bill every estate of the district whose books are active, one estate after another (each as ``run_billing``:
    one short transaction per household). An estate that fails is reported and the run goes on;
    running again with the same key finishes what is left and bills nothing twice."""
    check_key(key)
    check_period(period)
    with database.system_session() as session:
        estates = BooksRepository(session).active_estates(district_code)
    results: dict[str, Any] = {}
    for code in estates:
        try:
            results[code] = run_billing(database, registry, code, period, f"{key}:{code}"[:128], actor)
        except (Conflict, InvalidInput, NotFound) as error:
            results[code] = {"error": error.reason}
    return {"district_code": district_code, "period": period, "estates": results}
