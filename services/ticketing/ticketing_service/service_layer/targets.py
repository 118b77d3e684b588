"""Use cases of the service targets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticketing_service.adapters.targets import TargetsRepository
from ticketing_service.domain.targets import ServiceTargets


def adopt_default_targets(session: Session, estate_code: str, time_zone: str) -> bool:
    return TargetsRepository(session).add_if_missing(ServiceTargets(estate_code, time_zone))
