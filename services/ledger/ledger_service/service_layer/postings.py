"""Use cases that move money: payments, common income, reversals, other services' postings (one or
a batch), and the close of a month.

Each runs in one unit of work and takes an idempotency key, claimed first and answered last in the
same transaction: a retry gets the first answer, the same key with another body is refused. A
posting holds its period with a key-share lock (postings never wait for each other; a close waits
for them) and its households with advisory locks (a bill is never settled twice). The firm's
remuneration is not accrued here but per batch by :mod:`remuneration`, so payments of one estate
do not serialise on running totals.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from ledger_service.adapters.idempotency import request_fingerprint
from ledger_service.domain import trust_books as rules
from ledger_service.domain.postings import (
    PREPAID,
    RECEIVABLE,
    check_period,
)
from ledger_service.domain.trust_books import HouseholdBalance, Kind, MonthlyStatement, Remuneration
from ledger_service.domain.views import PaymentRecorded, Posted, month_of
from ledger_service.service_layer import transparency
from ledger_service.service_layer.common import (
    Registry,
    UnitOfWorkFactory,
    books_of,
    check_amount,
    check_key,
    months,
    period_start,
    posting_period,
    replay_posted,
    rules_in_force,
    writable,
)
from ledger_service.service_layer.movements import post_and_announce, post_service_postings_and_announce
from ledger_service.service_layer.remuneration import accrue
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from ledger_service.service_layer.views import statement_json, statement_view
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError
from xinyi_shared.ids import new_ids

PAYMENT_METHODS = ("cash", "bank_transfer", "wechat_pay", "alipay")
MAX_BATCH = 5000
NO_TERMS = Remuneration()  # the posting rules need terms only to accrue, which happens per batch


def _household_balance(uow: LedgerUnitOfWork, household_id: str) -> HouseholdBalance:
    balances = uow.journal.household_balances(household_id)
    return HouseholdBalance(receivable_fen=balances.get(RECEIVABLE, 0), prepaid_fen=-balances.get(PREPAID, 0))


def record_payment(
    uow: LedgerUnitOfWork,
    registry: Registry,
    key: str,
    household_id: str,
    amount_fen: int,
    method: str,
    reference: str,
    received_on: date,
    actor: str,
) -> tuple[PaymentRecorded, bool]:
    """A household's payment, allocated to its oldest open bills first; the rest is prepaid credit."""
    check_key(key)
    try:
        household_id = str(uuid.UUID(household_id))
    except ValueError as error:
        raise InvalidInput("household_id must be a UUID") from error
    check_amount("a payment", amount_fen)
    if method not in PAYMENT_METHODS:
        raise InvalidInput(f"payment method must be one of {', '.join(PAYMENT_METHODS)}")
    body = {
        "payment": household_id,
        "amount_fen": amount_fen,
        "method": method,
        "reference": reference,
        "received_on": received_on,
    }
    with uow:
        stored, books = uow.open_write(key, body, household_id)
        if stored is not None:
            return _payment_of(stored), True
        context = writable(books, uow.estate_code)
        if not context.knows_household:
            # Not learned from the tenant service's events (books older than the mirror): ask once,
            # and remember it (NotFound when the estate has no such household).
            household = registry.household(uow.estate_code, household_id)
            uow.mirror.learn_households(uow.estate_code, [(household.id, household.area_centi_sqm)])
        if received_on > context.today:
            raise InvalidInput("a payment cannot be received in the future")
        period = posting_period(uow, context, month_of(received_on), [household_id])
        allocation = rules.allocate_payment(amount_fen, uow.journal.open_bills(household_id))
        transactions = rules.record_payment(
            period,
            household_id,
            amount_fen,
            allocation,
            NO_TERMS,
            reference={"method": method, "receipt": reference[:100]},
        )
        posted = post_and_announce(uow, transactions, actor)
        payment_id = uow.journal.add_payment(
            household_id, amount_fen, method, reference, received_on, posted[0].transaction_id, allocation.per_bill
        )
        result = PaymentRecorded(
            payment_id=payment_id,
            transaction_id=posted[0].transaction_id,
            number=posted[0].number,
            period=period,
            allocated=allocation.per_bill,
            to_prepaid_fen=allocation.to_prepaid,
        )
        uow.keys.answer(key, asdict(result))
        uow.basis_moved(period)
        uow.commit()
    return result, False


def _payment_of(stored: dict[str, Any]) -> PaymentRecorded:
    return PaymentRecorded(**{**stored, "allocated": [tuple(item) for item in stored["allocated"]]})


def record_common_income(
    uow: LedgerUnitOfWork, key: str, kind: str, amount_fen: int, description: str, received_on: date, actor: str
) -> tuple[Posted, bool]:
    """Parking, advertising, venue rent and other income of the common parts, into the trust fund."""
    check_key(key)
    check_amount("income", amount_fen)
    if kind not in rules.COMMON_INCOME_ACCOUNTS:
        raise InvalidInput(f"kind must be one of {', '.join(rules.COMMON_INCOME_ACCOUNTS)}")
    body = {"income": kind, "amount_fen": amount_fen, "description": description, "received_on": received_on}
    with uow:
        stored, books = uow.open_write(key, body)
        if stored is not None:
            return Posted(**stored), True
        context = writable(books, uow.estate_code)
        if received_on > context.today:
            raise InvalidInput("income cannot be received in the future")
        period = posting_period(uow, context, month_of(received_on))
        transaction = rules.record_common_income(period, kind, amount_fen, memo=description[:200])
        (posted,) = post_and_announce(uow, [transaction], actor)
        result = Posted(posted.transaction_id, posted.number, period)
        uow.keys.answer(key, result.stored())
        uow.commit()
    return result, False


def reverse(uow: LedgerUnitOfWork, key: str, transaction_id: uuid.UUID, reason: str, actor: str) -> tuple[Posted, bool]:
    """A correction: the reversing entry of ``transaction_id`` (in the open period), never an edit."""
    check_key(key)
    if not reason.strip():
        raise InvalidInput("say why the entry is reversed")
    with uow:
        stored, books = uow.open_write(key, {"reverse": str(transaction_id), "reason": reason})
        if stored is not None:
            return Posted(**stored), True
        context = writable(books, uow.estate_code)
        found = uow.journal.transaction(transaction_id)
        if found is None:
            raise NotFound("no such transaction in this estate's books")
        original, reversed_already = found
        if reversed_already:
            raise Conflict("this transaction was already reversed")
        households = sorted({line.household_id for line in original.lines if line.household_id})
        period = posting_period(uow, context, context.current_period, households)
        bill = uow.journal.bill_of_transaction(transaction_id) if original.kind == Kind.FEE_BILLED else None
        transactions = rules.reverse_entry(
            original,
            str(transaction_id),
            period,
            f"Reversal of an entry of {original.period}: {reason.strip()[:200]}",
            NO_TERMS,
            household_balances={h: _household_balance(uow, h) for h in households},
            bill_due_fen_remaining=bill[1] if bill is not None else None,
        )
        (posted,) = post_and_announce(uow, transactions, actor)
        # Settlements follow the entry: a reversed payment or prepaid application re-opens its bills.
        settlements = [
            (bill_id, posted.transaction_id, -fen) for bill_id, fen in uow.journal.settlements_of(transaction_id)
        ]
        if bill is not None:
            settlements.append((bill[0], posted.transaction_id, bill[1]))  # a reversed bill owes nothing
        uow.journal.settle(settlements)
        result = Posted(posted.transaction_id, posted.number, period, reverses=str(transaction_id))
        uow.keys.answer(key, result.stored())
        uow.basis_moved(period)
        uow.commit()
    return result, False


# Postings of other services ---------------------------------------------------------------------


def post_transaction(
    uow: LedgerUnitOfWork, key: str, kind: str, memo: str, lines: list[tuple[str, int, str | None]], actor: str
) -> tuple[Posted, bool]:
    """A balanced transaction another service posts (e.g. an approved expense) into the open period."""
    (result,) = post_transactions(uow, [(key, kind, memo, lines)], actor)
    if isinstance(result, XinyiError):
        raise result
    return result


def post_transactions(
    uow: LedgerUnitOfWork, items: list[tuple[str, str, str, list[tuple[str, int, str | None]]]], actor: str
) -> list[tuple[Posted, bool] | XinyiError]:
    """Many transactions in one unit of work, each with its own idempotency key, each all or nothing
    on its own: one refused (malformed, unbalanced, an account not open, a key reused for another
    request) is returned as its error and the others post. Set-based: the keys are claimed with their
    answers, and the transactions posted, in one statement each, whatever the batch's size.
    Every check the database makes is made here first, so a refusal never reaches it."""
    if not items:
        raise InvalidInput("post at least one transaction")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"post at most {MAX_BATCH} transactions a call")
    keys = [item[0] for item in items]
    if len(set(keys)) != len(keys):
        raise InvalidInput("each transaction of a batch needs its own idempotency key")
    results: list[tuple[Posted, bool] | XinyiError | None] = [None] * len(items)
    fingerprints: dict[str, str] = {}
    for index, (key, kind, memo, lines) in enumerate(items):
        try:
            check_key(key)
        except XinyiError as error:
            results[index] = error
            continue
        fingerprints[key] = request_fingerprint({"kind": kind, "memo": memo, "lines": lines})
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        # A retry is answered whatever the books' state now (as every other money write): the books
        # and the period are checked for the items that would post, after their keys.
        refusal: XinyiError | None = None
        opened: set[str] = set()
        period = context.current_period
        try:
            writable(context, uow.estate_code)
            opened = uow.journal.open_accounts()
            period = posting_period(uow, context, context.current_period)
        except XinyiError as error:
            refusal = error
        # Checked before the keys are claimed, so each key that will post is claimed with its answer.
        checked = [index for index, result in enumerate(results) if result is None]
        reasons: dict[int, str | None] = {}
        if refusal is None:
            reasons = {index: rules.service_posting_refusal(*items[index][1:], opened) for index in checked}
        postable = [index for index in checked if refusal is None and reasons[index] is None]
        ids = dict(zip((items[index][0] for index in postable), new_ids(len(postable)), strict=True))
        claimed = uow.keys.claim_many(fingerprints, ids, period)
        earlier = uow.keys.stored_many([key for key in fingerprints if key not in claimed])
        to_post: list[int] = []
        released: list[str] = []  # keys claimed now for items refused
        for index in checked:
            key = items[index][0]
            reason = reasons.get(index)
            if key not in claimed:
                results[index] = replay_posted(earlier.get(key), fingerprints[key])
            elif refusal is not None or reason is not None:
                results[index] = (
                    type(refusal)(refusal.reason, refusal.details) if refusal else InvalidInput(reason or "")
                )
                released.append(key)
            else:
                to_post.append(index)
        uow.keys.release_many(released)
        batch = rules.ServicePostings(
            period, [items[i][1] for i in to_post], [items[i][2] for i in to_post], [items[i][3] for i in to_post]
        )
        posted = post_service_postings_and_announce(uow, batch, [ids[items[i][0]] for i in to_post], actor)
        for index, ref in zip(to_post, posted, strict=True):
            results[index] = (Posted(ref.transaction_id, ref.number, period), False)
        final = [result for result in results if result is not None]
        if refusal is not None and not any(isinstance(result, tuple) for result in final):
            raise refusal  # nothing to replay: the whole call is refused
        uow.commit()
    return final


# Closing a month -------------------------------------------------------------------------------


def close_period(
    uow: LedgerUnitOfWork, registry: Registry, period: str, key: str, actor: str
) -> tuple[dict[str, Any], bool]:
    """Close a month: its remuneration is accrued in full, its donation becomes payable to the
    community micro-fund, its entries freeze, its statement is kept, and PeriodClosed (and
    DonationDeclared) are announced. Months close in order."""
    check_key(key)
    check_period(period)
    with uow:
        stored = uow.keys.claim(key, {"close": period})
        if stored is not None:
            return stored, True
        context = writable(uow.journal.context(), uow.estate_code)
        if period > context.current_period:
            raise InvalidInput(f"period {period} has not started yet")
        if period < context.first_period:
            raise NotFound(f"no period {period} in these books: they begin in {context.first_period}")
        status = uow.journal.lock_period_for_close(period)  # waits for the postings holding it
        if status == "closed":
            raise Conflict(f"period {period} is already closed")
        statuses = uow.journal.periods_with_status()
        earlier_open = [month for month in months(context.first_period, period)[:-1] if statuses.get(month) != "closed"]
        if earlier_open:
            raise Conflict(f"close {earlier_open[0]} first: periods close in order")
        period_rules = rules_in_force(uow, registry, period_start(period))
        accrue(uow, registry, period, locked=True, actor=actor)
        _, accrued = _basis_and_accrued(uow, period, period_rules.remuneration_basis)
        donation = rules.close_period(period, accrued, period_rules.donation_share_bps)
        posted = post_and_announce(uow, donation, actor)
        result: MonthlyStatement = statement_view(uow, context, period, pending_remuneration=0)
        view = statement_json(context, result, closed=True)
        uow.journal.close_period(period, actor, view)
        uow.publish(
            events_pb2.PeriodClosed(
                estate_code=uow.estate_code,
                period=period,
                fees_billed_fen=result.fees_billed_fen,
                fees_collected_fen=result.fees_collected_fen,
                collection_rate_bps=result.collection_rate_bps,
                remuneration_fen=result.remuneration_fen,
                donation_fen=result.donation_fen,
                closing_balance_fen=result.closing_balance_fen,
                surplus_year_to_date_fen=result.surplus_year_to_date_fen,
            )
        )
        if posted:
            uow.publish(
                events_pb2.DonationDeclared(
                    estate_code=uow.estate_code,
                    community_code=context.community_code,
                    period=period,
                    amount_fen=result.donation_fen,
                    transaction_id=posted[0].transaction_id,
                )
            )
        # The closed month's entries are logged and the log signed, or nothing closes.
        transparency.publish_checkpoint(uow, period, uow.log_authority)
        uow.keys.answer(key, view)
        uow.commit()
    return view, False


def _basis_and_accrued(uow: LedgerUnitOfWork, period: str, basis: str) -> tuple[int, int]:
    totals = uow.journal.totals(period, period)
    return rules.basis_of_totals(((t.account, t.kind, t.amount_fen) for t in totals), basis)


__all__ = [
    "PAYMENT_METHODS",
    "UnitOfWorkFactory",
    "close_period",
    "post_transaction",
    "post_transactions",
    "record_common_income",
    "record_payment",
    "reverse",
]
