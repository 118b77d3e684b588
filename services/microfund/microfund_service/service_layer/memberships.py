"""Use cases of fund memberships."""

from __future__ import annotations

from sqlalchemy.orm import Session

from microfund_service.adapters.memberships import MembershipRepository
from microfund_service.domain.membership import FundMembership
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound


def join_community_fund(session: Session, estate_code: str, community_code: str) -> bool:
    return MembershipRepository(session).add_if_missing(FundMembership(estate_code, community_code))


def fund_membership(database: Database, estate_code: str) -> FundMembership:
    with database.estate_session(estate_code) as session:
        membership = MembershipRepository(session).get(estate_code)
    if membership is None:
        raise NotFound(f"estate {estate_code!r} has not joined a community micro-fund")
    return membership
