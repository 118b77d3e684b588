"""What people read of the books (the read side): statements, accounts, arrears, entries, balances.

Reads never write, and none grows with the year: statements come from the per-period totals the
database keeps as entries post, entries are paged by their number (keyset), arrears by household.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ledger_service.domain import trust_books as rules
from ledger_service.domain.money import share
from ledger_service.domain.postings import PREPAID, RECEIVABLE
from ledger_service.domain.trust_books import MonthlyStatement
from ledger_service.domain.views import Arrears, EntryView, EstateContext, HouseholdAccount
from ledger_service.service_layer.common import books_of, period_start, readable_period
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.errors import NotFound


def statement_json(context: EstateContext, result: MonthlyStatement, *, closed: bool) -> dict[str, Any]:
    return {"estate_code": context.estate_code, "estate_name": context.estate_name, "closed": closed, **asdict(result)}


def statement_view(
    uow: LedgerUnitOfWork, context: EstateContext, period: str, *, pending_remuneration: int | None = None
) -> MonthlyStatement:
    """The statement of ``period`` from the totals; an open month includes the remuneration still to
    accrue on its fees (``pending_remuneration``, computed here when None)."""
    year_start = f"{period[:4]}-01"
    totals = uow.journal.totals(year_start, period)
    result = rules.statement_of_totals(
        period, ((t.period, t.account, t.kind, t.amount_fen) for t in totals), uow.journal.cash_before(year_start)
    )
    if pending_remuneration is None:
        period_rules = uow.rules.in_force(period_start(period))
        pending_remuneration = 0
        if period_rules is not None:
            basis, accrued = rules.basis_of_totals(
                ((t.account, t.kind, t.amount_fen) for t in totals if t.period == period),
                period_rules.remuneration_basis,
            )
            pending_remuneration = share(basis, period_rules.remuneration_share_bps) - accrued
    if pending_remuneration:
        result = replace(
            result,
            remuneration_fen=result.remuneration_fen + pending_remuneration,
            surplus_year_to_date_fen=result.surplus_year_to_date_fen - pending_remuneration,
        )
    return result


def get_statement(uow: LedgerUnitOfWork, period: str) -> dict[str, Any]:
    """The month's statement: the one kept at its close, or a provisional one while it is open.
    404 for a month outside the books (before their first month, or not yet begun)."""
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        readable_period(context, period)
        kept = uow.journal.closed_statement(period)
        if kept is not None:
            return kept
        return statement_json(context, statement_view(uow, context, period), closed=False)


def household_account(uow: LedgerUnitOfWork, household_id: str) -> HouseholdAccount:
    """A household's bills, payments, what it owes and its prepaid credit. 404 for a household the
    books have never heard of (another estate's included)."""
    with uow:
        context = books_of(uow.journal.context(household_id), uow.estate_code)
        if not context.knows_household and not uow.journal.has_entries_of(household_id):
            raise NotFound("no such household account")
        balances = uow.journal.household_balances(household_id)
        return HouseholdAccount(
            household_id=household_id,
            owed_fen=balances.get(RECEIVABLE, 0),
            prepaid_fen=-balances.get(PREPAID, 0),
            bills=uow.journal.bills_of(household_id),
            payments=uow.journal.payments_of(household_id),
        )


def arrears(uow: LedgerUnitOfWork, limit: int, after_household: str | None) -> Arrears:
    """What the households owe, a page of them in household order, and the estate's receivables by
    age (0-30, 31-90, 91-180, >180 days) over all of them."""
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        all_bills = uow.journal.all_open_bills()
        page = uow.journal.open_bills_page(limit, after_household)
    owed: dict[str, int] = {}
    for household_id, bill in page:
        owed[household_id] = owed.get(household_id, 0) + bill.due_fen_remaining
    households = list(owed.items())
    return Arrears(
        as_of=context.today,
        total_fen=sum(bill.due_fen_remaining for bill in all_bills),
        ageing_fen=rules.ageing(all_bills, context.today),
        households=households,
        next_after=households[-1][0] if len(households) == limit else None,
    )


def entries(uow: LedgerUnitOfWork, limit: int, before: int | None) -> list[EntryView]:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return uow.journal.entries(limit, before)


def balances(uow: LedgerUnitOfWork) -> dict[str, int]:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return uow.journal.balances()


def estate_now(uow: LedgerUnitOfWork) -> datetime:
    """The current time in the estate's time zone (statements are dated as its people read them)."""
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
    return datetime.now(ZoneInfo(context.time_zone))
