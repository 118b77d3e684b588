"""Posting to an estate's trust books, and announcing in the same transaction what the postings
changed in the month's published figures (``BooksMoved``): the committee's read side follows the
books from these events alone, and their sum over a month equals that month's statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from google.protobuf.message import Message

from ledger_service.domain.funds import community_of_book
from ledger_service.domain.postings import Transaction
from ledger_service.domain.trust_books import FeeBills, MonthMovement, ServicePostings, movements
from ledger_service.domain.views import PostedRef
from xinyi.ledger.v1 import events_pb2


class Journal(Protocol):
    def post(self, transactions: Sequence[Transaction], posted_by: str) -> list[PostedRef]: ...

    def post_fee_bills(self, bills: FeeBills, posted_by: str) -> list[str]: ...

    def post_service_postings(self, batch: ServicePostings, ids: Sequence[str], posted_by: str) -> list[PostedRef]: ...


class PostingWork(Protocol):
    estate_code: str

    @property
    def journal(self) -> Journal: ...

    def publish(self, message: Message) -> None: ...


def post_and_announce(work: PostingWork, transactions: Sequence[Transaction], posted_by: str) -> list[PostedRef]:
    """Post ``transactions`` and announce, per period, what they moved (a fund's books announce
    nothing here: the micro-fund service publishes the fund's figures)."""
    posted = work.journal.post(transactions, posted_by)
    if posted:
        for moved in movements(transactions):
            _announce(work, moved)
    return posted


def post_fee_bills_and_announce(work: PostingWork, bills: FeeBills, posted_by: str) -> list[str]:
    """Post a batch of bills (their transactions' ids, in order) and announce what they moved."""
    posted = work.journal.post_fee_bills(bills, posted_by)
    if posted:
        _announce(work, bills.movement())
    return posted


def post_service_postings_and_announce(
    work: PostingWork, batch: ServicePostings, ids: Sequence[str], posted_by: str
) -> list[PostedRef]:
    """Post other services' batch (in order, as the transactions ``ids``) and announce what it moved."""
    posted = work.journal.post_service_postings(batch, ids, posted_by)
    if posted:
        _announce(work, batch.movement())
    return posted


def _announce(work: PostingWork, moved: MonthMovement) -> None:
    if community_of_book(work.estate_code) is not None:
        return
    work.publish(
        events_pb2.BooksMoved(
            estate_code=work.estate_code,
            period=moved.period,
            fees_billed_fen=moved.fees_billed_fen,
            fees_collected_fen=moved.fees_collected_fen,
            income_fen=moved.income_fen,
            expenses_fen=moved.expenses_fen,
            budget_lines=[
                events_pb2.BudgetLineAmount(account=line, amount_fen=fen) for line, fen in moved.budget_lines.items()
            ],
            transactions=moved.transactions,
        )
    )
