"""The journal in and out of PostgreSQL: transactions and their postings (append-only, balanced —
the database checks both), periods with their running totals, bills, settlements, payments and
idempotency keys."""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger_service.domain.postings import Line, Transaction
from xinyi_shared.errors import Conflict


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


class JournalRepository:
    def __init__(self, session: Session, estate_code: str) -> None:
        self.session = session
        self.estate = estate_code

    # Idempotency ------------------------------------------------------------------------------

    def once(self, key: str, body: dict[str, Any], action: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """Run ``action`` once per idempotency key: a retry with the same body gets the first
        response (replayed=True); the same key with another body is refused."""
        # Serialises concurrent requests that carry the same key.
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": zlib.crc32(f"{self.estate}/{key}".encode())}
        )
        replay = self.replayed(key, body)
        if replay is not None:
            return replay, True
        response = action()
        self.session.execute(
            text(
                "INSERT INTO idempotency_keys (estate_code, key, request_hash, response) "
                "VALUES (:estate, :key, :hash, CAST(:response AS jsonb))"
            ),
            {
                "estate": self.estate,
                "key": key,
                "hash": request_fingerprint(body),
                "response": json.dumps(response, default=str),
            },
        )
        return response, False

    # Periods ----------------------------------------------------------------------------------

    def period(self, period: str, *, for_update: bool = False) -> Any:
        """The period's row, created open when missing."""
        self.session.execute(
            text("INSERT INTO periods (estate_code, period) VALUES (:estate, :period) ON CONFLICT DO NOTHING"),
            {"estate": self.estate, "period": period},
        )
        lock = " FOR UPDATE" if for_update else ""
        return self.session.execute(
            text(
                "SELECT period, status, remuneration_basis_fen, remuneration_accrued_fen, statement "
                f"FROM periods WHERE estate_code = :estate AND period = :period{lock}"
            ),
            {"estate": self.estate, "period": period},
        ).one()

    def add_to_period_totals(self, period: str, basis_fen: int, accrued_fen: int) -> None:
        self.session.execute(
            text(
                "UPDATE periods SET remuneration_basis_fen = remuneration_basis_fen + :basis, "
                "remuneration_accrued_fen = remuneration_accrued_fen + :accrued "
                "WHERE estate_code = :estate AND period = :period"
            ),
            {"basis": basis_fen, "accrued": accrued_fen, "estate": self.estate, "period": period},
        )

    def close_period(self, period: str, closed_by: str, statement: dict[str, Any]) -> None:
        self.session.execute(
            text(
                "UPDATE periods SET status = 'closed', closed_at = now(), closed_by = :by, "
                "statement = CAST(:statement AS jsonb) WHERE estate_code = :estate AND period = :period"
            ),
            {"by": closed_by, "statement": json.dumps(statement), "estate": self.estate, "period": period},
        )

    def closed_periods(self) -> set[str]:
        return set(
            self.session.execute(
                text("SELECT period FROM periods WHERE estate_code = :estate AND status = 'closed'"),
                {"estate": self.estate},
            ).scalars()
        )

    # Transactions -----------------------------------------------------------------------------

    def post(self, transaction: Transaction, posted_by: str) -> uuid.UUID:
        transaction_id = uuid.uuid4()
        self.session.execute(
            text(
                "INSERT INTO transactions (id, estate_code, period, kind, memo, reverses, reference, posted_by) "
                "VALUES (:id, :estate, :period, :kind, :memo, :reverses, CAST(:reference AS jsonb), :by)"
            ),
            {
                "id": transaction_id,
                "estate": self.estate,
                "period": transaction.period,
                "kind": transaction.kind,
                "memo": transaction.memo,
                "reverses": uuid.UUID(transaction.reverses) if transaction.reverses else None,
                "reference": json.dumps(dict(transaction.reference), ensure_ascii=False),
                "by": posted_by,
            },
        )
        self.session.execute(
            text(
                "INSERT INTO postings (transaction_id, line, estate_code, account, household_id, amount_fen) "
                "VALUES (:tx, :line, :estate, :account, :household, :amount)"
            ),
            [
                {
                    "tx": transaction_id,
                    "line": number,
                    "estate": self.estate,
                    "account": line.account,
                    "household": uuid.UUID(line.household_id) if line.household_id else None,
                    "amount": line.amount_fen,
                }
                for number, line in enumerate(transaction.lines, start=1)
            ],
        )
        return transaction_id

    def transaction(self, transaction_id: uuid.UUID) -> tuple[Transaction, bool] | None:
        """The transaction and whether it has been reversed already."""
        row = self.session.execute(
            text(
                "SELECT t.period, t.kind, t.memo, t.reverses, t.reference, "
                "EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = t.id) AS reversed "
                "FROM transactions t WHERE t.id = :id"
            ),
            {"id": transaction_id},
        ).first()
        if row is None:
            return None
        lines = self.session.execute(
            text("SELECT account, amount_fen, household_id FROM postings WHERE transaction_id = :id ORDER BY line"),
            {"id": transaction_id},
        ).all()
        return (
            Transaction(
                kind=row.kind,
                period=row.period,
                lines=tuple(
                    Line(p.account, p.amount_fen, str(p.household_id) if p.household_id else None) for p in lines
                ),
                memo=row.memo,
                reverses=str(row.reverses) if row.reverses else None,
                reference=dict(row.reference),
            ),
            bool(row.reversed),
        )

    def transactions_of_year(self, year: int, through_period: str) -> list[Transaction]:
        rows = self.session.execute(
            text(
                "SELECT t.id, t.period, t.kind, t.memo, t.reverses, t.reference, p.account, p.amount_fen, p.household_id "
                "FROM transactions t JOIN postings p ON p.transaction_id = t.id "
                "WHERE t.estate_code = :estate AND t.period >= :first AND t.period <= :last ORDER BY t.seq, p.line"
            ),
            {"estate": self.estate, "first": f"{year:04d}-01", "last": through_period},
        ).all()
        grouped: dict[uuid.UUID, list[Any]] = {}
        for row in rows:
            grouped.setdefault(row.id, []).append(row)
        return [
            Transaction(
                kind=group[0].kind,
                period=group[0].period,
                lines=tuple(
                    Line(r.account, r.amount_fen, str(r.household_id) if r.household_id else None) for r in group
                ),
                memo=group[0].memo,
                reverses=str(group[0].reverses) if group[0].reverses else None,
                reference=dict(group[0].reference),
            )
            for group in grouped.values()
        ]

    def cash_before(self, period: str) -> int:
        return int(
            self.session.execute(
                text(
                    "SELECT coalesce(sum(p.amount_fen), 0) FROM postings p JOIN transactions t ON t.id = p.transaction_id "
                    "WHERE p.estate_code = :estate AND p.account = '1000' AND t.period < :period"
                ),
                {"estate": self.estate, "period": period},
            ).scalar_one()
        )

    def balances(self) -> dict[str, int]:
        rows = self.session.execute(
            text(
                "SELECT account, sum(amount_fen) AS balance FROM postings WHERE estate_code = :estate GROUP BY account"
            ),
            {"estate": self.estate},
        ).all()
        return {r.account: int(r.balance) for r in rows}

    def household_balances(self, household_id: uuid.UUID) -> dict[str, int]:
        rows = self.session.execute(
            text(
                "SELECT account, sum(amount_fen) AS balance FROM postings WHERE estate_code = :estate "
                "AND household_id = :household GROUP BY account"
            ),
            {"estate": self.estate, "household": household_id},
        ).all()
        return {r.account: int(r.balance) for r in rows}

    def entries(self, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT t.id, t.seq, t.period, t.kind, t.memo, t.reverses, t.posted_at, t.posted_by, "
                "jsonb_agg(jsonb_build_object('account', p.account, 'amount_fen', p.amount_fen, "
                "'household_id', p.household_id) ORDER BY p.line) AS lines "
                "FROM transactions t JOIN postings p ON p.transaction_id = t.id WHERE t.estate_code = :estate "
                "GROUP BY t.id ORDER BY t.seq DESC LIMIT :limit OFFSET :offset"
            ),
            {"estate": self.estate, "limit": limit, "offset": offset},
        ).mappings()
        return [dict(row) for row in rows]

    # Bills and payments -----------------------------------------------------------------------

    def billed_households(self, period: str) -> set[str]:
        return {
            str(h)
            for h in self.session.execute(
                text("SELECT household_id FROM bills WHERE estate_code = :estate AND period = :period"),
                {"estate": self.estate, "period": period},
            ).scalars()
        }

    def replayed(self, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The stored response of an idempotency key if it was used for this same request;
        Conflict when it was used for another."""
        row = self.session.execute(
            text("SELECT request_hash, response FROM idempotency_keys WHERE estate_code = :estate AND key = :key"),
            {"estate": self.estate, "key": key},
        ).first()
        if row is None:
            return None
        if row.request_hash != request_fingerprint(body):
            raise Conflict("this idempotency key was already used for a different request")
        return dict(row.response)

    def add_bill(
        self,
        bill_id: uuid.UUID,
        household_id: str,
        period: str,
        amount_fen: int,
        area_centi_sqm: int,
        rate: Any,
        occupied_days: int | None,
        billed_on: date,
        transaction_id: uuid.UUID,
    ) -> None:
        self.session.execute(
            text(
                "INSERT INTO bills (id, estate_code, household_id, period, amount_fen, area_centi_sqm, "
                "rate_fen_per_sqm_month, occupied_days, billed_on, transaction_id) VALUES (:id, :estate, :household, "
                ":period, :amount, :area, :rate, :days, :billed_on, :tx)"
            ),
            {
                "id": bill_id,
                "estate": self.estate,
                "household": uuid.UUID(household_id),
                "period": period,
                "amount": amount_fen,
                "area": area_centi_sqm,
                "rate": rate,
                "days": occupied_days,
                "billed_on": billed_on,
                "tx": transaction_id,
            },
        )

    def lock_household(self, household_id: str) -> None:
        """Serialises money movements of one household (payments, bills) without blocking others."""
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(:lock)"),
            {"lock": zlib.crc32(f"{self.estate}/household/{household_id}".encode())},
        )

    def open_bills(self, household_id: str) -> Sequence[Any]:
        return self.session.execute(
            text(
                "SELECT b.id, b.period, b.billed_on, b.amount_fen - coalesce(sum(s.amount_fen), 0) AS due "
                "FROM bills b LEFT JOIN bill_settlements s ON s.bill_id = b.id "
                "WHERE b.estate_code = :estate AND b.household_id = :household "
                "GROUP BY b.id HAVING b.amount_fen - coalesce(sum(s.amount_fen), 0) > 0 "
                "ORDER BY b.period, b.billed_on, b.id"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).all()

    def all_open_bills(self) -> Sequence[Any]:
        return self.session.execute(
            text(
                "SELECT b.id, b.household_id, b.period, b.billed_on, b.amount_fen - coalesce(sum(s.amount_fen), 0) AS due "
                "FROM bills b LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.estate_code = :estate "
                "GROUP BY b.id HAVING b.amount_fen - coalesce(sum(s.amount_fen), 0) > 0"
            ),
            {"estate": self.estate},
        ).all()

    def settle(self, bill_id: uuid.UUID, transaction_id: uuid.UUID, amount_fen: int) -> None:
        self.session.execute(
            text(
                "INSERT INTO bill_settlements (estate_code, bill_id, transaction_id, amount_fen) "
                "VALUES (:estate, :bill, :tx, :amount)"
            ),
            {"estate": self.estate, "bill": bill_id, "tx": transaction_id, "amount": amount_fen},
        )

    def add_payment(
        self,
        household_id: str,
        amount_fen: int,
        method: str,
        reference: str,
        received_on: date,
        transaction_id: uuid.UUID,
    ) -> uuid.UUID:
        payment_id = uuid.uuid4()
        self.session.execute(
            text(
                "INSERT INTO payments (id, estate_code, household_id, amount_fen, method, reference, received_on, "
                "transaction_id) VALUES (:id, :estate, :household, :amount, :method, :reference, :received, :tx)"
            ),
            {
                "id": payment_id,
                "estate": self.estate,
                "household": uuid.UUID(household_id),
                "amount": amount_fen,
                "method": method,
                "reference": reference,
                "received": received_on,
                "tx": transaction_id,
            },
        )
        return payment_id

    def bill_of_transaction(self, transaction_id: uuid.UUID) -> Any:
        return self.session.execute(
            text(
                "SELECT b.id, b.amount_fen - coalesce(sum(s.amount_fen), 0) AS due FROM bills b "
                "LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.transaction_id = :tx GROUP BY b.id"
            ),
            {"tx": transaction_id},
        ).one()

    def settlements_of(self, transaction_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        rows = self.session.execute(
            text("SELECT bill_id, amount_fen FROM bill_settlements WHERE transaction_id = :tx"), {"tx": transaction_id}
        ).all()
        return [(r.bill_id, int(r.amount_fen)) for r in rows]

    def prepaid_credits(self, household_ids: list[str]) -> dict[str, int]:
        """Prepaid credit (the credit balance of 2000) of each of these households that has one."""
        rows = self.session.execute(
            text(
                "SELECT household_id, -sum(amount_fen) AS credit FROM postings WHERE estate_code = :estate "
                "AND account = '2000' AND household_id = ANY(:ids) GROUP BY household_id HAVING sum(amount_fen) < 0"
            ),
            {"estate": self.estate, "ids": [uuid.UUID(h) for h in household_ids]},
        ).all()
        return {str(r.household_id): int(r.credit) for r in rows}

    def open_accounts(self) -> set[str]:
        return set(
            self.session.execute(
                text("SELECT code FROM accounts WHERE estate_code = :estate"), {"estate": self.estate}
            ).scalars()
        )

    def open_periods(self) -> list[str]:
        return list(
            self.session.execute(
                text("SELECT period FROM periods WHERE estate_code = :estate AND status = 'open' ORDER BY period"),
                {"estate": self.estate},
            ).scalars()
        )

    def bills_of(self, household_id: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT b.id, b.period, b.amount_fen, b.billed_on, b.area_centi_sqm, "
                "b.rate_fen_per_sqm_month::text AS rate, b.occupied_days, "
                "(b.amount_fen - coalesce(sum(s.amount_fen), 0))::bigint AS due_fen FROM bills b "
                "LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.estate_code = :estate "
                "AND b.household_id = :household GROUP BY b.id ORDER BY b.period"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).mappings()
        return [dict(row) for row in rows]

    def payments_of(self, household_id: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT id, amount_fen, method, reference, received_on, transaction_id FROM payments "
                "WHERE estate_code = :estate AND household_id = :household ORDER BY received_on, id"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).mappings()
        return [dict(row) for row in rows]
