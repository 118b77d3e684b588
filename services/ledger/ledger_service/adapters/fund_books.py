"""A community micro-fund's book in and out of PostgreSQL: its ``trust_books`` row of kind 'fund'
under the reserved code ``fund:<community>`` (migration 0011) and its chart in ``accounts``. Its
entries, periods, keys and log are the journal's and the log's own tables, under the same code."""

from __future__ import annotations

from ledger_service.domain.books import Account, AccountType
from ledger_service.domain.funds import FUND_CHART, FundBook, fund_book_code
from xinyi_shared.db import Executor, sql

FUND_TIME_ZONE = "Asia/Shanghai"  # a fund's calendar: the month its entries land in


class FundBooksRepository:
    def __init__(self, session: Executor, book_code: str) -> None:
        self.session = session
        self.book = book_code

    def add(self, community_code: str, name: str, opened_by: str) -> bool:
        """Open the fund's book with its chart; False when it was open already (nothing written)."""
        code = fund_book_code(community_code)
        inserted = self.session.execute(
            sql(
                "INSERT INTO trust_books (estate_code, kind, fee_rate_fen_per_sqm_month, remuneration_share_bps, "
                "donation_share_bps, opened_by_event, estate_name, community_code, time_zone, district_code, "
                "first_period) VALUES (:code, 'fund', 0, 0, 0, :by, :name, :community, :tz, '', "
                "to_char(now() AT TIME ZONE :tz, 'YYYY-MM')) ON CONFLICT (estate_code) DO NOTHING RETURNING estate_code"
            ),
            {"code": code, "by": opened_by, "name": name, "community": community_code, "tz": FUND_TIME_ZONE},
        ).first()
        if inserted is None:
            return False
        # The fund numbers its own entries, as an estate does.
        self.session.execute(sql("SELECT estate_sequence(:code)"), {"code": code})
        self.session.execute(
            sql(
                "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
                "VALUES (:book, :code, :name, :name_zh, :type)"
            ),
            [
                {"book": code, "code": a.code, "name": a.name, "name_zh": a.name_zh, "type": a.type.value}
                for a in FUND_CHART
            ],
        )
        return True

    def get(self) -> FundBook | None:
        """The fund's book as it is open (None when it is not), with the fund's calendar day."""
        row = self.session.execute(
            sql(
                "SELECT community_code, estate_name, first_period, (now() AT TIME ZONE time_zone)::date AS today "
                "FROM trust_books WHERE estate_code = :code AND kind = 'fund'"
            ),
            {"code": self.book},
        ).first()
        if row is None:
            return None
        accounts = self.session.execute(
            sql("SELECT code, name, name_zh, type FROM accounts WHERE estate_code = :code ORDER BY code"),
            {"code": self.book},
        ).all()
        return FundBook(
            community_code=row.community_code,
            name=row.estate_name,
            first_period=row.first_period,
            today=row.today,
            accounts=tuple(Account(r.code, r.name, r.name_zh, AccountType(r.type)) for r in accounts),
        )
