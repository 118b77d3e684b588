"""What the municipal committee reads (治理指标): the figures of every estate and area for a month,
ranked and compared with the district's median, and the signed monthly district report.

Everything comes from the read side's own tables (adapters.governance_store), which hold only what
the services' events said; no person, household or unit is in any answer."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from tenant_service.adapters.governance_store import EstateIdentity, GovernanceViews
from tenant_service.domain.governance import (
    SUPPRESSED,
    EstateMonth,
    Figure,
    Figures,
    Thresholds,
    compare,
    figures,
    median_of,
    roll_up,
)
from xinyi_shared.errors import InvalidInput, NotFound
from xinyi_shared.transparency.entries import canonical_json
from xinyi_shared.transparency.note import generate_signer_key, parse_signer_key, parse_verifier_key, sign_note

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LEVELS = ("estate", "community", "sub_district", "district")
REPORT_FORMAT = "xinyi-governance-report/v1"

# Figures where less is better (ranked ascending); every other scalar figure ranks descending.
LOWER_IS_BETTER = frozenset(
    {
        "first_response_median_seconds",
        "first_response_p90_seconds",
        "resolution_median_seconds",
        "resolution_p90_seconds",
        "complaints",
        "petitions",
        "petition_rate_bps",
    }
)
SCALAR_FIGURES: tuple[str, ...] = tuple(
    f.name
    for f in fields(Figures)
    if f.name not in ("period", "estates")
    and (not f.name.startswith("budget_") or f.name.endswith("total_execution_bps"))
)


def check_period(period: str) -> str:
    match = PERIOD.fullmatch(period)
    if match is None or int(match.group(1)) < 1:
        raise InvalidInput("period must be a month YYYY-MM (0001-01 to 9999-12)")
    return period


def months_between(first: str, last: str) -> list[str]:
    check_period(first)
    check_period(last)
    if last < first:
        raise InvalidInput("the last month comes before the first")
    year, month = int(first[:4]), int(first[5:])
    periods = []
    while True:
        period = f"{year:04d}-{month:02d}"
        periods.append(period)
        if period == last:
            return periods
        if len(periods) >= 120:
            raise InvalidInput("at most 120 months at once")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class AreaFigures:
    level: str
    code: str
    name: str | None  # an estate's name; areas are named by their codes
    district_code: str
    sub_district_code: str | None
    community_code: str | None
    figures: Figures


def _area_key(level: str, estate: EstateIdentity) -> str:
    return {
        "estate": estate.code,
        "community": estate.community_code,
        "sub_district": estate.sub_district_code,
        "district": estate.district_code,
    }[level]


class Committee:
    """The read side's use cases. ``sessions(writable=False)`` opens a district-wide transaction
    (adapters.governance_store.district_session): read only, but for the report key's first use."""

    def __init__(
        self,
        sessions: Callable[..., AbstractContextManager[Any]],
        thresholds: Thresholds,
        time_zone: str,
        report_authority: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self.thresholds = thresholds
        self.time_zone = time_zone
        self.key_name = f"{report_authority}/governance"
        self._clock = clock

    # Figures ------------------------------------------------------------------------------------

    def _month(self, views: GovernanceViews, period: str) -> list[AreaFigures]:
        estates = views.estates(period)
        months = views.months(period)
        funds = views.community_funds(period, self.time_zone)
        rows: list[AreaFigures] = []
        for level in LEVELS:
            members: dict[str, list[EstateIdentity]] = {}
            for estate in estates:
                members.setdefault(_area_key(level, estate), []).append(estate)
            for code in sorted(members):
                group = members[code]
                first = group[0]
                pooled: list[EstateMonth] = [months[e.code] for e in group]
                if level != "estate":
                    communities = {e.community_code for e in group}
                    pooled += [funds[c] for c in sorted(communities) if c in funds]
                rows.append(
                    AreaFigures(
                        level=level,
                        code=code,
                        name=first.name if level == "estate" else None,
                        district_code=first.district_code,
                        sub_district_code=first.sub_district_code if level != "district" else None,
                        community_code=first.community_code if level in ("estate", "community") else None,
                        figures=figures(roll_up(pooled, period), self.thresholds),
                    )
                )
        return rows

    def figures(self, first: str, last: str, level: str | None = None, area: str | None = None) -> list[AreaFigures]:
        """The figures of every month from ``first`` to ``last``, at ``level`` (every level when None),
        within ``area`` (a district, sub-district, community or estate code) when given."""
        periods = months_between(first, last)
        if level is not None and level not in LEVELS:
            raise InvalidInput(f"level must be one of {', '.join(LEVELS)}")
        with self._sessions() as session:
            views = GovernanceViews(session)
            rows = [row for period in periods for row in self._month(views, period)]
        if level is not None:
            rows = [row for row in rows if row.level == level]
        if area:
            rows = [
                row for row in rows if area in (row.code, row.district_code, row.sub_district_code, row.community_code)
            ]
        return rows

    def ranking(self, period: str, metric: str, level: str = "estate", area: str | None = None) -> list[dict[str, Any]]:
        """Areas of ``level`` ranked by ``metric`` (best first; the ones that cannot be shown last,
        unranked), each beside the median of its district's areas of that level."""
        if metric not in SCALAR_FIGURES:
            raise InvalidInput(f"metric must be one of {', '.join(SCALAR_FIGURES)}")
        rows = self.figures(period, period, level, None)
        medians = {
            district: median_of(getattr(r.figures, metric) for r in rows if r.district_code == district)
            for district in {r.district_code for r in rows}
        }
        if area:
            rows = [r for r in rows if area in (r.code, r.district_code, r.sub_district_code, r.community_code)]
        shown = [r for r in rows if isinstance(getattr(r.figures, metric), int)]
        hidden = [r for r in rows if not isinstance(getattr(r.figures, metric), int)]
        sign = 1 if metric in LOWER_IS_BETTER else -1
        shown.sort(key=lambda r: (sign * getattr(r.figures, metric), r.code))
        ranked: list[dict[str, Any]] = []
        for position, row in enumerate(shown + sorted(hidden, key=lambda r: r.code), start=1):
            value: Figure = getattr(row.figures, metric)
            median = medians[row.district_code]
            ranked.append(
                {
                    "rank": position if isinstance(value, int) else None,
                    "level": row.level,
                    "code": row.code,
                    "name": row.name,
                    "district_code": row.district_code,
                    "value": figure_json(value),
                    "district_median": median,
                    "difference": compare(value, median),
                }
            )
        return ranked

    def comparison(self, period: str, estate_code: str) -> dict[str, Any]:
        """Every figure of one estate beside the median of its district's estates, and the difference."""
        rows = self.figures(period, period, "estate", None)
        mine = next((r for r in rows if r.code == estate_code), None)
        if mine is None:
            raise NotFound(f"no estate {estate_code} in the committee's figures of {period}")
        peers = [r for r in rows if r.district_code == mine.district_code]
        metrics = []
        for metric in SCALAR_FIGURES:
            value: Figure = getattr(mine.figures, metric)
            median = median_of(getattr(r.figures, metric) for r in peers)
            metrics.append(
                {
                    "metric": metric,
                    "value": figure_json(value),
                    "district_median": median,
                    "difference": compare(value, median),
                }
            )
        return {
            "period": period,
            "estate_code": mine.code,
            "name": mine.name,
            "district_code": mine.district_code,
            "estates_in_district": len(peers),
            "metrics": metrics,
        }

    # The signed monthly report ------------------------------------------------------------------

    def _signer_key(self) -> str:
        with self._sessions() as session:
            row = session.execute(
                text("SELECT skey FROM report_signing_keys WHERE name = :name"), {"name": self.key_name}
            ).first()
            if row is not None:
                return str(row.skey)
        skey = generate_signer_key(self.key_name)
        vkey = parse_signer_key(skey).vkey
        with self._sessions(writable=True) as session:
            session.execute(
                text(
                    "INSERT INTO report_signing_keys (name, skey, vkey) VALUES (:name, :skey, :vkey) "
                    "ON CONFLICT (name) DO NOTHING"
                ),
                {"name": self.key_name, "skey": skey, "vkey": vkey},
            )
            return str(
                session.execute(
                    text("SELECT skey FROM report_signing_keys WHERE name = :name"), {"name": self.key_name}
                ).scalar_one()
            )

    def verifier_key(self) -> str:
        return parse_signer_key(self._signer_key()).vkey

    def report(self, period: str, district_code: str | None = None) -> dict[str, Any]:
        """The district's figures of ``period`` (every level), each estate with the ledger checkpoint
        signed for that month, in one JSON document whose SHA-256 a signed note names."""
        check_period(period)
        with self._sessions() as session:
            views = GovernanceViews(session)
            rows = self._month(views, period)
            checkpoints = {c.estate_code: c for c in views.checkpoints(period)}
            closed = views.closed(period)
        districts = sorted({r.district_code for r in rows})
        if not districts:
            raise NotFound(f"no estate in the figures of {period}")
        if district_code is None:
            if len(districts) != 1:
                raise InvalidInput(f"name the district: the figures of {period} cover {len(districts)}")
            district_code = districts[0]
        if district_code not in districts:
            raise NotFound(f"no estate of district {district_code} in the figures of {period}")
        mine = [r for r in rows if r.district_code == district_code]

        def estate_entry(row: AreaFigures) -> dict[str, Any]:
            entry = area_json(row)
            checkpoint = checkpoints.get(row.code)
            entry["books_closed"] = row.code in closed
            entry["checkpoint"] = (
                None
                if checkpoint is None
                else {
                    "origin": checkpoint.origin,
                    "tree_size": checkpoint.tree_size,
                    "root_hash": checkpoint.root_hash.hex(),
                    "cosigned_by": list(checkpoint.cosigned_by),
                }
            )
            return entry

        issued_at = self._clock().astimezone(UTC).replace(microsecond=0)
        report = {
            "format": REPORT_FORMAT,
            "district_code": district_code,
            "period": period,
            "issued_at": issued_at.isoformat().replace("+00:00", "Z"),
            "thresholds": asdict(self.thresholds),
            "district": area_json(next(r for r in mine if r.level == "district")),
            "sub_districts": [area_json(r) for r in mine if r.level == "sub_district"],
            "communities": [area_json(r) for r in mine if r.level == "community"],
            "estates": [estate_entry(r) for r in mine if r.level == "estate"],
        }
        digest = hashlib.sha256(canonical_json(report)).hexdigest()
        signer = parse_signer_key(self._signer_key())
        note = sign_note(
            f"{REPORT_FORMAT}\n{district_code}\n{period}\n{report['issued_at']}\nsha256 {digest}\n", signer
        )
        return {"report": report, "report_sha256": digest, "signed_note": note, "verifier_key": signer.vkey}


def figure_json(value: Figure) -> int | str | None:
    return "suppressed" if value is SUPPRESSED else value


def figures_json(f: Figures) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in (field.name for field in fields(Figures)):
        value = getattr(f, name)
        if name in ("period", "estates"):
            out[name] = value
        elif isinstance(value, dict):
            out[name] = {line: figure_json(v) for line, v in value.items()}
        else:
            out[name] = figure_json(value)
    return out


def area_json(row: AreaFigures) -> dict[str, Any]:
    return {
        "level": row.level,
        "code": row.code,
        "name": row.name,
        "district_code": row.district_code,
        "sub_district_code": row.sub_district_code,
        "community_code": row.community_code,
        "figures": figures_json(row.figures),
    }


CSV_COLUMNS = ("period", "level", "code", "name", "district_code", "sub_district_code", "community_code", "estates")


def csv_rows(rows: Iterable[AreaFigures]) -> tuple[list[str], list[list[object]]]:
    """Flat rows for a spreadsheet: one per area and month, every scalar figure a column."""
    header = [*CSV_COLUMNS, *SCALAR_FIGURES]
    body: list[list[object]] = []
    for row in rows:
        f = row.figures
        base: list[object] = [
            f.period,
            row.level,
            row.code,
            row.name or "",
            row.district_code,
            row.sub_district_code or "",
            row.community_code or "",
            f.estates,
        ]
        values: list[object] = [
            "" if (v := figure_json(getattr(f, metric))) is None else v for metric in SCALAR_FIGURES
        ]
        body.append(base + values)
    return header, body


def verify_report(answer: dict[str, Any]) -> bool:
    """Check a report answer as the committee would: its digest and its signature (for tests and tools)."""
    from xinyi_shared.transparency.note import open_note

    digest = hashlib.sha256(canonical_json(answer["report"])).hexdigest()
    verifier = parse_verifier_key(answer["verifier_key"])
    opened = open_note(answer["signed_note"], [verifier])
    return opened.signed_by(verifier) is not None and opened.text.endswith(f"sha256 {digest}\n")
