"""社区微基金账本 — a community micro-fund's book in the ledger (service_layer/funds.py and the gRPC
methods of entrypoints/grpc_api.py) against the fakes.

The community ``jinhe`` has two estates with trust books; its micro-fund's book is opened by the
micro-fund service, which posts the fund's life: a firm's pledge (Dr 1200 / Cr 4000), its receipt
(Dr 1000 / Cr 1200), a grant decided (Dr 5000 / Cr 2100) and paid (Dr 2100 / Cr 1000). The fund's
log is checked with the offline verifier (``xinyi_shared.transparency.verify``), as a resident would."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import date
from typing import Any, cast

import pytest

from ledger_service.adapters.fund_books import FundBooksRepository
from ledger_service.domain.books import AccountType
from ledger_service.domain.funds import (
    FUND_CHART,
    FundLine,
    FundTransaction,
    check_fund_name,
    community_of_book,
    fund_book_code,
)
from ledger_service.domain.postings import Line
from ledger_service.entrypoints.grpc_api import LedgerServicer
from ledger_service.service_layer import funds, postings, transparency, views
from services.ledger.tests.fakes import LOG_AUTHORITY, FakeBooks, FakeFundBooks, estate_rules
from xinyi.ledger.v1 import events_pb2, ledger_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.blobs import FilesystemBlobStore
from xinyi_shared.codes import is_estate_code
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied, XinyiError
from xinyi_shared.grpc_server import principal_var
from xinyi_shared.transparency.checkpoint import checkpoint_of
from xinyi_shared.transparency.verify import verify_bundle, verify_consistency_bundle

COMMUNITY = "jinhe"
FUND = fund_book_code(COMMUNITY)
ESTATE = "jinhe-lvzhou"
NEIGHBOUR = "jinhe-huayuan"
ELSEWHERE = "lianhe-jiayuan"  # an estate of another community
TODAY = date(2026, 5, 20)
PERIOD = "2026-05"
RULES = estate_rules("2026-03-01")
MICROFUND = "service-account-microfund-service"
HOUSEHOLD = "11111111-1111-4111-8111-111111111111"

Lines = list[tuple[str, int, str | None]]
PLEDGE: Lines = [("1200", 450_000, None), ("4000", -450_000, None)]
RECEIPT: Lines = [("1000", 450_000, None), ("1200", -450_000, None)]
GRANT: Lines = [("5000", 300_000, None), ("2100", -300_000, None)]
DISBURSEMENT: Lines = [("2100", 300_000, None), ("1000", -300_000, None)]


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={HOUSEHOLD: 9000})
    books.open_estate(NEIGHBOUR, first_period="2026-03", rules=RULES)
    books.open_estate(ELSEWHERE, first_period="2026-03", rules=RULES, community_code="lianhe")
    yield books
    books.check_consistency()


def open_fund(books: FakeBooks, name: str = "金河社区微基金") -> tuple[Any, bool]:
    return funds.open_fund_book(books.uow(FUND), name, MICROFUND)


def post(books: FakeBooks, key: str, lines: Lines, kind: str = "pledge", memo: str = "") -> tuple[Any, bool]:
    return funds.post_fund_transaction(books.uow(FUND), key, kind, memo, lines, MICROFUND)


def the_funds_life(books: FakeBooks) -> list[str]:
    """Pledge, receipt, grant, disbursement: their transaction ids."""
    open_fund(books)
    return [
        post(books, f"fund-{kind}-1", lines, kind)[0].transaction_id
        for kind, lines in (
            ("pledge", PLEDGE),
            ("donation_received", RECEIPT),
            ("grant_approved", GRANT),
            ("grant_disbursed", DISBURSEMENT),
        )
    ]


# The domain ------------------------------------------------------------------------------------------


def test_a_funds_book_code_is_never_an_estates() -> None:
    assert FUND == "fund:jinhe"
    assert not is_estate_code(FUND)
    assert community_of_book(FUND) == COMMUNITY
    assert community_of_book("fund-jinhe") is None  # an estate may be called so: it is an estate
    assert community_of_book(ESTATE) is None
    for bad in ("", "Jinhe", "jin he", "-jinhe", "jinhe:x", "a" * 64):
        with pytest.raises(InvalidInput):
            fund_book_code(bad)


def test_the_funds_chart() -> None:
    assert [(a.code, a.name_zh, a.type) for a in FUND_CHART] == [
        ("1000", "基金存款", AccountType.ASSET),
        ("1200", "应收认捐款", AccountType.ASSET),
        ("2100", "应付资助款", AccountType.LIABILITY),
        ("3000", "基金结余", AccountType.EQUITY),
        ("4000", "物业企业捐赠", AccountType.INCOME),
        ("4100", "其他捐赠", AccountType.INCOME),
        ("5000", "社区资助支出", AccountType.EXPENSE),
    ]
    assert [a.name for a in FUND_CHART] == [
        "Fund cash",
        "Pledges receivable",
        "Grants payable",
        "Fund balance",
        "Donations from property firms",
        "Other donations",
        "Community grants",
    ]


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ([FundLine("1200", 100), FundLine("4000", -99)], "balance"),
        ([FundLine("1200", 100)], "two lines"),
        ([Line("1100", 100, HOUSEHOLD), Line("4000", -100)], "fund's chart"),  # a trust book's account
        ([Line("5100", 100), Line("1000", -100)], "fund's chart"),  # a trust book's budget line
        ([Line("4190", 100), Line("1000", -100)], "fund's chart"),
    ],
)
def test_a_fund_transaction_is_balanced_and_on_the_funds_chart(lines: list[Line], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        FundTransaction(kind="pledge", period=PERIOD, lines=tuple(lines))


def test_a_funds_line_has_no_household_and_no_zero() -> None:
    with pytest.raises(InvalidInput, match="household"):
        FundLine("1000", 100, HOUSEHOLD)
    with pytest.raises(InvalidInput, match="zero"):
        FundLine("1000", 0)
    with pytest.raises(InvalidInput, match="whole number"):
        FundLine("1000", True)
    # Checked again as a fund's line whatever it was built as, and no reversal.
    with pytest.raises(InvalidInput, match="reversals"):
        FundTransaction(kind="pledge", period=PERIOD, lines=(FundLine("1200", 1), FundLine("4000", -1)), reverses="x")


def test_a_funds_name_is_required_and_bounded() -> None:
    assert check_fund_name("  金河社区微基金 ") == "金河社区微基金"
    for bad in ("", "   ", "x" * 201, "a\nb"):
        with pytest.raises(InvalidInput):
            check_fund_name(bad)


# Opening ---------------------------------------------------------------------------------------------


def test_opening_a_funds_book_is_idempotent(books: FakeBooks) -> None:
    book, opened = open_fund(books)
    assert opened is True
    assert (book.community_code, book.name, book.first_period, book.current_period) == (
        COMMUNITY,
        "金河社区微基金",
        PERIOD,
        PERIOD,
    )
    assert book.accounts == FUND_CHART
    again, opened_again = open_fund(books, "another name")
    assert opened_again is False
    assert again == book  # the first name stands
    assert books.published() == [], "opening a fund's book announces nothing"


def test_a_funds_book_needs_a_name(books: FakeBooks) -> None:
    with pytest.raises(InvalidInput):
        open_fund(books, " ")
    with pytest.raises(InvalidInput):
        open_fund(books, "金" * 201)
    with pytest.raises(NotFound):
        funds.balances(books.uow(FUND))


def test_the_estates_use_cases_never_see_a_funds_book(books: FakeBooks) -> None:
    open_fund(books)
    with pytest.raises(NotFound):
        views.balances(books.uow(FUND))
    with pytest.raises(NotFound):
        postings.post_transaction(books.uow(FUND), "trust-into-fund", "expense", "", RECEIPT, "svc")
    with pytest.raises(NotFound):
        transparency.publish_now(books.uow(FUND))
    with books.uow(FUND) as uow:
        assert uow.books.get(FUND) is None
        assert uow.books.profile(FUND) is None
    # And the fund's use cases never see an estate's books.
    with pytest.raises(InvalidInput):
        funds.balances(books.uow(ESTATE))
    assert books.entries_of(FUND) == []


# Postings --------------------------------------------------------------------------------------------


def test_the_funds_life_posts_balanced_entries_numbered_in_its_own_book(books: FakeBooks) -> None:
    books.bill(ESTATE, HOUSEHOLD, "2026-05", 3150)  # the estate's own entry: numbered in its books
    ids = the_funds_life(books)
    assert [row.id for row in books.entries_of(FUND)] == ids
    assert [row.number for row in books.entries_of(FUND)] == [1, 2, 3, 4]
    assert {row.transaction.period for row in books.entries_of(FUND)} == {PERIOD}
    assert funds.balances(books.uow(FUND)) == {
        "1000": 150_000,
        "1200": 0,
        "2100": 0,
        "4000": -450_000,
        "5000": 300_000,
    }
    book, accounts = funds.accounts(books.uow(FUND))
    assert book.name == "金河社区微基金"
    assert [(a.account.code, a.balance_fen) for a in accounts] == [
        ("1000", 150_000),
        ("1200", 0),
        ("2100", 0),
        ("3000", 0),
        ("4000", -450_000),
        ("4100", 0),
        ("5000", 300_000),
    ]
    entries = funds.entries(books.uow(FUND), 2, None)
    assert [(e.number, e.kind) for e in entries] == [(4, "grant_disbursed"), (3, "grant_approved")]
    assert [e.number for e in funds.entries(books.uow(FUND), 10, 3)] == [2, 1]
    # Nothing of an estate's rules: no accrual asked for, no event, no estate's balance moved.
    assert books.accruals.touched == [("jinhe-lvzhou", "2026-05")]  # the bill's, not the fund's
    assert books.published(FUND) == []
    assert [type(event) for event in books.published()] == [events_pb2.BooksMoved]  # the estate's bill
    assert books.balance(ESTATE, "1000") == 0
    assert books.period_statuses(FUND) == {PERIOD: "open"}


def test_a_retry_answers_the_first_posting_and_another_body_is_refused(books: FakeBooks) -> None:
    open_fund(books)
    first, replayed = post(books, "pledge-2026-05-jinhe-lvzhou", PLEDGE)
    assert replayed is False
    again, replayed = post(books, "pledge-2026-05-jinhe-lvzhou", PLEDGE)
    assert (again, replayed) == (first, True)
    with pytest.raises(Conflict, match="different request"):
        post(books, "pledge-2026-05-jinhe-lvzhou", [("1200", 1, None), ("4000", -1, None)])
    assert len(books.entries_of(FUND)) == 1
    # The key is the fund's own: an estate may use the same key for its own books.
    assert (
        postings.post_transaction(
            books.uow(ESTATE),
            "pledge-2026-05-jinhe-lvzhou",
            "donation",
            "",
            [("1000", 1, None), ("4190", -1, None)],
            "x",
        )[1]
        is False
    )


@pytest.mark.parametrize(
    ("lines", "kind", "reason"),
    [
        ([("1200", 100, None), ("4000", -90, None)], "pledge", "balance"),
        ([("1100", 100, None), ("4000", -100, None)], "pledge", "fund's chart"),
        ([("5100", 100, None), ("1000", -100, None)], "grant", "fund's chart"),
        ([("1000", 100, HOUSEHOLD), ("4100", -100, None)], "donation", "household"),
        ([("1000", 0, None), ("4100", 0, None)], "donation", "not 0"),
        ([("1000", 10**10 + 1, None), ("4100", -(10**10 + 1), None)], "donation", "at most"),
        ([("1000", 100, None), ("4100", -100, None)], "Donation", "kind"),
        ([("1000", 100, None)], "donation", "two lines"),
    ],
)
def test_a_malformed_posting_is_refused_and_its_key_given_back(
    books: FakeBooks, lines: Lines, kind: str, reason: str
) -> None:
    open_fund(books)
    with pytest.raises(InvalidInput, match=reason):
        post(books, "fund-bad-1", lines, kind)
    assert books.entries_of(FUND) == []
    # The refused request left its key free: the corrected one posts under it.
    assert post(books, "fund-bad-1", PLEDGE)[1] is False


def test_a_posting_to_a_fund_not_open_is_not_found(books: FakeBooks) -> None:
    with pytest.raises(NotFound, match="no book open"):
        post(books, "fund-early-1", PLEDGE)
    open_fund(books)
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        post(books, "short", PLEDGE)


def test_a_batch_posts_each_transaction_on_its_own(books: FakeBooks) -> None:
    open_fund(books)
    post(books, "fund-batch-0", PLEDGE)
    outcomes = funds.post_fund_transactions(
        books.uow(FUND),
        [
            ("fund-batch-0", "pledge", "", PLEDGE),  # a retry
            ("fund-batch-1", "donation_received", "", RECEIPT),
            ("fund-batch-2", "grant", "", [("5000", 1, None), ("2000", -1, None)]),  # not the fund's
            ("x", "grant", "", GRANT),  # a malformed key
        ],
        MICROFUND,
    )
    assert isinstance(outcomes[0], tuple) and outcomes[0][1] is True
    assert isinstance(outcomes[1], tuple) and outcomes[1][1] is False
    assert isinstance(outcomes[2], InvalidInput)
    assert isinstance(outcomes[3], InvalidInput)
    assert len(books.entries_of(FUND)) == 2
    with pytest.raises(InvalidInput, match="its own idempotency key"):
        funds.post_fund_transactions(
            books.uow(FUND), [("fund-dup-1", "x", "", PLEDGE), ("fund-dup-1", "y", "", PLEDGE)], MICROFUND
        )
    with pytest.raises(InvalidInput, match="at least one"):
        funds.post_fund_transactions(books.uow(FUND), [], MICROFUND)


# The fund's log --------------------------------------------------------------------------------------


def test_a_checkpoint_of_the_funds_log_verifies_offline(books: FakeBooks) -> None:
    with pytest.raises(NotFound):
        funds.publish_checkpoint(books.uow(FUND))
    open_fund(books)
    with pytest.raises(Conflict, match="no entry"):
        funds.publish_checkpoint(books.uow(FUND))
    with pytest.raises(NotFound, match="micro-fund publishes"):
        funds.checkpoint(books.uow(FUND))
    ids = the_funds_life(books)
    first = funds.publish_checkpoint(books.uow(FUND))
    assert first.tree_size == 4 and first.period == PERIOD
    assert funds.publish_checkpoint(books.uow(FUND)) == first, "nothing new: the latest stands"
    identity = funds.identity(books.uow(FUND))
    assert identity.origin == f"{LOG_AUTHORITY}/funds/{COMMUNITY}"
    assert checkpoint_of(first.note).origin == identity.origin
    for index, transaction_id in enumerate(ids):
        bundle = funds.inclusion(books.uow(FUND), transaction_id, None, None)
        assert (bundle["leaf_index"], bundle["entry"]["estate"], bundle["entry"]["seq"]) == (
            index,
            COMMUNITY,
            index + 1,
        )
        verdict = verify_bundle(bundle, log_key=identity.log_key)
        assert verdict.ok, verdict.reasons
    # Another posting and a second checkpoint: the first is a prefix of it.
    later, _ = post(books, "fund-other-1", [("1000", 20_000, None), ("4100", -20_000, None)], "donation_received")
    second = funds.publish_checkpoint(books.uow(FUND))
    assert second.tree_size == 5
    assert funds.checkpoint(books.uow(FUND)) == second
    consistency = funds.consistency(books.uow(FUND), first.tree_size, None)
    assert verify_consistency_bundle(consistency, log_key=identity.log_key).ok
    bundle = funds.inclusion(books.uow(FUND), later.transaction_id, None, first.tree_size)
    assert verify_bundle(bundle, log_key=identity.log_key).ok
    with pytest.raises(NotFound):
        funds.inclusion(books.uow(FUND), later.transaction_id, first.tree_size, None)
    assert books.published() == [], "a fund's checkpoint is answered to its caller, not announced"


def test_the_funds_log_is_its_own(books: FakeBooks) -> None:
    ids = the_funds_life(books)
    funds.publish_checkpoint(books.uow(FUND))
    # An estate's log neither holds nor proves the fund's entries, and its key is another.
    books.bill(ESTATE, HOUSEHOLD, "2026-05", 3150)
    transparency.publish_now(books.uow(ESTATE))
    with pytest.raises(NotFound):
        transparency.inclusion(books.uow(ESTATE), ids[0], None, None)
    estate_key = transparency.identity(books.uow(ESTATE), LOG_AUTHORITY).log_key
    bundle = funds.inclusion(books.uow(FUND), ids[0], None, None)
    assert not verify_bundle(bundle, log_key=estate_key).ok


def test_an_altered_fund_entry_is_named_and_nothing_signed(books: FakeBooks) -> None:
    ids = the_funds_life(books)
    funds.publish_checkpoint(books.uow(FUND))
    books.alter_line(FUND, ids[3], 1, 3_000_000)
    post(books, "fund-after-1", [("1000", 1, None), ("4100", -1, None)], "donation_received")
    with pytest.raises(Conflict, match="no longer matches"):
        funds.publish_checkpoint(books.uow(FUND))
    with pytest.raises(Conflict, match="no longer matches"):
        funds.inclusion(books.uow(FUND), ids[3], None, None)
    books.alter_line(FUND, ids[3], 1, 300_000)  # restored


# Who reads a fund's book -----------------------------------------------------------------------------


def test_the_community_of_a_persons_estates(books: FakeBooks) -> None:
    assert funds.of_the_community(books.uow, {ESTATE}, COMMUNITY)
    assert funds.of_the_community(books.uow, {ELSEWHERE, NEIGHBOUR}, COMMUNITY)
    assert not funds.of_the_community(books.uow, {ELSEWHERE}, COMMUNITY)
    assert not funds.of_the_community(books.uow, set(), COMMUNITY)
    assert not funds.of_the_community(books.uow, {"no-such-estate"}, COMMUNITY)
    open_fund(books)
    assert not funds.of_the_community(books.uow, {FUND}, COMMUNITY), "a fund's code is no estate"


def test_the_fake_fund_books_keep_the_real_signatures() -> None:
    public = {
        name for name, _ in inspect.getmembers(FundBooksRepository, inspect.isfunction) if not name.startswith("_")
    }
    assert public == {"add", "get"}
    for name in public:
        assert getattr(FakeFundBooks, name) is not getattr(FundBooksRepository, name), name
        assert inspect.signature(getattr(FakeFundBooks, name)) == inspect.signature(
            getattr(FundBooksRepository, name)
        ), name


# gRPC ------------------------------------------------------------------------------------------------

SERVICE = Principal("microfund-sa", MICROFUND, frozenset({Role.SERVICE}), frozenset())


@pytest.fixture
def servicer(books: FakeBooks, tmp_path: Any) -> Iterator[LedgerServicer]:
    token = principal_var.set(SERVICE)
    yield LedgerServicer(cast(Database, None), books.uow, FilesystemBlobStore(tmp_path))
    principal_var.reset(token)


def grpc_lines(lines: Lines) -> list[ledger_pb2.PostingLine]:
    return [ledger_pb2.PostingLine(account=a, amount_fen=f, household_id=h or "") for a, f, h in lines]


def test_grpc_opens_posts_reads_and_signs_a_funds_book(servicer: LedgerServicer, books: FakeBooks) -> None:
    none = cast(Any, None)
    opened = servicer.OpenFundBook(
        ledger_pb2.OpenFundBookRequest(community_code=COMMUNITY, name="金河社区微基金"), none
    )
    assert (opened.community_code, opened.name, opened.opened_now) == (COMMUNITY, "金河社区微基金", True)
    assert [(a.code, a.type) for a in opened.accounts][:2] == [
        ("1000", ledger_pb2.ACCOUNT_TYPE_ASSET),
        ("1200", ledger_pb2.ACCOUNT_TYPE_ASSET),
    ]
    again = servicer.OpenFundBook(ledger_pb2.OpenFundBookRequest(community_code=COMMUNITY, name="x"), none)
    assert (again.name, again.opened_now) == ("金河社区微基金", False)

    request = ledger_pb2.PostTransactionRequest(
        book="fund", community_code=COMMUNITY, idempotency_key="grpc-pledge-1", kind="pledge", lines=grpc_lines(PLEDGE)
    )
    posted = servicer.PostTransaction(request, none)
    assert (posted.period, posted.replayed) == (PERIOD, False)
    assert servicer.PostTransaction(request, none).replayed is True
    batch = servicer.PostTransactions(
        ledger_pb2.PostTransactionsRequest(
            book="fund",
            community_code=COMMUNITY,
            transactions=[
                ledger_pb2.PostTransactionItem(
                    idempotency_key="grpc-receipt-1", kind="donation_received", lines=grpc_lines(RECEIPT)
                ),
                ledger_pb2.PostTransactionItem(
                    idempotency_key="grpc-bad-1",
                    kind="grant",
                    lines=grpc_lines([("5100", 1, None), ("1000", -1, None)]),
                ),
            ],
        ),
        none,
    )
    assert (batch.posted, batch.replayed, batch.refused) == (1, 0, 1)
    assert batch.results[1].error_code == "INVALID_ARGUMENT"
    balances = servicer.GetBalances(ledger_pb2.GetBalancesRequest(book="fund", community_code=COMMUNITY), none)
    assert {b.account: b.balance_fen for b in balances.balances} == {"1000": 450_000, "1200": 0, "4000": -450_000}
    checkpoint = servicer.PublishFundCheckpoint(ledger_pb2.PublishFundCheckpointRequest(community_code=COMMUNITY), none)
    assert (checkpoint.community_code, checkpoint.tree_size) == (COMMUNITY, 2)
    assert checkpoint_of(checkpoint.note).origin == f"{LOG_AUTHORITY}/funds/{COMMUNITY}"


def test_grpc_a_funds_book_is_the_services_only(servicer: LedgerServicer, books: FakeBooks) -> None:
    none = cast(Any, None)
    open_fund(books)
    calls = {
        "OpenFundBook": ledger_pb2.OpenFundBookRequest(community_code=COMMUNITY, name="x"),
        "PublishFundCheckpoint": ledger_pb2.PublishFundCheckpointRequest(community_code=COMMUNITY),
        "PostTransaction": ledger_pb2.PostTransactionRequest(
            book="fund", community_code=COMMUNITY, idempotency_key="grpc-who-1", kind="pledge", lines=grpc_lines(PLEDGE)
        ),
        "PostTransactions": ledger_pb2.PostTransactionsRequest(book="fund", community_code=COMMUNITY),
        "GetBalances": ledger_pb2.GetBalancesRequest(book="fund", community_code=COMMUNITY),
    }
    for role in (Role.PLATFORM_ADMIN, Role.FIRM_MANAGER, Role.SUPERVISOR, Role.RESIDENT, Role.COMMUNITY_OFFICER):
        principal_var.set(Principal("someone", "someone", frozenset({role}), frozenset({ESTATE})))
        for name, request in calls.items():
            with pytest.raises(PermissionDenied):
                getattr(servicer, name)(request, none)
    assert books.entries_of(FUND) == []


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (ledger_pb2.GetBalancesRequest(book="fund"), InvalidInput),
        (ledger_pb2.GetBalancesRequest(book="fund", community_code="Jin He"), InvalidInput),
        (ledger_pb2.GetBalancesRequest(book="fund", community_code=COMMUNITY, estate_code=ESTATE), InvalidInput),
        (ledger_pb2.GetBalancesRequest(book="fund", community_code="lianhe"), NotFound),
        (ledger_pb2.GetBalancesRequest(book="pension", estate_code=ESTATE), InvalidInput),
        (ledger_pb2.GetBalancesRequest(estate_code=FUND), NotFound),  # the trust path never reaches a fund
        (ledger_pb2.GetBalancesRequest(book="trust", estate_code=FUND), NotFound),
        (ledger_pb2.GetBalancesRequest(book="trust", community_code=COMMUNITY), InvalidInput),
    ],
)
def test_grpc_names_the_book_it_reads(
    servicer: LedgerServicer, books: FakeBooks, request_: ledger_pb2.GetBalancesRequest, error: type[XinyiError]
) -> None:
    open_fund(books)
    with pytest.raises(error):
        servicer.GetBalances(request_, cast(Any, None))


def test_grpc_the_trust_books_answer_as_before(servicer: LedgerServicer, books: FakeBooks) -> None:
    none = cast(Any, None)
    open_fund(books)
    lines = grpc_lines([("1000", 500, None), ("4190", -500, None)])
    posted = servicer.PostTransaction(
        ledger_pb2.PostTransactionRequest(
            estate_code=ESTATE, book="trust", idempotency_key="grpc-trust-1", kind="donation", lines=lines
        ),
        none,
    )
    assert posted.period == PERIOD
    with pytest.raises(InvalidInput, match="unknown book"):
        servicer.PostTransaction(
            ledger_pb2.PostTransactionRequest(
                estate_code=ESTATE, idempotency_key="grpc-trust-2", kind="x", lines=lines
            ),
            none,
        )
    balances = servicer.GetBalances(ledger_pb2.GetBalancesRequest(estate_code=ESTATE), none)
    assert {b.account: b.balance_fen for b in balances.balances} == {"1000": 500, "4190": -500}
    assert books.entries_of(FUND) == []
