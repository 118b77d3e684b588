"""The platform's codes, defined once for HTTP paths and bodies, gRPC requests and the domain.

- An estate's code is the tenant key: 3-63 lower-case letters, digits and hyphens, starting and ending
  with a letter or digit (``jinhe-lvzhou``); it is also the Keycloak organisation's alias.
- A district's, sub-district's or community's code (an area of the hierarchy above the estates):
  1-63 of the same characters, starting and ending with a letter or digit (``shuangliu``).

Plain Python (no framework): the domain validates with the functions, FastAPI and pydantic with the
patterns (:mod:`xinyi_shared.http` declares the path types). The patterns are anchored with ``^…$``
for JSON Schema; the functions use ``fullmatch``, so a trailing newline is refused as well."""

from __future__ import annotations

import re

from xinyi_shared.errors import InvalidInput

ESTATE_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
AREA_CODE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"

_ESTATE_CODE = re.compile(ESTATE_CODE_PATTERN.removeprefix("^").removesuffix("$"))
_AREA_CODE = re.compile(AREA_CODE_PATTERN.removeprefix("^").removesuffix("$"))

ESTATE_CODE_RULE = (
    "estate code must be 3-63 characters of lower-case letters, digits and hyphens, "
    "starting and ending with a letter or digit"
)


def is_estate_code(code: str) -> bool:
    return _ESTATE_CODE.fullmatch(code) is not None


def validate_estate_code(code: str) -> str:
    """``code`` if it is an estate code, else InvalidInput (422 over HTTP, INVALID_ARGUMENT over gRPC)."""
    if not is_estate_code(code):
        raise InvalidInput(ESTATE_CODE_RULE)
    return code


def validate_area_code(kind: str, code: str) -> str:
    """``code`` if it is the code of an area (``kind``: district, sub-district, community), else InvalidInput."""
    if _AREA_CODE.fullmatch(code) is None:
        raise InvalidInput(
            f"{kind} code must be 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit"
        )
    return code
