"""Use cases of a community micro-fund's book (社区微基金): open it, post to it (one transaction or a
batch, each with its idempotency key), read its balances and entries, sign and prove its log.

A fund's unit of work is the ledger's, opened on the fund's book code (``fund:<community>``,
:func:`ledger_service.domain.funds.fund_book_code`): the journal, the idempotency keys and the log
are the trust books' own, so a fund's entries are balanced, append-only, numbered and logged exactly
as an estate's. None of the trust books' rules applies: no billing, no remuneration, no close; an
entry lands in the fund's current month. The estates' use cases never see a fund's book (their
reads select trust books only), and these never see an estate's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledger_service.adapters.idempotency import request_fingerprint
from ledger_service.domain.books import Account
from ledger_service.domain.funds import (
    FundBook,
    FundLine,
    FundTransaction,
    check_fund_name,
    community_of_book,
)
from ledger_service.domain.postings import MAX_ENTRY_FEN
from ledger_service.domain.trust_books import SERVICE_KIND
from ledger_service.domain.views import EntryView, Posted
from ledger_service.service_layer import transparency
from ledger_service.service_layer.common import check_key, replay_posted
from ledger_service.service_layer.postings import MAX_BATCH
from ledger_service.service_layer.transparency import LogIdentity, PublishedCheckpoint
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.codes import is_estate_code
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError

PostingItem = tuple[str, str, str, list[tuple[str, int, str | None]]]  # key, kind, memo, lines


def _community(uow: LedgerUnitOfWork) -> str:
    community = community_of_book(uow.estate_code)
    if community is None:
        raise InvalidInput(f"{uow.estate_code!r} is not a community fund's book")
    return community


def _open_book(uow: LedgerUnitOfWork) -> FundBook:
    book = uow.funds.get()
    if book is None:
        raise NotFound(f"the micro-fund of community {_community(uow)!r} has no book open in the ledger")
    return book


# Opening --------------------------------------------------------------------------------------------


def open_fund_book(uow: LedgerUnitOfWork, name: str, actor: str) -> tuple[FundBook, bool]:
    """Open the community fund's book with the fund's chart; a repeat answers the book as it is open
    (its first name stands) with False."""
    community = _community(uow)
    name = check_fund_name(name)
    with uow:
        opened = uow.funds.add(community, name, f"grpc:OpenFundBook by {actor}"[:200])
        book = _open_book(uow)
        uow.commit()
    return book, opened


# Postings -------------------------------------------------------------------------------------------


def _fund_transaction(kind: str, memo: str, lines: list[tuple[str, int, str | None]], period: str) -> FundTransaction:
    if not isinstance(kind, str) or SERVICE_KIND.fullmatch(kind) is None:
        raise InvalidInput("kind must be lower-case words (3-40 letters and '_')")
    if not isinstance(memo, str):
        raise InvalidInput("a memo is text")
    for _, amount, _ in lines:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < abs(amount) <= MAX_ENTRY_FEN:
            raise InvalidInput(f"a line's amount is a whole number of fen, not 0, at most {MAX_ENTRY_FEN} either way")
    return FundTransaction(
        kind=kind, period=period, lines=tuple(FundLine(a, f, h) for a, f, h in lines), memo=memo[:200]
    )


def post_fund_transaction(
    uow: LedgerUnitOfWork, key: str, kind: str, memo: str, lines: list[tuple[str, int, str | None]], actor: str
) -> tuple[Posted, bool]:
    """One balanced transaction on the fund's chart, in the fund's current month."""
    (result,) = post_fund_transactions(uow, [(key, kind, memo, lines)], actor)
    if isinstance(result, XinyiError):
        raise result
    return result


def post_fund_transactions(
    uow: LedgerUnitOfWork, items: list[PostingItem], actor: str
) -> list[tuple[Posted, bool] | XinyiError]:
    """Many transactions in one unit of work, each with its own idempotency key, each all or nothing
    on its own (a refused one — malformed, unbalanced, an account outside the fund's chart, a
    household, a key reused for another request — is returned as its error; the others post), as
    ``postings.post_transactions`` does for an estate. NotFound when the fund's book is not open."""
    _community(uow)
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
        book = _open_book(uow)
        period = book.current_period
        # A fund's months never close: its current month is always open to postings.
        if uow.journal.hold_period(period) != "open":
            raise Conflict(f"period {period} of the fund's book is closed")
        opened = uow.journal.open_accounts()
        claimed = uow.keys.claim_many(fingerprints)
        earlier = uow.keys.stored_many([key for key in fingerprints if key not in claimed])
        to_post: list[tuple[int, FundTransaction]] = []
        released: list[str] = []
        for index, (key, kind, memo, lines) in enumerate(items):
            if results[index] is not None:
                continue
            if key not in claimed:
                results[index] = replay_posted(earlier.get(key), fingerprints[key])
                continue
            try:
                transaction = _fund_transaction(kind, memo, lines, period)
                missing = sorted({line.account for line in transaction.lines} - opened)
                if missing:
                    raise InvalidInput(f"account(s) {', '.join(missing)} are not open in the fund's book")
                to_post.append((index, transaction))
            except XinyiError as error:
                results[index] = error
                released.append(key)
        uow.keys.release_many(released)
        posted = uow.journal.post([transaction for _, transaction in to_post], actor)
        answers: dict[str, dict[str, Any]] = {}
        for (index, _), ref in zip(to_post, posted, strict=True):
            result = Posted(ref.transaction_id, ref.number, period)
            results[index] = (result, False)
            answers[items[index][0]] = result.stored()
        uow.keys.answer_many(answers)
        uow.commit()
    return [result for result in results if result is not None]


# Reads ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    account: Account
    balance_fen: int  # debits minus credits


def balances(uow: LedgerUnitOfWork) -> dict[str, int]:
    """Every account's balance (debits minus credits, fen) that has moved."""
    with uow:
        _open_book(uow)
        return uow.journal.balances()


def accounts(uow: LedgerUnitOfWork) -> tuple[FundBook, list[AccountBalance]]:
    """The fund's book and each account of its chart with its balance (0 when it never moved)."""
    with uow:
        book = _open_book(uow)
        moved = uow.journal.balances()
    return book, [AccountBalance(account, moved.get(account.code, 0)) for account in book.accounts]


def entries(uow: LedgerUnitOfWork, limit: int, before: int | None) -> list[EntryView]:
    """The fund's entries, newest first (numbered below ``before`` when given)."""
    with uow:
        _open_book(uow)
        return uow.journal.entries(limit, before)


# The fund's log -------------------------------------------------------------------------------------


def publish_checkpoint(uow: LedgerUnitOfWork) -> PublishedCheckpoint:
    """Log every entry posted so far and sign a checkpoint of the fund's log (the latest stands when
    nothing is new); Conflict before the first entry."""
    with uow:
        book = _open_book(uow)
        stored = transparency.publish_checkpoint(uow, book.current_period, uow.log_authority)
        if stored is None:
            raise Conflict("the fund's book has no entry yet: there is nothing to sign")
        published = transparency.with_cosignatures(uow, stored)
        uow.commit()
    return published


def checkpoint(uow: LedgerUnitOfWork, tree_size: int | None = None) -> PublishedCheckpoint:
    with uow:
        _open_book(uow)
        return transparency.with_cosignatures(uow, transparency.stored_checkpoint(uow, tree_size))


def inclusion(
    uow: LedgerUnitOfWork, transaction_id: str, tree_size: int | None, from_size: int | None
) -> dict[str, Any]:
    with uow:
        _open_book(uow)
        return transparency.inclusion_proof(uow, transaction_id, tree_size, from_size)


def consistency(uow: LedgerUnitOfWork, old_size: int, new_size: int | None) -> dict[str, Any]:
    with uow:
        _open_book(uow)
        return transparency.consistency_proof(uow, old_size, new_size)


def identity(uow: LedgerUnitOfWork) -> LogIdentity:
    """The fund's log origin and verifier key (made on first use); a fund's log has no witness yet."""
    with uow:
        _open_book(uow)
        key = transparency.log_key(uow, uow.log_authority)
        uow.commit()
    return LogIdentity(key.origin, key.verifier_key, [])


# Who reads a fund's book ------------------------------------------------------------------------------


def of_the_community(
    estate_books: Callable[[str], LedgerUnitOfWork], estates: Iterable[str], community_code: str
) -> bool:
    """Whether one of ``estates`` (a person's, from its token) is an estate of ``community_code``, as
    the ledger knows it from the estate's books (the community the registry stated when they opened).
    Each estate is read in its own transaction, under its own row-level security."""
    for estate in sorted(estates):
        if not is_estate_code(estate):
            continue
        with estate_books(estate) as uow:
            profile = uow.books.profile(estate)
        if profile is not None and profile["community_code"] == community_code:
            return True
    return False
