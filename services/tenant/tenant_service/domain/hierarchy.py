"""The district's hierarchy above the estates: district (区) → sub-district (街道) → community (社区)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xinyi_shared.errors import InvalidInput

CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def validate_code(kind: str, code: str) -> str:
    if not CODE_PATTERN.match(code):
        raise InvalidInput(f"{kind} code must be lower-case letters, digits and hyphens (at most 63)")
    return code


@dataclass(frozen=True)
class Area:
    """A district, sub-district or community: a code, a name and (but for districts) its parent."""

    kind: str
    code: str
    name: str
    parent_code: str = ""

    def __post_init__(self) -> None:
        validate_code(self.kind, self.code)
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidInput(f"{self.kind} name must be 1-200 characters")
