"""docs/access.md as data: the access tables (one per service and protocol) parsed into rows.

A table follows a marker ``<!-- access-table: <service> <http|grpc> -->``; its header is
``Method | Path | <one column per role> | Why``. Used by the unit test that keeps the document true
(tests/unit/test_access_doc.py), the ledger's in-process role tests and the end-to-end table test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
ACCESS_DOC = REPO_DIR / "docs" / "access.md"

# The realm roles (xinyi_shared.auth.Role), in the tables' column order.
ROLES = (
    "platform_admin",
    "service",
    "firm_manager",
    "firm_staff",
    "supervisor",
    "resident",
    "grid_leader",
    "community_officer",
    "governance_observer",
)
CELLS = frozenset({"yes", "no", "own", "blinded", "hidden", "public"})
# Cells whose holder gets past the route's role check (the end-to-end tables' "allowed").
PASSES = frozenset({"yes", "blinded", "public"})

_MARKER = re.compile(r"^<!-- access-table: (?P<service>[a-z]+) (?P<kind>http|grpc) -->$")


@dataclass(frozen=True)
class Row:
    service: str
    kind: str  # "http" or "grpc"
    method: str  # GET, POST … or "gRPC"
    path: str  # the OpenAPI path template, or /package.Service/Method
    cells: dict[str, str]  # role → cell
    why: str
    line: int

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def roles(self, *cells: str) -> set[str]:
        return {role for role, cell in self.cells.items() if cell in cells}

    def matches(self, method: str, path: str) -> bool:
        """Whether a concrete request (``/v1/estates/x/households/y``) is this row's route."""
        return method.upper() == self.method and path_pattern(self.path).fullmatch(path) is not None


def path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def fill(template: str, value: str = "x") -> str:
    """A path template (``/v1/estates/{code}/grids/GX/leaders``) with every placeholder filled."""
    return re.sub(r"\{[^}]+\}", value, template)


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|")]


def parse(text: str) -> list[Row]:
    rows: list[Row] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        marker = _MARKER.match(lines[index].strip())
        index += 1
        if not marker:
            continue
        header = _cells(lines[index])
        expected = ["Method", "Path", *ROLES, "Why"]
        if header != expected:
            raise ValueError(f"docs/access.md:{index + 1}: table header {header}, expected {expected}")
        index += 2  # header and the --- line
        while index < len(lines) and lines[index].strip().startswith("|"):
            cells = _cells(lines[index])
            if len(cells) != len(expected):
                raise ValueError(f"docs/access.md:{index + 1}: {len(cells)} cells, expected {len(expected)}")
            method, path, *by_role, why = cells
            unknown = set(by_role) - CELLS
            if unknown:
                raise ValueError(f"docs/access.md:{index + 1}: unknown cells {sorted(unknown)}")
            rows.append(
                Row(
                    service=marker["service"],
                    kind=marker["kind"],
                    method=method,
                    path=path,
                    cells=dict(zip(ROLES, by_role, strict=True)),
                    why=why,
                    line=index + 1,
                )
            )
            index += 1
    return rows


@cache
def access_rows() -> tuple[Row, ...]:
    return tuple(parse(ACCESS_DOC.read_text(encoding="utf-8")))


def table(service: str, kind: str = "http") -> list[Row]:
    return [row for row in access_rows() if row.service == service and row.kind == kind]


def row_for(service: str, method: str, path: str) -> Row:
    """The HTTP row of ``service`` a concrete request falls under (the one with the most literal text
    when several templates match, as routing prefers ``/households/import`` to ``/households/{id}``)."""
    found = [row for row in table(service) if row.matches(method, path)]
    if not found:
        raise LookupError(f"no row of docs/access.md ({service}) for {method} {path}")
    return max(found, key=lambda row: len(re.sub(r"\{[^}]+\}", "", row.path)))
