"""Fund memberships in and out of PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from microfund_service.domain.membership import FundMembership


class MembershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_if_missing(self, membership: FundMembership) -> bool:
        row = self.session.execute(
            text(
                "INSERT INTO fund_memberships (estate_code, community_code) VALUES (:estate, :community) "
                "ON CONFLICT (estate_code) DO NOTHING RETURNING estate_code"
            ),
            {"estate": membership.estate_code, "community": membership.community_code},
        ).first()
        return row is not None

    def get(self, estate_code: str) -> FundMembership | None:
        row = self.session.execute(
            text("SELECT community_code FROM fund_memberships WHERE estate_code = :estate"), {"estate": estate_code}
        ).first()
        return FundMembership(estate_code, row.community_code) if row else None
