"""The journal in and out of PostgreSQL: transactions and their postings (append-only, balanced —
the database checks both, once per statement), periods, per-period totals, bills, settlements and
payments. Writes are set-based (``unnest`` of arrays): one statement per table whatever the number
of rows, which is what keeps a payment at a handful of round trips and a billing chunk at a few."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger_service.domain.billing import NewBill
from ledger_service.domain.postings import Line, Transaction
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
from xinyi_shared.db import Executor, sql
from xinyi_shared.ids import new_id, new_ids
from xinyi_shared.pg_arrays import int_array, text_array, uuid_array


def household_lock_key(estate: str, household_id: str) -> int:
    return zlib.crc32(f"{estate}/household/{household_id}".encode())


class JournalRepository:
    def __init__(self, session: Executor, estate_code: str) -> None:
        self.session = session
        self.estate = estate_code

    # The estate ----------------------------------------------------------------------------------

    _CONTEXT = (
        "SELECT status, time_zone, estate_name, community_code, first_period, "
        "(now() AT TIME ZONE time_zone)::date AS today, "
        "(CAST(:household AS uuid) IS NOT NULL AND EXISTS (SELECT 1 FROM known_households k "
        " WHERE k.estate_code = :estate AND k.household_id = CAST(:household AS uuid))) AS knows_household "
        "FROM trust_books WHERE estate_code = :estate AND kind = 'trust'"
    )

    def context(self, household_id: str | None = None) -> EstateContext | None:
        """The books' status and calendar (and whether the ledger knows ``household_id``), in one read."""
        row = self.session.execute(sql(self._CONTEXT), {"estate": self.estate, "household": household_id}).first()
        return self._context_of(row)

    def claim_and_context(
        self, key: str, fingerprint: str, household_id: str | None = None
    ) -> tuple[bool, EstateContext | None]:
        """Claim an idempotency key (see ``IdempotencyKeys.claim``) and read :meth:`context`, in one
        round trip: whether the key was new, and the books."""
        row = self.session.execute(
            sql(
                "WITH claim AS (INSERT INTO idempotency_keys (estate_code, key, request_hash) "
                "VALUES (:estate, :key, :hash) ON CONFLICT DO NOTHING RETURNING true AS claimed) "
                "SELECT (SELECT claimed FROM claim) AS claimed, books.* FROM (SELECT 1) AS one "
                f"LEFT JOIN ({self._CONTEXT}) AS books ON true"
            ),
            {"estate": self.estate, "household": household_id, "key": key, "hash": fingerprint},
        ).one()
        return bool(row.claimed), self._context_of(row if row.status is not None else None)

    def _context_of(self, row: Any) -> EstateContext | None:
        if row is None:
            return None
        return EstateContext(
            estate_code=self.estate,
            status=row.status,
            time_zone=row.time_zone,
            estate_name=row.estate_name,
            community_code=row.community_code,
            first_period=row.first_period,
            today=row.today,
            knows_household=bool(row.knows_household),
        )

    def open_accounts(self) -> set[str]:
        return set(
            self.session.execute(
                sql("SELECT code FROM accounts WHERE estate_code = :estate"), {"estate": self.estate}
            ).scalars()
        )

    # Periods ---------------------------------------------------------------------------------------

    def period_status(self, period: str) -> str | None:
        """The period's status, or None when nothing was ever posted in it (a read: creates nothing)."""
        return self.session.execute(
            sql("SELECT status FROM periods WHERE estate_code = :estate AND period = :period"),
            {"estate": self.estate, "period": period},
        ).scalar()

    def hold_period(self, period: str, *, households: Sequence[str] = ()) -> str:
        """Lock ``households`` (their money moves one at a time) and hold the period open for this
        transaction: a key-share lock, which concurrent postings share and a close waits for.
        Creates the period's row on its first posting; returns its status."""
        keys = sorted({household_lock_key(self.estate, h) for h in households})
        statement = (
            "SELECT (SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k) AS locked, "
            "(SELECT status FROM periods WHERE estate_code = :estate AND period = :period FOR KEY SHARE) AS status"
        )
        params = {"keys": int_array(keys), "estate": self.estate, "period": period}
        status = self.session.execute(sql(statement), params).one().status
        if status is None:
            self.session.execute(
                sql("INSERT INTO periods (estate_code, period) VALUES (:estate, :period) ON CONFLICT DO NOTHING"),
                {"estate": self.estate, "period": period},
            )
            status = self.session.execute(sql(statement), {**params, "keys": int_array([])}).one().status
        return str(status)

    def lock_period_for_close(self, period: str) -> str | None:
        """Exclusive: waits for every posting holding the period, and keeps new ones out until commit."""
        self.session.execute(
            sql("INSERT INTO periods (estate_code, period) VALUES (:estate, :period) ON CONFLICT DO NOTHING"),
            {"estate": self.estate, "period": period},
        )
        return self.session.execute(
            sql("SELECT status FROM periods WHERE estate_code = :estate AND period = :period FOR UPDATE"),
            {"estate": self.estate, "period": period},
        ).scalar()

    def lock_period_for_accrual(self, period: str, *, wait: bool) -> str | None:
        """Serialises remuneration accruals of a period without blocking postings (which hold a
        key-share lock, compatible with this one). None when the period has no row, or is locked
        by another accrual and ``wait`` is false."""
        skip = "" if wait else " SKIP LOCKED"
        return self.session.execute(
            sql(f"SELECT status FROM periods WHERE estate_code = :estate AND period = :period FOR NO KEY UPDATE{skip}"),
            {"estate": self.estate, "period": period},
        ).scalar()

    def close_period(self, period: str, closed_by: str, statement: dict[str, Any]) -> None:
        self.session.execute(
            sql(
                "UPDATE periods SET status = 'closed', closed_at = now(), closed_by = :by, "
                "statement = CAST(:statement AS jsonb) WHERE estate_code = :estate AND period = :period"
            ),
            {"by": closed_by, "statement": json.dumps(statement), "estate": self.estate, "period": period},
        )

    def closed_statement(self, period: str) -> dict[str, Any] | None:
        row = self.session.execute(
            sql("SELECT status, statement FROM periods WHERE estate_code = :estate AND period = :period"),
            {"estate": self.estate, "period": period},
        ).first()
        if row is None or row.status != "closed" or row.statement is None:
            return None
        return dict(row.statement)

    def periods_with_status(self) -> dict[str, str]:
        rows = self.session.execute(
            sql("SELECT period, status FROM periods WHERE estate_code = :estate"), {"estate": self.estate}
        ).all()
        return {r.period: r.status for r in rows}

    # Totals ------------------------------------------------------------------------------------------

    def totals(self, first_period: str, last_period: str) -> list[PeriodTotal]:
        """Net fen per (period, account, kind) from ``first_period`` through ``last_period``."""
        rows = self.session.execute(
            sql(
                "SELECT period, account, kind, sum(amount_fen)::bigint AS amount FROM period_totals "
                "WHERE estate_code = :estate AND period >= :first AND period <= :last "
                "GROUP BY period, account, kind HAVING sum(amount_fen) <> 0"
            ),
            {"estate": self.estate, "first": first_period, "last": last_period},
        ).all()
        return [PeriodTotal(r.period, r.account, r.kind, int(r.amount)) for r in rows]

    def cash_before(self, period: str) -> int:
        return int(
            self.session.execute(
                sql(
                    "SELECT coalesce(sum(amount_fen), 0) FROM period_totals "
                    "WHERE estate_code = :estate AND account = '1000' AND period < :period"
                ),
                {"estate": self.estate, "period": period},
            ).scalar_one()
        )

    def balances(self) -> dict[str, int]:
        rows = self.session.execute(
            sql(
                "SELECT account, sum(amount_fen)::bigint AS balance FROM period_totals WHERE estate_code = :estate "
                "GROUP BY account"
            ),
            {"estate": self.estate},
        ).all()
        return {r.account: int(r.balance) for r in rows}

    # Transactions ----------------------------------------------------------------------------------

    def post(self, transactions: Sequence[Transaction], posted_by: str) -> list[PostedRef]:
        """Post ``transactions`` (in order) and all their lines: one statement whatever their number."""
        if not transactions:
            return []
        ids = new_ids(len(transactions))
        lines = [
            (transaction_id, number, line)
            for transaction_id, transaction in zip(ids, transactions, strict=True)
            for number, line in enumerate(transaction.lines, start=1)
        ]
        return self._insert(
            posted_by,
            ids,
            {
                "periods": text_array([t.period for t in transactions]),
                "kinds": text_array([t.kind for t in transactions]),
                "memos": text_array([t.memo for t in transactions]),
                "reverses": uuid_array([t.reverses or None for t in transactions]),
                "references": text_array([json.dumps(dict(t.reference), ensure_ascii=False) for t in transactions]),
                "line_tx": uuid_array([transaction_id for transaction_id, _, _ in lines]),
                "line_no": int_array([number for _, number, _ in lines]),
                "accounts": text_array([line.account for _, _, line in lines]),
                "households": uuid_array([line.household_id or None for _, _, line in lines]),
                "amounts": int_array([line.amount_fen for _, _, line in lines]),
            },
        )

    def post_service_postings(self, batch: ServicePostings, ids: Sequence[str], posted_by: str) -> list[PostedRef]:
        """Post other services' batch from its columns (no reversal, no reference, no household), as
        the transactions ``ids`` (one per transaction of the batch, in order)."""
        if not len(batch):
            return []
        chosen = list(ids)
        if len(chosen) != len(batch):
            raise ValueError("one id per transaction of the batch")
        line_tx: list[str] = []
        line_no: list[int] = []
        for transaction_id, lines in zip(chosen, batch.lines, strict=True):
            line_tx.extend([transaction_id] * len(lines))
            line_no.extend(range(1, len(lines) + 1))
        return self._insert(
            posted_by,
            chosen,
            {
                "periods": text_array([batch.period] * len(chosen)),
                "kinds": text_array(batch.kinds),
                "memos": text_array(batch.memos),
                "reverses": uuid_array([None] * len(chosen)),
                "references": text_array(["{}"] * len(chosen)),
                "line_tx": uuid_array(line_tx),
                "line_no": int_array(line_no),
                "accounts": text_array([account for lines in batch.lines for account, _, _ in lines]),
                "households": uuid_array([None] * len(line_tx)),
                "amounts": int_array([amount for lines in batch.lines for _, amount, _ in lines]),
            },
        )

    def _insert(self, posted_by: str, ids: list[str], columns: dict[str, str]) -> list[PostedRef]:
        numbered = self.session.execute(
            sql(
                "WITH tx AS (INSERT INTO transactions (id, estate_code, period, kind, memo, reverses, reference, "
                "posted_by, estate_seq) SELECT id, :estate, period, kind, memo, reverses, reference, :by, "
                "nextval((SELECT estate_sequence(:estate))) FROM unnest("
                "CAST(:ids AS uuid[]), CAST(:periods AS text[]), CAST(:kinds AS text[]), CAST(:memos AS text[]), "
                "CAST(:reverses AS uuid[]), CAST(:references AS jsonb[])) "
                "WITH ORDINALITY AS t(id, period, kind, memo, reverses, reference, n) ORDER BY n "
                "RETURNING id, estate_seq), "
                "lines AS (INSERT INTO postings (transaction_id, line, estate_code, account, household_id, amount_fen) "
                "SELECT tx_id, line, :estate, account, household, amount FROM unnest(CAST(:line_tx AS uuid[]), "
                "CAST(:line_no AS smallint[]), CAST(:accounts AS text[]), CAST(:households AS uuid[]), "
                "CAST(:amounts AS bigint[])) AS l(tx_id, line, account, household, amount)) "
                # One row of two arrays: a thousand rows cost the caller more to load than their SQL.
                "SELECT array_agg(id::text) AS ids, array_agg(estate_seq) AS numbers FROM tx"
            ),
            {"estate": self.estate, "by": posted_by, "ids": uuid_array(ids), **columns},
        ).one()
        numbers = dict(zip(numbered.ids, numbered.numbers, strict=True))
        return [PostedRef(transaction_id, numbers[transaction_id]) for transaction_id in ids]

    def post_fee_bills(self, bills: FeeBills, posted_by: str) -> list[str]:
        """Post a batch of bills, the lines built by the statement from one array per column (the
        statement-level checks of ``postings`` hold them to the same rules as any posting); returns
        their transactions' ids, in order."""
        if not len(bills):
            return []
        ids = new_ids(len(bills))
        self.session.execute(
            sql(
                "WITH b AS MATERIALIZED (SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:bill_ids AS text[]), "
                "CAST(:households AS uuid[]), CAST(:amounts AS bigint[])) WITH ORDINALITY AS b(id, bill_id, household, "
                "amount, n)), "
                "tx AS (INSERT INTO transactions (id, estate_code, period, kind, memo, reference, posted_by, estate_seq) "
                "SELECT id, :estate, :period, :kind, :memo, jsonb_build_object('bill_id', bill_id), :by, "
                "nextval((SELECT estate_sequence(:estate))) FROM b ORDER BY n) "
                "INSERT INTO postings (transaction_id, line, estate_code, account, household_id, amount_fen) "
                "SELECT b.id, 1::smallint, :estate, :debit, b.household, b.amount FROM b "
                "UNION ALL SELECT b.id, 2::smallint, :estate, :credit, NULL, -b.amount FROM b"
            ),
            {
                "estate": self.estate,
                "by": posted_by,
                "period": bills.period,
                "kind": str(bills.kind),
                "memo": bills.memo,
                "debit": bills.debit_account,
                "credit": bills.credit_account,
                "ids": uuid_array(ids),
                "bill_ids": text_array(bills.bill_ids),
                "households": uuid_array(bills.household_ids),
                "amounts": int_array(bills.amounts_fen),
            },
        )
        return ids

    def transaction(self, transaction_id: uuid.UUID) -> tuple[Transaction, bool] | None:
        """The transaction and whether it has been reversed already."""
        rows = self.session.execute(
            sql(
                "SELECT t.period, t.kind, t.memo, t.reverses, t.reference, "
                "EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = t.id) AS reversed, "
                "p.account, p.amount_fen, p.household_id "
                "FROM transactions t JOIN postings p ON p.transaction_id = t.id WHERE t.id = :id ORDER BY p.line"
            ),
            {"id": transaction_id},
        ).all()
        if not rows:
            return None
        first = rows[0]
        return (
            Transaction(
                kind=first.kind,
                period=first.period,
                lines=tuple(
                    Line(r.account, int(r.amount_fen), str(r.household_id) if r.household_id else None) for r in rows
                ),
                memo=first.memo,
                reverses=str(first.reverses) if first.reverses else None,
                reference=dict(first.reference),
            ),
            bool(first.reversed),
        )

    def entries(self, limit: int, before: int | None) -> list[EntryView]:
        """The newest ``limit`` entries (numbered below ``before`` when given), then their lines."""
        heads = self.session.execute(
            sql(
                "SELECT id, estate_seq, period, kind, memo, reverses, posted_at, posted_by FROM transactions "
                "WHERE estate_code = :estate AND (CAST(:before AS bigint) IS NULL OR estate_seq < :before) "
                "ORDER BY estate_seq DESC LIMIT :limit"
            ),
            {"estate": self.estate, "before": before, "limit": limit},
        ).all()
        if not heads:
            return []
        lines: dict[uuid.UUID, list[EntryLine]] = {}
        for row in self.session.execute(
            sql(
                "SELECT transaction_id, account, amount_fen, household_id FROM postings "
                "WHERE transaction_id = ANY(:ids) ORDER BY transaction_id, line"
            ),
            {"ids": [h.id for h in heads]},
        ):
            lines.setdefault(row.transaction_id, []).append(
                EntryLine(row.account, int(row.amount_fen), str(row.household_id) if row.household_id else None)
            )
        return [
            EntryView(
                id=str(h.id),
                number=int(h.estate_seq),
                period=h.period,
                kind=h.kind,
                memo=h.memo,
                reverses=str(h.reverses) if h.reverses else None,
                posted_at=h.posted_at,
                posted_by=h.posted_by,
                lines=lines.get(h.id, []),
            )
            for h in heads
        ]

    def household_balances(self, household_id: str) -> dict[str, int]:
        rows = self.session.execute(
            sql(
                "SELECT account, sum(amount_fen)::bigint AS balance FROM postings WHERE estate_code = :estate "
                "AND household_id = :household GROUP BY account"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).all()
        return {r.account: int(r.balance) for r in rows}

    # Bills and payments ------------------------------------------------------------------------------

    def open_bills(self, household_id: str) -> list[OpenBill]:
        rows = self.session.execute(
            sql(
                "SELECT b.id, b.period, b.billed_on, "
                "b.amount_fen - coalesce((SELECT sum(s.amount_fen) FROM bill_settlements s WHERE s.bill_id = b.id), 0) "
                "AS due FROM bills b WHERE b.estate_code = :estate AND b.household_id = :household "
                "ORDER BY b.period, b.billed_on, b.id"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).all()
        return [OpenBill(str(r.id), r.period, int(r.due), r.billed_on) for r in rows if int(r.due) > 0]

    def open_bills_page(self, limit: int, after_household: str | None) -> list[tuple[str, OpenBill]]:
        """Open bills of the households after ``after_household`` (in id order), ``limit`` households."""
        rows = self.session.execute(
            sql(
                "WITH due AS (SELECT b.id, b.household_id, b.period, b.billed_on, b.amount_fen - coalesce("
                "(SELECT sum(s.amount_fen) FROM bill_settlements s WHERE s.bill_id = b.id), 0) AS due "
                "FROM bills b WHERE b.estate_code = :estate "
                "AND (CAST(:after AS uuid) IS NULL OR b.household_id > CAST(:after AS uuid))), "
                "owing AS (SELECT DISTINCT household_id FROM due WHERE due > 0 ORDER BY household_id LIMIT :limit) "
                "SELECT d.* FROM due d JOIN owing o USING (household_id) WHERE d.due > 0 ORDER BY d.household_id"
            ),
            {"estate": self.estate, "after": after_household, "limit": limit},
        ).all()
        return [(str(r.household_id), OpenBill(str(r.id), r.period, int(r.due), r.billed_on)) for r in rows]

    def all_open_bills(self) -> list[OpenBill]:
        rows = self.session.execute(
            sql(
                "SELECT b.id, b.period, b.billed_on, b.amount_fen - coalesce(sum(s.amount_fen), 0) AS due "
                "FROM bills b LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.estate_code = :estate "
                "GROUP BY b.id HAVING b.amount_fen - coalesce(sum(s.amount_fen), 0) > 0"
            ),
            {"estate": self.estate},
        ).all()
        return [OpenBill(str(r.id), r.period, int(r.due), r.billed_on) for r in rows]

    def settle(self, settlements: Iterable[tuple[str, str, int]]) -> None:
        """Record (bill id, transaction id, fen) settlements in one statement."""
        items = list(settlements)
        if not items:
            return
        self.session.execute(
            sql(
                "INSERT INTO bill_settlements (estate_code, bill_id, transaction_id, amount_fen) "
                "SELECT :estate, bill, tx, amount FROM unnest(CAST(:bills AS uuid[]), CAST(:txs AS uuid[]), "
                "CAST(:amounts AS bigint[])) AS s(bill, tx, amount)"
            ),
            {
                "estate": self.estate,
                "bills": uuid_array([bill for bill, _, _ in items]),
                "txs": uuid_array([tx for _, tx, _ in items]),
                "amounts": int_array([fen for _, _, fen in items]),
            },
        )

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
        """Record the payment and the (bill id, fen) it settles, in one statement."""
        payment_id = new_id()
        self.session.execute(
            sql(
                "WITH settled AS (INSERT INTO bill_settlements (estate_code, bill_id, transaction_id, amount_fen) "
                "SELECT :estate, bill, CAST(:tx AS uuid), amount FROM unnest(CAST(:bills AS uuid[]), "
                "CAST(:amounts AS bigint[])) AS s(bill, amount)) "
                "INSERT INTO payments (id, estate_code, household_id, amount_fen, method, reference, received_on, "
                "transaction_id) VALUES (CAST(:id AS uuid), :estate, :household, :amount, :method, :reference, :received, "
                "CAST(:tx AS uuid))"
            ),
            {
                "id": payment_id,
                "estate": self.estate,
                "household": uuid.UUID(household_id),
                "amount": amount_fen,
                "method": method,
                "reference": reference,
                "received": received_on,
                "tx": uuid.UUID(transaction_id),
                "bills": uuid_array([bill for bill, _ in settlements]),
                "amounts": int_array([fen for _, fen in settlements]),
            },
        )
        return payment_id

    def bill_of_transaction(self, transaction_id: uuid.UUID) -> tuple[str, int] | None:
        """The bill a ``fee_billed`` transaction posted, with what is still due on it."""
        row = self.session.execute(
            sql(
                "SELECT b.id, b.amount_fen - coalesce(sum(s.amount_fen), 0) AS due FROM bills b "
                "LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.transaction_id = :tx GROUP BY b.id"
            ),
            {"tx": transaction_id},
        ).first()
        return (str(row.id), int(row.due)) if row else None

    def settlements_of(self, transaction_id: uuid.UUID) -> list[tuple[str, int]]:
        rows = self.session.execute(
            sql("SELECT bill_id, amount_fen FROM bill_settlements WHERE transaction_id = :tx"), {"tx": transaction_id}
        ).all()
        return [(str(r.bill_id), int(r.amount_fen)) for r in rows]

    def bills_of(self, household_id: str) -> list[BillView]:
        rows = self.session.execute(
            sql(
                "SELECT b.id, b.period, b.amount_fen, b.billed_on, b.area_centi_sqm, "
                "b.rate_fen_per_sqm_month::text AS rate, b.occupied_days, "
                "(b.amount_fen - coalesce(sum(s.amount_fen), 0))::bigint AS due_fen FROM bills b "
                "LEFT JOIN bill_settlements s ON s.bill_id = b.id WHERE b.estate_code = :estate "
                "AND b.household_id = :household GROUP BY b.id ORDER BY b.period"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).all()
        return [
            BillView(
                id=str(r.id),
                period=r.period,
                amount_fen=int(r.amount_fen),
                billed_on=r.billed_on,
                area_centi_sqm=int(r.area_centi_sqm),
                rate=r.rate,
                occupied_days=r.occupied_days,
                due_fen=int(r.due_fen),
            )
            for r in rows
        ]

    def payments_of(self, household_id: str) -> list[PaymentView]:
        rows = self.session.execute(
            sql(
                "SELECT id, amount_fen, method, reference, received_on, transaction_id FROM payments "
                "WHERE estate_code = :estate AND household_id = :household ORDER BY received_on, id"
            ),
            {"estate": self.estate, "household": uuid.UUID(household_id)},
        ).all()
        return [
            PaymentView(
                id=str(r.id),
                amount_fen=int(r.amount_fen),
                method=r.method,
                reference=r.reference,
                received_on=r.received_on,
                transaction_id=str(r.transaction_id),
            )
            for r in rows
        ]

    def has_entries_of(self, household_id: str) -> bool:
        return (
            self.session.execute(
                sql("SELECT 1 FROM postings WHERE estate_code = :estate AND household_id = :household LIMIT 1"),
                {"estate": self.estate, "household": uuid.UUID(household_id)},
            ).first()
            is not None
        )

    # Billing jobs ------------------------------------------------------------------------------------

    def billed_in_period(self, period: str, household_ids: Sequence[str], job_id: str) -> dict[str, tuple[bool, int]]:
        """Which of ``household_ids`` have their bill of ``period`` already, in one statement:
        household → (billed by job ``job_id``, the bill's amount)."""
        if not household_ids:
            return {}
        rows = self.session.execute(
            sql(
                "SELECT b.household_id, b.billing_job_id IS NOT DISTINCT FROM CAST(:job AS uuid) AS ours, b.amount_fen "
                "FROM bills b WHERE b.estate_code = :estate AND b.period = :period "
                "AND b.household_id = ANY(CAST(:households AS uuid[]))"
            ),
            {
                "estate": self.estate,
                "period": period,
                "job": uuid.UUID(job_id),
                "households": uuid_array(household_ids),
            },
        ).all()
        return {str(r.household_id): (bool(r.ours), int(r.amount_fen)) for r in rows}

    def prepaid_credits(self, household_ids: Sequence[str]) -> dict[str, int]:
        """The prepaid credit (credit balance of 2000, > 0) of those of ``household_ids`` that have one."""
        if not household_ids:
            return {}
        rows = self.session.execute(
            sql(
                "SELECT household_id, -sum(amount_fen)::bigint AS credit FROM postings "
                "WHERE estate_code = :estate AND account = '2000' AND household_id = ANY(CAST(:households AS uuid[])) "
                "GROUP BY household_id HAVING sum(amount_fen) < 0"
            ),
            {"estate": self.estate, "households": uuid_array(household_ids)},
        ).all()
        return {str(r.household_id): int(r.credit) for r in rows}

    def add_bills(
        self,
        period: str,
        billed_on: date,
        rate_fen_per_sqm_month: Decimal,
        bills: Sequence[NewBill],
        billing_job_id: str | None = None,
    ) -> None:
        """Record ``bills`` of ``period`` in one statement (a household's second bill of a month is
        refused by the table's unique constraint)."""
        if not bills:
            return
        self.session.execute(
            sql(
                "INSERT INTO bills (id, estate_code, household_id, period, amount_fen, area_centi_sqm, "
                "rate_fen_per_sqm_month, occupied_days, billed_on, transaction_id, billing_job_id) "
                "SELECT id, :estate, household, :period, amount, area, :rate, days, :billed_on, tx, "
                "CAST(:job AS uuid) FROM unnest(CAST(:ids AS uuid[]), CAST(:households AS uuid[]), "
                "CAST(:amounts AS bigint[]), CAST(:areas AS bigint[]), CAST(:days AS integer[]), CAST(:txs AS uuid[])) "
                "AS b(id, household, amount, area, days, tx)"
            ),
            {
                "estate": self.estate,
                "period": period,
                "rate": rate_fen_per_sqm_month,
                "billed_on": billed_on,
                "job": uuid.UUID(billing_job_id) if billing_job_id else None,
                "ids": uuid_array([b.bill_id for b in bills]),
                "households": uuid_array([b.household_id for b in bills]),
                "amounts": int_array([b.amount_fen for b in bills]),
                "areas": int_array([b.area_centi_sqm for b in bills]),
                "days": int_array([b.occupied_days for b in bills]),
                "txs": uuid_array([b.transaction_id for b in bills]),
            },
        )
