"""The district's hierarchy above the estates: district (区) → sub-district (街道) → community (社区)."""

from __future__ import annotations

from dataclasses import dataclass

from xinyi_shared.codes import validate_area_code
from xinyi_shared.errors import InvalidInput


@dataclass(frozen=True)
class Area:
    """A district, sub-district or community: a code, a name and (but for districts) its parent."""

    kind: str
    code: str
    name: str
    parent_code: str = ""

    def __post_init__(self) -> None:
        validate_area_code(self.kind, self.code)
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidInput(f"{self.kind} name must be 1-200 characters")
