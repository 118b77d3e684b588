"""微基金 — the community micro-fund. Each estate's firm donates into the fund of the community
(社区) the estate belongs to; this records which fund an estate's donations flow into."""

from __future__ import annotations

from dataclasses import dataclass

from xinyi_shared.errors import InvalidInput


@dataclass(frozen=True)
class FundMembership:
    estate_code: str
    community_code: str

    def __post_init__(self) -> None:
        if not self.community_code:
            raise InvalidInput("an estate joins the micro-fund of a named community")
