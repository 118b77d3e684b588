"""Trust books in and out of PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from ledger_service.adapters.tenant_client import EstateInfo
from ledger_service.domain.books import Account, AccountType, EstateTerms, TrustBooks
from xinyi_shared.db import Executor, sql


class BooksRepository:
    def __init__(self, session: Executor) -> None:
        self.session = session

    def number_entries(self, estate_code: str) -> None:
        """Create the sequence that numbers the estate's entries (its first entry creates it if this
        never ran: see ``estate_sequence``, migration 0005)."""
        self.session.execute(sql("SELECT estate_sequence(:estate)"), {"estate": estate_code})

    def add(self, books: TrustBooks, opened_by_event: str, info: EstateInfo, first_period: str) -> bool:
        """Store newly opened books; False when the estate's books already exist (nothing written)."""
        inserted = self.session.execute(
            sql(
                "INSERT INTO trust_books (estate_code, fee_rate_fen_per_sqm_month, remuneration_share_bps, "
                "donation_share_bps, opened_by_event, estate_name, community_code, time_zone, district_code, first_period) "
                "VALUES (:estate, :rate, :remuneration, :donation, :event, :name, :community, :tz, :district, :first) "
                "ON CONFLICT (estate_code) DO NOTHING RETURNING estate_code"
            ),
            {
                "estate": books.terms.estate_code,
                "rate": books.terms.fee_rate_fen_per_sqm_month,
                "remuneration": books.terms.remuneration_share_bps,
                "donation": books.terms.donation_share_bps,
                "event": opened_by_event,
                "name": info.name,
                "community": info.community_code,
                "tz": info.time_zone,
                "district": info.district_code,
                "first": first_period,
            },
        ).first()
        if inserted is None:
            return False
        self.session.execute(
            sql(
                "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
                "VALUES (:estate, :code, :name, :name_zh, :type)"
            ),
            [
                {
                    "estate": books.terms.estate_code,
                    "code": a.code,
                    "name": a.name,
                    "name_zh": a.name_zh,
                    "type": a.type.value,
                }
                for a in books.accounts
            ],
        )
        return True

    def get(self, estate_code: str) -> TrustBooks | None:
        terms_row = self.session.execute(
            sql(
                "SELECT fee_rate_fen_per_sqm_month, remuneration_share_bps, donation_share_bps "
                "FROM trust_books WHERE estate_code = :estate AND kind = 'trust'"
            ),
            {"estate": estate_code},
        ).first()
        if terms_row is None:
            return None
        accounts = self.session.execute(
            sql("SELECT code, name, name_zh, type FROM accounts WHERE estate_code = :estate ORDER BY code"),
            {"estate": estate_code},
        ).all()
        terms = EstateTerms(
            estate_code=estate_code,
            fee_rate_fen_per_sqm_month=Decimal(format(Decimal(terms_row.fee_rate_fen_per_sqm_month).normalize(), "f")),
            remuneration_share_bps=terms_row.remuneration_share_bps,
            donation_share_bps=terms_row.donation_share_bps,
        )
        return TrustBooks(
            terms=terms,
            accounts=tuple(Account(r.code, r.name, r.name_zh, AccountType(r.type)) for r in accounts),
        )

    def profile(self, estate_code: str) -> dict[str, str] | None:
        """Name, community, time zone and status the books were opened with (or set by later events)."""
        row = (
            self.session.execute(
                sql(
                    "SELECT estate_name, community_code, time_zone, status FROM trust_books "
                    "WHERE estate_code = :estate AND kind = 'trust'"
                ),
                {"estate": estate_code},
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def set_status(self, estate_code: str, status: str) -> None:
        self.session.execute(
            sql("UPDATE trust_books SET status = :status WHERE estate_code = :estate AND kind = 'trust'"),
            {"status": status, "estate": estate_code},
        )

    def active_estates(self, district_code: str) -> list[str]:
        """The district's estates whose books take postings (a cross-estate read: system role only)."""
        return list(
            self.session.execute(
                sql(
                    "SELECT estate_code FROM trust_books WHERE status = 'active' AND kind = 'trust' "
                    "AND district_code = :district "
                    "ORDER BY estate_code"
                ),
                {"district": district_code},
            ).scalars()
        )
