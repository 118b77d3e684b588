"""Service targets of an estate: how fast residents' reports must be answered and fixed.

The model's promise is a fix "within the hour, even at night"; every estate starts from these
defaults and its owners may tighten or relax them later.

An estate has one pair of targets (first response, resolution) that applies to every category and
urgency, and may override it for a category at every urgency (``urgency=None``) or for one category
at one urgency; the most specific override wins. Targets are wall time: nights and holidays count.
The estate also sets its categories (the ten defaults unless it chooses its own), the escalation
grace (by default the same target again), the delay before a resolved ticket is confirmed for a
silent resident, and how long a confirmed ticket may still be reopened. A ticket takes a snapshot of
these terms (:class:`SlaTerms`) when it is reported, so changing an estate's targets never rewrites
the record of tickets already reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from xinyi_shared.errors import InvalidInput

DEFAULT_FIRST_RESPONSE_MINUTES = 30
DEFAULT_RESOLUTION_MINUTES = 60
DEFAULT_AUTO_CONFIRM_MINUTES = 3 * 24 * 60  # a resolved ticket the resident does not answer: 3 days
DEFAULT_REOPEN_WINDOW_MINUTES = 7 * 24 * 60  # a confirmed ticket may be reopened for 7 days
MAX_TARGET_MINUTES = 366 * 24 * 60  # a year: longer is not a service target
MAX_WINDOW_MINUTES = 90 * 24 * 60
MAX_CATEGORIES = 50

CATEGORY_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_CATEGORY_CODE = re.compile(CATEGORY_CODE_PATTERN.removeprefix("^").removesuffix("$"))


class Urgency(StrEnum):
    """紧急程度 — how urgent the reporter (or the firm, on triage) says a problem is."""

    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Category(StrEnum):
    """The default categories of reports; an estate may configure its own codes instead."""

    LIGHTING = "lighting"  # 照明
    PLUMBING = "plumbing"  # 给排水
    ELEVATOR = "elevator"  # 电梯
    CLEANING = "cleaning"  # 保洁
    GREENING = "greening"  # 绿化
    SECURITY = "security"  # 安保
    PARKING = "parking"  # 停车
    NOISE = "noise"  # 噪音
    NEIGHBOUR_DISPUTE = "neighbour_dispute"  # 邻里纠纷
    OTHER = "other"  # 其他


DEFAULT_CATEGORIES: tuple[str, ...] = tuple(category.value for category in Category)


def category_code(value: object) -> str:
    """A category code: 1-40 lower-case letters, digits and underscores, starting with a letter."""
    if not isinstance(value, str) or _CATEGORY_CODE.fullmatch(value) is None:
        raise InvalidInput("a category is 1-40 lower-case letters, digits and underscores, starting with a letter")
    return value


def urgency_of(value: object) -> Urgency:
    if isinstance(value, str):
        try:
            return Urgency(value)
        except ValueError:
            pass
    raise InvalidInput(f"urgency must be one of {', '.join(u.value for u in Urgency)}")


def _minutes(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number of minutes")
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high} minutes")
    return value


def _check_pair(first_response_minutes: object, resolution_minutes: object) -> None:
    if isinstance(first_response_minutes, bool) or not isinstance(first_response_minutes, int):
        raise InvalidInput("first_response_minutes must be a whole number of minutes")
    if isinstance(resolution_minutes, bool) or not isinstance(resolution_minutes, int):
        raise InvalidInput("resolution_minutes must be a whole number of minutes")
    if first_response_minutes <= 0 or resolution_minutes <= 0:
        raise InvalidInput("service targets must be positive durations")
    if first_response_minutes > resolution_minutes:
        raise InvalidInput("the first response cannot be due after the resolution")
    if resolution_minutes > MAX_TARGET_MINUTES:
        raise InvalidInput(f"a service target must be at most {MAX_TARGET_MINUTES} minutes (a year)")


@dataclass(frozen=True)
class CategoryTarget:
    """An estate's targets for one category, at one urgency or (``urgency=None``) at every urgency."""

    category: str
    urgency: Urgency | None
    first_response_minutes: int
    resolution_minutes: int

    def __post_init__(self) -> None:
        category_code(self.category)
        if self.urgency is not None:
            object.__setattr__(self, "urgency", urgency_of(self.urgency))
        _check_pair(self.first_response_minutes, self.resolution_minutes)


@dataclass(frozen=True)
class SlaTerms:
    """The terms a ticket is measured by, fixed when it is reported (and when the firm reclassifies it).

    The response is due ``first_response_minutes`` after the report, the resolution
    ``resolution_minutes`` after it; a missed deadline escalates to the firm manager at once and to
    the community officer after its grace. A resolved ticket is confirmed for a silent resident after
    ``auto_confirm_minutes``; a confirmed one may be reopened for ``reopen_window_minutes`` (0: not
    at all), then closes."""

    first_response_minutes: int
    resolution_minutes: int
    first_response_grace_minutes: int
    resolution_grace_minutes: int
    auto_confirm_minutes: int
    reopen_window_minutes: int

    def __post_init__(self) -> None:
        _check_pair(self.first_response_minutes, self.resolution_minutes)
        _minutes("first_response_grace_minutes", self.first_response_grace_minutes, 1, MAX_TARGET_MINUTES)
        _minutes("resolution_grace_minutes", self.resolution_grace_minutes, 1, MAX_TARGET_MINUTES)
        _minutes("auto_confirm_minutes", self.auto_confirm_minutes, 1, MAX_WINDOW_MINUTES)
        _minutes("reopen_window_minutes", self.reopen_window_minutes, 0, MAX_WINDOW_MINUTES)


@dataclass(frozen=True)
class ServiceTargets:
    estate_code: str
    time_zone: str
    first_response_minutes: int = DEFAULT_FIRST_RESPONSE_MINUTES
    resolution_minutes: int = DEFAULT_RESOLUTION_MINUTES
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    overrides: tuple[CategoryTarget, ...] = ()
    escalation_grace_minutes: int | None = None  # None: the missed target again
    auto_confirm_minutes: int = DEFAULT_AUTO_CONFIRM_MINUTES
    reopen_window_minutes: int = DEFAULT_REOPEN_WINDOW_MINUTES

    def __post_init__(self) -> None:
        _check_pair(self.first_response_minutes, self.resolution_minutes)
        if isinstance(self.categories, str) or not isinstance(self.categories, Iterable):
            raise InvalidInput("categories must be a list of category codes")
        categories = tuple(category_code(category) for category in self.categories)
        if not 1 <= len(categories) <= MAX_CATEGORIES:
            raise InvalidInput(f"an estate has 1 to {MAX_CATEGORIES} categories")
        if len(set(categories)) != len(categories):
            raise InvalidInput("a category is listed twice")
        object.__setattr__(self, "categories", categories)
        if isinstance(self.overrides, str) or not isinstance(self.overrides, Iterable):
            raise InvalidInput("overrides must be a list of category targets")
        overrides = tuple(self.overrides)
        seen: set[tuple[str, Urgency | None]] = set()
        for override in overrides:
            if not isinstance(override, CategoryTarget):
                raise InvalidInput("overrides must be a list of category targets")
            if override.category not in categories:
                raise InvalidInput(f"a target is set for category {override.category!r}, which the estate does not use")
            key = (override.category, override.urgency)
            if key in seen:
                raise InvalidInput(f"category {override.category!r} has two targets for the same urgency")
            seen.add(key)
        object.__setattr__(self, "overrides", overrides)
        if self.escalation_grace_minutes is not None:
            _minutes("escalation_grace_minutes", self.escalation_grace_minutes, 1, MAX_TARGET_MINUTES)
        _minutes("auto_confirm_minutes", self.auto_confirm_minutes, 1, MAX_WINDOW_MINUTES)
        _minutes("reopen_window_minutes", self.reopen_window_minutes, 0, MAX_WINDOW_MINUTES)

    def check_category(self, category: object) -> str:
        """``category`` if the estate uses it, else InvalidInput naming the ones it does."""
        code = category_code(category)
        if code not in self.categories:
            raise InvalidInput(f"category must be one of the estate's: {', '.join(self.categories)}")
        return code

    def target_for(self, category: str, urgency: Urgency) -> tuple[int, int]:
        """(first response, resolution) minutes for a category at an urgency: the override of that
        category and urgency, else the category's override for every urgency, else the estate's pair."""
        code = self.check_category(category)
        level = urgency_of(urgency)
        exact = next((o for o in self.overrides if o.category == code and o.urgency is level), None)
        general = next((o for o in self.overrides if o.category == code and o.urgency is None), None)
        chosen = exact or general
        if chosen is None:
            return self.first_response_minutes, self.resolution_minutes
        return chosen.first_response_minutes, chosen.resolution_minutes

    def terms_for(self, category: str, urgency: Urgency) -> SlaTerms:
        """The terms a ticket of this category and urgency is measured by, as of now."""
        first, resolution = self.target_for(category, urgency)
        grace = self.escalation_grace_minutes
        return SlaTerms(
            first_response_minutes=first,
            resolution_minutes=resolution,
            first_response_grace_minutes=grace if grace is not None else first,
            resolution_grace_minutes=grace if grace is not None else resolution,
            auto_confirm_minutes=self.auto_confirm_minutes,
            reopen_window_minutes=self.reopen_window_minutes,
        )
