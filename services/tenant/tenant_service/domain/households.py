"""户 — households: the dwellings of an estate (the unit of billing and of voting) and the people
who own or live in them. Names, phones and e-mails are personal data: kept for the estate only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from xinyi_shared.errors import InvalidInput


class Relation(StrEnum):
    OWNER = "owner"  # 业主
    RESIDENT = "resident"  # 住户


@dataclass(frozen=True)
class Household:
    id: uuid.UUID
    estate_code: str
    building: str
    unit: str
    floor: str
    room: str
    area_centi_sqm: int  # hundredths of a m²
    grid_code: str | None = None
    occupied_from: date | None = None
    occupied_until: date | None = None

    def __post_init__(self) -> None:
        if not self.building or not self.room:
            raise InvalidInput("a household needs a building and a room")
        if self.area_centi_sqm <= 0:
            raise InvalidInput("floor area must be positive")
        if self.occupied_from and self.occupied_until and self.occupied_until < self.occupied_from:
            raise InvalidInput("a household cannot be vacated before it is occupied")

    @property
    def label(self) -> str:
        """How people name the dwelling: 3栋2单元1502."""
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building}栋{unit}{self.room}"


class ListedHousehold(NamedTuple):
    """A household as the estate's listing hands it on (ListHouseholdPages): every field as the
    contract writes it, the id and the dates as text (ISO dates; empty for no grid or no date).
    Billing a district reads hundreds of thousands at a time, so no :class:`Household` is made
    (nor validated) per row: these are rows read back from the register."""

    id: str
    estate_code: str
    building: str
    unit: str
    floor: str
    room: str
    area_centi_sqm: int  # hundredths of a m²
    grid_code: str
    occupied_from: str
    occupied_until: str


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    estate_code: str
    name: str
    phone: str = ""
    email: str = ""
    user_id: str | None = None


@dataclass(frozen=True)
class Membership:
    """What a person is in an estate, as the platform's services ask (CheckMembership)."""

    households: list[Household]  # its own households
    led_grid_codes: list[str]  # the grids whose leaders include its username


@dataclass(frozen=True)
class RegisterScope:
    """Which households of an estate's register a reader sees (its own households aside): every one,
    those of the grids whose leaders include ``leader`` (a Keycloak username), or none.

    Grid leaders are named by username (``PUT …/grids/{grid}/leaders``); Keycloak's usernames are
    lower-case and compared as such. A grid leader without a username leads no grid."""

    everything: bool = False
    leader: str | None = None

    @classmethod
    def whole_estate(cls) -> RegisterScope:
        return cls(everything=True)

    @classmethod
    def grids_led_by(cls, username: str) -> RegisterScope:
        return cls(leader=username.strip().lower() or None)

    @classmethod
    def none(cls) -> RegisterScope:
        return cls()

    @property
    def sees_nothing(self) -> bool:
        return not self.everything and self.leader is None
