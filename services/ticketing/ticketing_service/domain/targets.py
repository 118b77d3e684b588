"""Service targets of an estate: how fast residents' reports must be answered and fixed.

The model's promise is a fix "within the hour, even at night"; every estate starts from these
defaults and its owners may tighten or relax them later."""

from __future__ import annotations

from dataclasses import dataclass

from xinyi_shared.errors import InvalidInput

DEFAULT_FIRST_RESPONSE_MINUTES = 30
DEFAULT_RESOLUTION_MINUTES = 60


@dataclass(frozen=True)
class ServiceTargets:
    estate_code: str
    time_zone: str
    first_response_minutes: int = DEFAULT_FIRST_RESPONSE_MINUTES
    resolution_minutes: int = DEFAULT_RESOLUTION_MINUTES

    def __post_init__(self) -> None:
        if self.first_response_minutes <= 0 or self.resolution_minutes <= 0:
            raise InvalidInput("service targets must be positive durations")
        if self.first_response_minutes > self.resolution_minutes:
            raise InvalidInput("the first response cannot be due after the resolution")
