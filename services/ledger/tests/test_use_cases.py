"""The ledger's use cases against fakes (no I/O): cosmicpython's ``test_handlers.py`` pattern.

The estate's books begin in March 2026; "today" is 20 May 2026 there. Its rules: 0.35 CNY per m² a
month (35 fen), remuneration 15% of fees collected, donation 30% of the remuneration. Figures are
in fen and computed by hand in the comments.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from typing import Any

import pytest

from ledger_service.domain.trust_books import Kind
from ledger_service.domain.views import PaymentRecorded, Posted
from ledger_service.service_layer import views
from ledger_service.service_layer.postings import (
    MAX_BATCH,
    close_period,
    post_transaction,
    post_transactions,
    record_common_income,
    record_payment,
    reverse,
)
from ledger_service.service_layer.remuneration import accrue
from services.ledger.tests.fakes import FakeBooks, FakeLedgerUnitOfWork, FakeRegistry, estate_rules
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError

ESTATE = "jinhe-lvzhou"
OTHER = "binhe-huayuan"
TODAY = date(2026, 5, 20)
ACTOR = "firm-staff"
RULES = estate_rules("2026-03-01", rate="35", remuneration_share_bps=1500, donation_share_bps=3000)

H1 = "11111111-1111-4111-8111-111111111111"  # 90.00 m²: 9000 × 35 / 100 = 3150 fen a month
H2 = "22222222-2222-4222-8222-222222222222"  # 120.55 m²: 12055 × 35 / 100 = 4219.25 → 4219 fen
H3 = "33333333-3333-4333-8333-333333333333"  # only the tenant service knows it (80.00 m²)
H4 = "44444444-4444-4444-8444-444444444444"  # nobody knows it


@pytest.fixture
def registry() -> FakeRegistry:
    registry = FakeRegistry()
    for estate in (ESTATE, OTHER):
        registry.add_rules(estate, RULES)
        for household, area in ((H1, 9000), (H2, 12055), (H3, 8000)):
            registry.add_household(estate, household, area)
    return registry


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={H1: 9000, H2: 12055})
    yield books
    books.check_consistency()  # after every test: balanced, totals = postings, receivable = bills due


def pay(
    books: FakeBooks,
    registry: FakeRegistry,
    key: str,
    household: str,
    amount: Any,
    received_on: date = TODAY,
    *,
    method: str = "cash",
    reference: str = "receipt-1",
    estate: str = ESTATE,
) -> tuple[PaymentRecorded, bool]:
    return record_payment(books.uow(estate), registry, key, household, amount, method, reference, received_on, ACTOR)


def close(books: FakeBooks, registry: FakeRegistry, period: str, key: str) -> tuple[dict[str, Any], bool]:
    return close_period(books.uow(ESTATE), registry, period, key, "firm-manager")


def accrue_now(books: FakeBooks, registry: FakeRegistry, period: str, estate: str = ESTATE) -> int:
    with books.uow(estate) as uow:
        posted = accrue(uow, registry, period, locked=False)
        uow.commit()
    return posted


def expense(key: str, fen: int, line: str = "5100", kind: str = "expense") -> tuple[str, str, str, list[Any]]:
    return (key, kind, f"{kind} {fen}", [(line, fen, None), ("1000", -fen, None)])


# Payments ---------------------------------------------------------------------------------------


def test_a_payment_settles_the_oldest_bills_first_and_the_rest_becomes_prepaid_credit(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    march, april, may = (books.bill(ESTATE, H1, period) for period in ("2026-03", "2026-04", "2026-05"))

    uow = books.uow(ESTATE)
    first, replayed = record_payment(uow, registry, "pay-h1-0001", H1, 5000, "wechat_pay", "wx-1", TODAY, ACTOR)
    # 5000 = March 3150 in full + 1850 of April (April still owes 3150 - 1850 = 1300).
    assert not replayed
    assert first.allocated == [(march, 3150), (april, 1850)]
    assert first.to_prepaid_fen == 0
    assert first.period == "2026-05"
    assert first.number == 4  # entries 1-3 are the three bills
    assert uow.fake_journal.held == [("2026-05", (H1,))]  # the household's money moved under its lock

    second, _ = pay(books, registry, "pay-h1-0002", H1, 5000)
    # 5000 = April's last 1300 + May 3150, and 5000 - 4450 = 550 prepaid.
    assert second.allocated == [(april, 1300), (may, 3150)]
    assert second.to_prepaid_fen == 550

    (entry,) = (row for row in books.entries_of(ESTATE) if row.id == second.transaction_id)
    assert [(line.account, line.amount_fen, line.household_id) for line in entry.transaction.lines] == [
        ("1000", 5000, None),
        ("1100", -4450, H1),
        ("2000", -550, H1),
    ]
    account = views.household_account(books.uow(ESTATE), H1)
    assert (account.owed_fen, account.prepaid_fen) == (0, 550)
    assert [(bill.period, bill.amount_fen, bill.due_fen) for bill in account.bills] == [
        ("2026-03", 3150, 0),
        ("2026-04", 3150, 0),
        ("2026-05", 3150, 0),
    ]
    # Both received today: in the order of their ids, as the real query sorts them.
    assert sorted((p.amount_fen, p.method) for p in account.payments) == [(5000, "cash"), (5000, "wechat_pay")]
    # Cash 10000 = fee income 9450 + prepaid 550; nothing left receivable.
    assert views.balances(books.uow(ESTATE)) == {"1000": 10000, "1100": 0, "2000": -550, "4000": -9450}
    # The payments moved May's remuneration basis: the accruer heard of it once each, after commit.
    assert books.accruals.touched[-2:] == [(ESTATE, "2026-05"), (ESTATE, "2026-05")]


def test_a_retried_payment_returns_the_first_answer_and_posts_nothing_more(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    may = books.bill(ESTATE, H1, "2026-05")
    first, replayed = pay(books, registry, "pay-retry-0001", H1, 4000)
    assert not replayed
    assert (first.allocated, first.to_prepaid_fen) == ([(may, 3150)], 850)
    before, touched = books.tables.copy(), list(books.accruals.touched)

    again, replayed = pay(books, registry, "pay-retry-0001", H1, 4000)

    assert replayed
    assert again == first  # the same payment, transaction and number, allocation as tuples again
    assert books.tables == before
    assert books.accruals.touched == touched


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 4001},
        {"household": H2},
        {"method": "alipay"},
        {"reference": "receipt-2"},
        {"received_on": date(2026, 5, 19)},
    ],
)
def test_the_same_key_with_another_body_is_a_conflict_and_changes_nothing(
    books: FakeBooks, registry: FakeRegistry, change: dict[str, Any]
) -> None:
    books.bill(ESTATE, H1, "2026-05")
    pay(books, registry, "pay-other-0001", H1, 4000)
    before = books.tables.copy()
    request: dict[str, Any] = {"household": H1, "amount": 4000, **change}

    with pytest.raises(Conflict):
        pay(books, registry, "pay-other-0001", **request)

    assert books.tables == before


def test_a_payment_into_a_closed_month_lands_in_the_current_month(books: FakeBooks, registry: FakeRegistry) -> None:
    march = books.bill(ESTATE, H1, "2026-03")
    close(books, registry, "2026-03", "close-2026-03")

    late, _ = pay(books, registry, "pay-late-0001", H1, 3150, date(2026, 3, 31))
    # March is frozen: the payment of 31 March is posted in May (the open current month), and still
    # settles March's bill.
    assert late.period == "2026-05"
    assert late.allocated == [(march, 3150)]
    assert books.balance(ESTATE, "1000", "2026-03") == 0
    assert books.balance(ESTATE, "1000", "2026-05") == 3150
    # A payment dated in April, open (never posted in), stays in April.
    april, _ = pay(books, registry, "pay-april-0001", H1, 100, date(2026, 4, 30))
    assert april.period == "2026-04"
    assert books.period_statuses(ESTATE) == {"2026-03": "closed", "2026-04": "open", "2026-05": "open"}


@pytest.mark.parametrize(
    "received_on",
    [
        date(2026, 5, 21),  # tomorrow
        date(2026, 6, 1),  # a month not yet begun
        date(2026, 2, 28),  # before the books' first month (2026-03)
    ],
)
def test_a_payment_in_the_future_or_before_the_books_posts_nothing_and_frees_its_key(
    books: FakeBooks, registry: FakeRegistry, received_on: date
) -> None:
    before = books.tables.copy()

    with pytest.raises(InvalidInput):
        pay(books, registry, "pay-date-0001", H1, 3150, received_on)

    assert books.tables == before  # no entry, no period row, no claimed key
    # The claim was rolled back with the rest: the same key with a corrected date is a new request.
    result, replayed = pay(books, registry, "pay-date-0001", H1, 3150, TODAY)
    assert not replayed
    assert result.number == 1


@pytest.mark.parametrize("amount", [True, "100", 1.0, 0, -1, 10**10 + 1])
def test_amounts_that_are_not_whole_fen_from_1_to_10_to_the_10_are_refused(
    books: FakeBooks, registry: FakeRegistry, amount: Any
) -> None:
    before = books.tables.copy()
    with pytest.raises(InvalidInput):
        pay(books, registry, "pay-amount-0001", H1, amount)
    with pytest.raises(InvalidInput):
        record_common_income(books.uow(ESTATE), "income-amount-01", "parking", amount, "", TODAY, ACTOR)
    assert books.tables == before
    books.open_accounts(ESTATE, "5100")
    lines: list[tuple[str, int, str | None]] = [("5100", amount, None), ("1000", -1, None)]
    with pytest.raises(InvalidInput):
        post_transaction(books.uow(ESTATE), "expense-amount-01", "expense", "", lines, ACTOR)
    assert books.entries_of(ESTATE) == []
    assert books.tables.idempotency_keys == {}


def test_the_largest_amount_is_accepted(books: FakeBooks, registry: FakeRegistry) -> None:
    # 10^10 fen = 100 million yuan, no open bill: all of it is prepaid credit.
    result, _ = pay(books, registry, "pay-largest-0001", H1, 10**10)
    assert (result.allocated, result.to_prepaid_fen) == ([], 10**10)


@pytest.mark.parametrize(
    ("key", "household", "method"),
    [
        ("short", H1, "cash"),  # a key is 8-128 characters
        ("pay bad key 001", H1, "cash"),  # no spaces
        ("pay-bad-0001", "h1", "cash"),  # a household is a UUID
        ("pay-bad-0001", H1, "bitcoin"),
    ],
)
def test_malformed_payments_are_refused(
    books: FakeBooks, registry: FakeRegistry, key: str, household: str, method: str
) -> None:
    before = books.tables.copy()
    with pytest.raises(InvalidInput):
        pay(books, registry, key, household, 100, method=method)
    assert books.tables == before


def test_read_only_books_refuse_every_write_and_still_answer_reads(books: FakeBooks, registry: FakeRegistry) -> None:
    payment, _ = pay(books, registry, "pay-before-0001", H1, 3150)
    books.set_status(ESTATE, "suspended")
    before = books.tables.copy()

    with pytest.raises(Conflict, match="suspended"):
        pay(books, registry, "pay-after-00001", H1, 3150)
    with pytest.raises(Conflict):
        record_common_income(books.uow(ESTATE), "income-after-001", "parking", 100, "", TODAY, ACTOR)
    with pytest.raises(Conflict):
        reverse(books.uow(ESTATE), "rev-after-00001", uuid.UUID(payment.transaction_id), "wrong", ACTOR)
    with pytest.raises(Conflict):
        post_transactions(books.uow(ESTATE), [expense("post-after-0001", 100)], ACTOR)
    with pytest.raises(Conflict):
        close(books, registry, "2026-03", "close-after-001")

    assert books.tables == before  # and every key is still free
    assert views.get_statement(books.uow(ESTATE), "2026-05")["fees_collected_fen"] == 0  # prepaid only
    assert views.balances(books.uow(ESTATE))["1000"] == 3150
    # A retry of what was recorded before the suspension still gets its answer.
    assert pay(books, registry, "pay-before-0001", H1, 3150) == (payment, True)


def test_books_that_do_not_exist_are_not_found(books: FakeBooks, registry: FakeRegistry) -> None:
    with pytest.raises(NotFound):
        pay(books, registry, "pay-nobooks-001", H1, 100, estate=OTHER)
    with pytest.raises(NotFound):
        views.get_statement(books.uow(OTHER), "2026-05")


def test_a_household_nobody_knows_is_not_found(books: FakeBooks, registry: FakeRegistry) -> None:
    before = books.tables.copy()
    with pytest.raises(NotFound):
        pay(books, registry, "pay-unknown-001", H4, 100)
    assert books.tables == before
    assert registry.calls == [("household", ESTATE, H4)]


def test_a_household_only_the_registry_knows_is_learned_into_the_mirror(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    assert (ESTATE, H3) not in books.tables.known_households
    # A failed payment learns nothing: the mirror's row rolls back with it.
    with pytest.raises(InvalidInput):
        pay(books, registry, "pay-h3-00000001", H3, 2800, date(2026, 6, 1))
    assert (ESTATE, H3) not in books.tables.known_households

    pay(books, registry, "pay-h3-00000002", H3, 2800)
    assert books.tables.known_households[(ESTATE, H3)] == 8000
    asked = len(registry.calls)
    pay(books, registry, "pay-h3-00000003", H3, 2800)
    assert len(registry.calls) == asked  # known now: the tenant service is not asked again
    assert registry.calls.count(("household", ESTATE, H3)) == 2  # the failed attempt and the first payment


# Remuneration -----------------------------------------------------------------------------------


def test_accrue_posts_the_share_of_the_basis_less_what_is_accrued_and_then_nothing(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    books.bill(ESTATE, H1, "2026-05")
    books.bill(ESTATE, H2, "2026-05")

    pay(books, registry, "pay-acc-000001", H1, 3150)
    assert accrue_now(books, registry, "2026-05") == 473  # 15% of 3150 = 472.5 → 473
    pay(books, registry, "pay-acc-000002", H2, 4219)
    # Basis 3150 + 4219 = 7369; 15% = 1105.35 → 1105; 1105 - 473 accrued = 632. (Rounding each
    # payment on its own would give 473 + 633 (632.85) = 1106.)
    assert accrue_now(books, registry, "2026-05") == 632
    entries = len(books.entries_of(ESTATE))

    assert accrue_now(books, registry, "2026-05") == 0
    assert len(books.entries_of(ESTATE)) == entries
    assert books.balance(ESTATE, "5000", "2026-05") == 1105
    assert books.balance(ESTATE, "2100", "2026-05") == -1105
    accruals = [row for row in books.entries_of(ESTATE) if row.transaction.kind == Kind.REMUNERATION_ACCRUED]
    assert [row.transaction.amount_on("5000") for row in accruals] == [473, 632]
    assert [row.posted_by for row in accruals] == ["ledger:remuneration"] * 2
    # A month nothing was posted in has no row: nothing to accrue, and no row is made.
    assert accrue_now(books, registry, "2026-04") == 0
    assert "2026-04" not in books.period_statuses(ESTATE)


def test_accrue_leaves_a_closed_month_alone(books: FakeBooks, registry: FakeRegistry) -> None:
    close(books, registry, "2026-03", "close-2026-03")
    before = books.tables.copy()
    assert accrue_now(books, registry, "2026-03") == 0
    assert books.tables == before


def test_many_payments_and_one_accrual_give_the_share_of_the_months_collected_fees(
    registry: FakeRegistry,
) -> None:
    households = [str(uuid.UUID(int=0x5000 + i)) for i in range(10)]
    books = FakeBooks(TODAY)
    for estate in (ESTATE, OTHER):
        books.open_estate(estate, first_period="2026-03", rules=RULES, households=dict.fromkeys(households, 9000))
        for household in households:
            registry.add_household(estate, household, 9000)
            books.bill(estate, household, "2026-05")  # 3150 each
    per_payment: list[int] = []
    for i, household in enumerate(households):
        amount = 4000 if i == 9 else 3150  # the last one overpays: 850 prepaid, not fees collected
        pay(books, registry, f"pay-many-{i:04d}", household, amount, estate=ESTATE)
        pay(books, registry, f"pay-many-{i:04d}", household, amount, estate=OTHER)
        per_payment.append(accrue_now(books, registry, "2026-05", estate=OTHER))
    one_accrual = accrue_now(books, registry, "2026-05", estate=ESTATE)

    # Collected 10 × 3150 = 31500; 15% = 4725 exactly, rounded once. Rounding each payment's share
    # (472.5 → 473) would give 4730.
    assert one_accrual == 4725
    assert books.balance(ESTATE, "5000") == 4725
    # Accrued after every payment, the cumulative shares 473, 945, 1418, 1890, … telescope to it.
    assert per_payment == [473, 472] * 5
    assert books.balance(OTHER, "5000") == 4725
    # Each estate numbers its own entries: 10 bills, then its payments and accruals.
    assert [row.number for row in books.entries_of(OTHER)][:11] == list(range(1, 12))
    assert books.entries_of(ESTATE)[-1].number == 21  # 10 bills + 10 payments + 1 accrual
    books.check_consistency()


def test_books_without_their_rules_in_the_mirror_ask_the_registry_once_and_learn_them(
    registry: FakeRegistry,
) -> None:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", households={H1: 9000})  # rules not kept
    registry.rules[ESTATE] = [RULES]
    books.bill(ESTATE, H1, "2026-05", 3150)
    pay(books, registry, "pay-rules-00001", H1, 1000)

    assert accrue_now(books, registry, "2026-05") == 150  # 15% of 1000
    assert registry.calls == [("rules_message", ESTATE, "2026-05-01")]
    assert accrue_now(books, registry, "2026-05") == 0
    assert len(registry.calls) == 1  # learned: read from the mirror now


# Closing a month ------------------------------------------------------------------------------


def test_close_accrues_the_rest_declares_the_donation_freezes_the_month_and_announces_it(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    books.bill(ESTATE, H1, "2026-03")  # 3150
    books.bill(ESTATE, H2, "2026-03")  # 4219
    pay(books, registry, "pay-march-00001", H1, 3150, date(2026, 3, 10))
    pay(books, registry, "pay-march-00002", H2, 5000, date(2026, 3, 12))  # 4219 to the bill, 781 prepaid
    record_common_income(books.uow(ESTATE), "income-march-01", "parking", 20000, "Car park", date(2026, 3, 15), ACTOR)

    view, replayed = close(books, registry, "2026-03", "close-2026-03")

    # Collected 3150 + 4219 = 7369; remuneration 15% = 1105.35 → 1105 (none accrued before: the
    # close accrues it all); donation 30% of 1105 = 331.5 → 332; cash 3150 + 5000 + 20000 = 28150;
    # surplus = fee income 7369 + parking 20000 - remuneration 1105 = 26264.
    assert not replayed
    assert view == {
        "estate_code": ESTATE,
        "estate_name": "金河绿洲",
        "closed": True,
        "period": "2026-03",
        "opening_balance_fen": 0,
        "fees_billed_fen": 7369,
        "fees_collected_fen": 7369,
        "collection_rate_bps": 10000,
        "common_income_by_kind": {"parking": 20000, "advertising": 0, "venue_rent": 0, "other": 0},
        "expenses_by_budget_line": {},
        "remuneration_fen": 1105,
        "donation_fen": 332,
        "closing_balance_fen": 28150,
        "surplus_year_to_date_fen": 26264,
    }
    assert books.period_statuses(ESTATE)["2026-03"] == "closed"
    assert books.balance(ESTATE, "5000", "2026-03") == 1105
    assert books.balance(ESTATE, "2200", "2026-03") == -332
    assert books.balance(ESTATE, "2100", "2026-03") == -1105 + 332  # the firm is owed 773
    (donation,) = (row for row in books.entries_of(ESTATE) if row.transaction.kind == Kind.DONATION_DECLARED)
    assert donation.transaction.period == "2026-03"
    # The month's entries are logged, in their order, and the log signs a checkpoint of them.
    logged = [leaf.transaction_id for leaf in books.tables.log_leaves.values()]
    assert logged == [row.id for row in books.entries_of(ESTATE)]  # all of them March's
    (checkpoint,) = books.tables.checkpoints.values()
    (key,) = books.tables.log_keys.values()
    assert (checkpoint.tree_size, checkpoint.period, key.origin) == (
        len(logged),
        "2026-03",
        f"ledger.xinyi.test/estates/{ESTATE}",
    )
    moved = [event for event in books.published(ESTATE) if isinstance(event, events_pb2.BooksMoved)]
    # Each write announced what it moved; summed, the month's movements are its statement's figures.
    assert sum(event.transactions for event in moved) == len(books.entries_of(ESTATE))
    assert {event.period for event in moved} == {"2026-03"}
    assert sum(event.fees_billed_fen for event in moved) == view["fees_billed_fen"]
    assert sum(event.fees_collected_fen for event in moved) == view["fees_collected_fen"]
    assert sum(event.income_fen - event.expenses_fen for event in moved) == view["surplus_year_to_date_fen"]
    assert sum(event.expenses_fen for event in moved) == view["remuneration_fen"]  # no budget line spent
    assert all(not event.budget_lines for event in moved)
    assert [event for event in books.published(ESTATE) if not isinstance(event, events_pb2.BooksMoved)] == [
        events_pb2.PeriodClosed(
            estate_code=ESTATE,
            period="2026-03",
            fees_billed_fen=7369,
            fees_collected_fen=7369,
            collection_rate_bps=10000,
            remuneration_fen=1105,
            donation_fen=332,
            closing_balance_fen=28150,
            surplus_year_to_date_fen=26264,
        ),
        events_pb2.DonationDeclared(
            estate_code=ESTATE,
            community_code="jinhe",
            period="2026-03",
            amount_fen=332,
            transaction_id=donation.id,
        ),
        events_pb2.CheckpointPublished(
            estate_code=ESTATE,
            period="2026-03",
            origin=key.origin,
            tree_size=len(logged),
            root_hash=checkpoint.root_hash,
        ),
    ]
    assert registry.calls == []  # the rules came from the ledger's mirror
    # The statement kept at the close is what March reads from now on.
    assert views.get_statement(books.uow(ESTATE), "2026-03") == view

    # A retry is answered with the first result and announces nothing again.
    before = books.tables.copy()
    assert close(books, registry, "2026-03", "close-2026-03") == (view, True)
    assert books.tables == before
    # Another close of March is refused.
    with pytest.raises(Conflict, match="already closed"):
        close(books, registry, "2026-03", "close-2026-03-again")
    assert books.tables == before


def test_a_month_closes_only_after_the_earlier_ones(books: FakeBooks, registry: FakeRegistry) -> None:
    before = books.tables.copy()
    with pytest.raises(Conflict, match="close 2026-03 first"):
        close(books, registry, "2026-04", "close-2026-04")
    assert books.tables == before  # not even April's row

    close(books, registry, "2026-03", "close-2026-03")
    view, _ = close(books, registry, "2026-04", "close-2026-04")  # a month nothing was posted in
    assert (view["remuneration_fen"], view["donation_fen"]) == (0, 0)
    assert books.period_statuses(ESTATE) == {"2026-03": "closed", "2026-04": "closed"}
    # No donation, no DonationDeclared; no entry, no checkpoint: two PeriodClosed only.
    assert [type(m).__name__ for m in books.published(ESTATE)] == ["PeriodClosed", "PeriodClosed"]
    assert books.tables.checkpoints == {}


@pytest.mark.parametrize(
    ("period", "error"),
    [("2026-06", InvalidInput), ("2027-01", InvalidInput), ("2026-02", NotFound), ("2026-13", InvalidInput)],
)
def test_a_month_outside_the_books_is_not_closed(
    books: FakeBooks, registry: FakeRegistry, period: str, error: type[XinyiError]
) -> None:
    before = books.tables.copy()
    with pytest.raises(error):
        close(books, registry, period, f"close-{period}")
    assert books.tables == before


# Reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2026-02", "2026-06", "2025-12"])
def test_a_statement_outside_the_books_is_not_found_and_reading_creates_nothing(books: FakeBooks, period: str) -> None:
    before = books.tables.copy()
    with pytest.raises(NotFound):
        views.get_statement(books.uow(ESTATE), period)
    assert books.tables == before


def test_an_open_months_statement_includes_the_remuneration_still_to_accrue(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    before = books.tables.copy()
    april = views.get_statement(books.uow(ESTATE), "2026-04")  # never posted in: zeros, no row made
    assert (april["closed"], april["fees_billed_fen"], april["closing_balance_fen"]) == (False, 0, 0)
    assert books.tables == before

    books.bill(ESTATE, H1, "2026-05")
    pay(books, registry, "pay-stmt-000001", H1, 3150)
    # Billed and collected 3150; 15% = 473 still to accrue; surplus 3150 - 473 = 2677.
    expected = {
        "fees_billed_fen": 3150,
        "fees_collected_fen": 3150,
        "collection_rate_bps": 10000,
        "remuneration_fen": 473,
        "closing_balance_fen": 3150,
        "surplus_year_to_date_fen": 2677,
    }
    pending = views.get_statement(books.uow(ESTATE), "2026-05")
    assert {k: pending[k] for k in expected} == expected
    accrue_now(books, registry, "2026-05")
    accrued = views.get_statement(books.uow(ESTATE), "2026-05")
    assert accrued == pending  # accrued or pending, the same figures: never counted twice


def test_arrears_age_the_open_bills_and_page_by_household(books: FakeBooks, registry: FakeRegistry) -> None:
    books.bill(ESTATE, H1, "2026-03")  # billed 1 March: 80 days before 20 May
    books.bill(ESTATE, H1, "2026-05")  # billed 1 May: 19 days
    books.bill(ESTATE, H2, "2026-05")  # 4219
    pay(books, registry, "pay-arrears-001", H1, 1000)  # 1000 off March's 3150: 2150 left

    page = views.arrears(books.uow(ESTATE), 1, None)
    assert page.total_fen == 2150 + 3150 + 4219
    assert page.ageing_fen == {"0-30": 3150 + 4219, "31-90": 2150, "91-180": 0, ">180": 0}
    assert page.households == [(H1, 2150 + 3150)]
    assert page.next_after == H1
    rest = views.arrears(books.uow(ESTATE), 1, page.next_after)
    assert (rest.households, rest.next_after) == ([(H2, 4219)], H2)
    assert views.arrears(books.uow(ESTATE), 1, H2).households == []

    newest = views.entries(books.uow(ESTATE), 2, None)
    assert [(e.number, e.kind) for e in newest] == [(4, "payment_received"), (3, "fee_billed")]
    assert [e.number for e in views.entries(books.uow(ESTATE), 10, 3)] == [2, 1]


def test_a_household_account_of_another_estates_household_is_not_found(books: FakeBooks) -> None:
    with pytest.raises(NotFound):
        views.household_account(books.uow(ESTATE), H3)


# Postings of other services -------------------------------------------------------------------


def test_each_item_of_a_batch_is_all_or_nothing_and_the_refused_ones_come_back_as_errors(
    books: FakeBooks,
) -> None:
    books.open_accounts(ESTATE, "5100")  # the adopted budget's maintenance line; 5200 is not open
    reused, replayed = post_transaction(books.uow(ESTATE), *expense("post-reused-001", 1000), ACTOR)
    assert (reused.number, replayed) == (1, False)

    results = post_transactions(
        books.uow(ESTATE),
        [
            expense("post-good-00001", 12000),
            ("post-unbal-0001", "expense", "unbalanced", [("5100", 100, None), ("1000", -99, None)]),
            ("post-manag-0001", "expense", "managed", [("1100", 100, H1), ("1000", -100, None)]),
            expense("post-unopn-0001", 100, line="5200"),
            expense("post-reused-001", 2000),  # the key of the first posting, another body
            ("short", "expense", "bad key", [("5100", 1, None), ("1000", -1, None)]),
            expense("post-ownkind-01", 100, kind="fee_billed"),  # a kind the ledger posts itself
            expense("post-good-00002", 3000, kind="greening"),
        ],
        ACTOR,
    )

    ok = [r for r in results if not isinstance(r, XinyiError)]
    errors = [type(r) for r in results if isinstance(r, XinyiError)]
    assert errors == [InvalidInput, InvalidInput, InvalidInput, Conflict, InvalidInput, InvalidInput]
    assert [type(r) for r in results].index(Conflict) == 4
    assert ok == [
        (Posted(ok[0][0].transaction_id, 2, "2026-05"), False),
        (Posted(ok[1][0].transaction_id, 3, "2026-05"), False),
    ]
    # The refused items posted nothing in between (entries 2 and 3 are the good ones).
    assert books.balance(ESTATE, "5100") == 1000 + 12000 + 3000
    assert books.balance(ESTATE, "1000") == -16000

    # The refused items' keys were rolled back with their savepoints: corrected, they post.
    (fixed,) = post_transactions(books.uow(ESTATE), [expense("post-unbal-0001", 99)], ACTOR)
    assert not isinstance(fixed, XinyiError)
    assert (fixed[0].number, fixed[1]) == (4, False)
    # A retried batch gets its first answers, whatever else it carries.
    retried = post_transactions(
        books.uow(ESTATE), [expense("post-good-00001", 12000), expense("post-reused-001", 1000)], ACTOR
    )
    assert retried == [(ok[0][0], True), (reused, True)]


def test_post_transaction_raises_the_error_of_its_one_item(books: FakeBooks) -> None:
    with pytest.raises(InvalidInput, match="not open"):
        post_transaction(books.uow(ESTATE), *expense("post-single-001", 100, line="5300"), ACTOR)


@pytest.mark.parametrize(
    "items",
    [
        [],
        [expense("post-dup-000001", 1), expense("post-dup-000001", 2)],
        [expense(f"post-many-{i:06d}", 1) for i in range(MAX_BATCH + 1)],
    ],
    ids=["empty", "duplicate keys", "5001 items"],
)
def test_malformed_batches_are_refused_whole(books: FakeBooks, items: list[Any]) -> None:
    books.open_accounts(ESTATE, "5100")
    before = books.tables.copy()
    with pytest.raises(InvalidInput):
        post_transactions(books.uow(ESTATE), items, ACTOR)
    assert books.tables == before


# Reversals -----------------------------------------------------------------------------------


def test_reversing_a_payment_re_opens_its_bills_and_a_second_reversal_is_refused(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    march = books.bill(ESTATE, H1, "2026-03")
    april = books.bill(ESTATE, H1, "2026-04")
    payment, _ = pay(books, registry, "pay-bounce-0001", H1, 5000)  # March 3150 + April 1850
    assert accrue_now(books, registry, "2026-05") == 750  # 15% of 5000

    posted, replayed = reverse(
        books.uow(ESTATE), "rev-bounce-0001", uuid.UUID(payment.transaction_id), "transfer bounced", ACTOR
    )

    assert not replayed
    assert (posted.reverses, posted.period) == (payment.transaction_id, "2026-05")
    account = views.household_account(books.uow(ESTATE), H1)
    assert [(bill.id, bill.due_fen) for bill in account.bills] == [(march, 3150), (april, 3150)]
    assert (account.owed_fen, account.prepaid_fen) == (6300, 0)
    assert books.balance(ESTATE, "1000") == 0
    # May's basis is back to 0: the accrual takes the 750 back.
    assert accrue_now(books, registry, "2026-05") == -750
    assert books.balance(ESTATE, "5000") == 0

    before = books.tables.copy()
    with pytest.raises(Conflict, match="already reversed"):
        reverse(books.uow(ESTATE), "rev-bounce-0002", uuid.UUID(payment.transaction_id), "again", ACTOR)
    assert books.tables == before
    # The same request again is its first answer.
    again = reverse(books.uow(ESTATE), "rev-bounce-0001", uuid.UUID(payment.transaction_id), "transfer bounced", ACTOR)
    assert again == (posted, True)
    assert books.tables == before


def test_a_payment_whose_prepaid_credit_was_used_is_not_reversed(books: FakeBooks, registry: FakeRegistry) -> None:
    books.bill(ESTATE, H1, "2026-03")
    payment, _ = pay(books, registry, "pay-credit-0001", H1, 4000)  # 3150 to March, 850 prepaid
    books.bill(ESTATE, H1, "2026-04")  # the 850 credit is applied to April's bill
    before = books.tables.copy()
    with pytest.raises(Conflict, match="negative prepaid"):
        reverse(books.uow(ESTATE), "rev-credit-0001", uuid.UUID(payment.transaction_id), "bounced", ACTOR)
    assert books.tables == before


def test_reversing_an_unpaid_bill_cancels_it_and_a_paid_one_is_refused(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    books.bill(ESTATE, H1, "2026-05")
    books.bill(ESTATE, H2, "2026-05")
    h1_billed, h2_billed = (row.id for row in books.entries_of(ESTATE))  # the bills' entries
    pay(books, registry, "pay-paidbill-01", H2, 100)

    reverse(books.uow(ESTATE), "rev-bill-000001", uuid.UUID(h1_billed), "billed in error", ACTOR)
    account = views.household_account(books.uow(ESTATE), H1)
    assert (account.owed_fen, [bill.due_fen for bill in account.bills]) == (0, [0])
    assert books.balance(ESTATE, "4000") == -4219  # only H2's bill is income now

    with pytest.raises(Conflict, match="settled"):
        reverse(books.uow(ESTATE), "rev-bill-000002", uuid.UUID(h2_billed), "billed in error", ACTOR)


def test_what_cannot_be_reversed(books: FakeBooks, registry: FakeRegistry) -> None:
    books.bill(ESTATE, H1, "2026-05")
    pay(books, registry, "pay-noreverse-1", H1, 1000)
    accrue_now(books, registry, "2026-05")
    accrual = books.entries_of(ESTATE)[-1]
    assert accrual.transaction.kind == Kind.REMUNERATION_ACCRUED
    with pytest.raises(InvalidInput):  # it follows its payments
        reverse(books.uow(ESTATE), "rev-accrual-001", uuid.UUID(accrual.id), "no", ACTOR)
    with pytest.raises(NotFound):
        reverse(books.uow(ESTATE), "rev-unknown-001", uuid.uuid4(), "no such entry", ACTOR)
    with pytest.raises(InvalidInput):
        reverse(books.uow(ESTATE), "rev-noreason-01", uuid.UUID(accrual.id), "  ", ACTOR)
    # Another estate's entry is not found in these books.
    books.open_estate(OTHER, first_period="2026-03", rules=RULES, households={H1: 9000})
    other, _ = pay(books, registry, "pay-other-estate", H1, 1000, estate=OTHER)
    assert other.number == 1  # its own numbering
    with pytest.raises(NotFound):
        reverse(books.uow(ESTATE), "rev-other-00001", uuid.UUID(other.transaction_id), "not ours", ACTOR)


def test_use_cases_leave_their_unit_of_work_closed(books: FakeBooks, registry: FakeRegistry) -> None:
    uow: FakeLedgerUnitOfWork = books.uow(ESTATE)
    with pytest.raises(InvalidInput):
        record_payment(uow, registry, "pay-closed-0001", H1, 100, "cash", "", date(2030, 1, 1), ACTOR)
    assert books.active is None
    with pytest.raises(RuntimeError):
        uow.journal.context()


def test_reversing_a_prepaid_application_re_opens_the_bill_and_gives_the_credit_back(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    books.bill(ESTATE, H1, "2026-03")
    pay(books, registry, "pay-credit-0002", H1, 4000)  # 3150 to March, 850 prepaid
    april = books.bill(ESTATE, H1, "2026-04")  # the 850 credit settles part of April: 2300 left
    applied = books.entries_of(ESTATE)[-1]
    assert (applied.transaction.kind, applied.transaction.amount_on("2000")) == (Kind.PREPAID_APPLIED, 850)

    reverse(books.uow(ESTATE), "rev-applied-001", uuid.UUID(applied.id), "applied by mistake", ACTOR)

    account = views.household_account(books.uow(ESTATE), H1)
    assert [(bill.id, bill.due_fen) for bill in account.bills if bill.period == "2026-04"] == [(april, 3150)]
    assert (account.owed_fen, account.prepaid_fen) == (3150, 850)


# A retry is answered whatever the books' state now ----------------------------------------------


def test_a_retried_posting_is_answered_even_when_the_books_became_read_only(books: FakeBooks) -> None:
    books.open_accounts(ESTATE, "5100")
    first = post_transaction(books.uow(ESTATE), *expense("post-retry-0001", 100), ACTOR)
    books.set_status(ESTATE, "suspended")

    assert post_transaction(books.uow(ESTATE), *expense("post-retry-0001", 100), ACTOR) == (first[0], True)


def test_a_posted_answer_is_stored_as_its_fields_and_rebuilt_from_them() -> None:
    for posted in (Posted("t-1", 7, "2026-11"), Posted("t-2", 8, "2026-12", reverses="t-1")):
        assert posted.stored() == asdict(posted)
        assert Posted(**posted.stored()) == posted
