"""Use cases of the service targets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticketing_service.adapters.targets import TargetsRepository
from ticketing_service.domain.targets import ServiceTargets
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound


def adopt_default_targets(session: Session, estate_code: str, time_zone: str) -> bool:
    return TargetsRepository(session).add_if_missing(ServiceTargets(estate_code, time_zone))


def service_targets(database: Database, estate_code: str) -> ServiceTargets:
    with database.estate_session(estate_code) as session:
        targets = TargetsRepository(session).get(estate_code)
    if targets is None:
        raise NotFound(f"estate {estate_code!r} is not known to ticketing")
    return targets
