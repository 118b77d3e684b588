"""HTTP API of the committee's read side (治理指标), for the ``governance_observer`` role only: the
figures of every estate and area as JSON or CSV, a ranking, an estate against its district's median,
and the signed monthly district report. Thin: parse, authorise, call service_layer.governance."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Annotated, Any, Literal

import openpyxl
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, create_model

from tenant_service.domain.governance import Figures
from tenant_service.service_layer.governance import (
    LOWER_IS_BETTER,
    SCALAR_FIGURES,
    Committee,
    area_json,
    csv_rows,
)
from xinyi_shared.api import errors, role_holder
from xinyi_shared.auth import Principal, Role
from xinyi_shared.codes import ESTATE_CODE_PATTERN
from xinyi_shared.errors import InvalidInput
from xinyi_shared.http import TOTAL_COUNT, TOTAL_COUNT_DOC, EstateCode, PageOffset, api_router
from xinyi_shared.spreadsheet import append_row, csv_writer

Observer = Annotated[Principal, Depends(role_holder(Role.GOVERNANCE_OBSERVER))]
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="A month, YYYY-MM")]
OptionalPeriod = Annotated[str | None, Query(pattern=PERIOD_PATTERN, description="A month, YYYY-MM")]
AreaFilter = Annotated[
    str | None,
    Query(
        pattern=ESTATE_CODE_PATTERN,
        description="Only the areas within (or equal to) this district, sub-district, community or estate",
    ),
]
Level = Literal["estate", "community", "sub_district", "district"]

FigureValue = int | Literal["suppressed"] | None
_figure_fields: dict[str, Any] = {}
for _field in fields(Figures):
    if _field.name == "period":
        _figure_fields[_field.name] = (str, ...)
    elif _field.name == "estates":
        _figure_fields[_field.name] = (int, Field(description="Estates counted"))
    elif _field.name.startswith("budget_") and _field.name != "budget_total_execution_bps":
        _figure_fields[_field.name] = (dict[str, FigureValue], Field(description="Per budget line (51xx-59xx)"))
    else:
        _figure_fields[_field.name] = (FigureValue, ...)
FiguresOut = create_model(
    "GovernanceFigures",
    __doc__="An area's month. A figure is 'suppressed' when computed from too few households or ratings, "
    "null when there is nothing to measure. Rates in basis points, durations in seconds, amounts in fen.",
    **_figure_fields,
)


class AreaOut(BaseModel):
    level: Level
    code: str
    name: str | None = Field(description="An estate's name; areas are named by their codes")
    district_code: str
    sub_district_code: str | None
    community_code: str | None
    figures: FiguresOut  # type: ignore[valid-type]


class FiguresPage(BaseModel):
    min_households: int
    min_ratings: int
    total: int = Field(description="Rows across all pages (as X-Total-Count)")
    limit: int
    offset: int
    rows: list[AreaOut] = Field(description="This page's rows: by month, then level (estate first), then code")


class Ranked(BaseModel):
    rank: int | None = Field(description="1 is best; null when the figure cannot be shown")
    level: Level
    code: str
    name: str | None
    district_code: str
    value: FigureValue
    district_median: int | None = Field(description="Median of the shown figures of the district's areas")
    difference: int | None = Field(description="value - district_median")


class Ranking(BaseModel):
    period: str
    metric: str
    level: Level
    lower_is_better: bool
    rows: list[Ranked]


class ComparedMetric(BaseModel):
    metric: str
    value: FigureValue
    district_median: int | None
    difference: int | None


class Comparison(BaseModel):
    period: str
    estate_code: str
    name: str | None
    district_code: str
    estates_in_district: int
    metrics: list[ComparedMetric]


class SignedReport(BaseModel):
    report: dict[str, Any] = Field(
        description="The district's figures of the month at every level, each estate with its ledger checkpoint"
    )
    report_sha256: str = Field(description="SHA-256 of the report as canonical JSON (sorted keys, no spaces, UTF-8)")
    signed_note: str = Field(description="A signed note (C2SP) naming the district, month, issue time and digest")
    verifier_key: str


class ReportKey(BaseModel):
    verifier_key: str


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_workbook(header: Sequence[Any], body: Iterable[Sequence[Any]], title: str) -> bytes:
    """The rows as a one-sheet workbook, every text cell escaped (no formula ever runs)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    append_row(sheet, header)
    for line in body:
        append_row(sheet, line)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def build_router(committee: Committee) -> APIRouter:
    router = api_router(prefix="/v1/governance", tags=["governance"])

    @router.get(
        "/figures",
        response_model=FiguresPage,
        responses={
            **errors(422),
            200: {
                "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
                "headers": {TOTAL_COUNT: TOTAL_COUNT_DOC},
            },
        },
        summary="Every estate's and area's figures for a month or a range of months (JSON, a page at a time, or "
        "CSV with format=csv, or an XLSX workbook with format=xlsx)",
        description="As JSON (the default): a page of the rows, ordered by month, then level (estate, community, "
        "sub-district, district), then code; `total`, like the `X-Total-Count` header, counts the rows across "
        "all pages: page with `offset` until it is reached. The CSV and XLSX exports are never paged: a "
        "download is the whole table of the filters given (`limit` and `offset` do not apply to them).",
    )
    def list_figures(
        principal: Observer,
        response: Response,
        period: OptionalPeriod = None,
        first: Annotated[str | None, Query(alias="from", pattern=PERIOD_PATTERN)] = None,
        last: Annotated[str | None, Query(alias="to", pattern=PERIOD_PATTERN)] = None,
        level: Level | None = None,
        area: AreaFilter = None,
        format: Literal["json", "csv", "xlsx"] = "json",
        limit: Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500 (JSON only)")] = 100,
        offset: PageOffset = 0,
    ) -> Any:
        if period is not None and (first or last):
            raise InvalidInput("give either period or from/to")
        start = period or first or last
        end = period or last or first
        if start is None or end is None:
            raise InvalidInput("give period, or from and to")
        rows = committee.figures(start, end, level, area)
        if format == "xlsx":
            header, body = csv_rows(rows)
            return Response(
                xlsx_workbook(header, body, f"{start} – {end}" if start != end else start),
                media_type=XLSX_MEDIA_TYPE,
                headers={
                    "Content-Disposition": f'attachment; filename="governance-{start}-{end}.xlsx"',
                    TOTAL_COUNT: str(len(rows)),
                },
            )
        if format == "csv":
            header, body = csv_rows(rows)
            stream = io.StringIO()
            writer = csv_writer(stream)
            writer.writerow(header)
            for line in body:
                writer.writerow(line)
            return Response(
                "\ufeff" + stream.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="governance-{start}-{end}.csv"',
                    TOTAL_COUNT: str(len(rows)),
                },
            )
        # The rows are computed in Python from the read model (every area's month rolled up from its
        # estates), so the page is a slice of the computed, filtered, ordered list.
        response.headers[TOTAL_COUNT] = str(len(rows))
        return FiguresPage(
            min_households=committee.thresholds.min_households,
            min_ratings=committee.thresholds.min_ratings,
            total=len(rows),
            limit=limit,
            offset=offset,
            rows=[AreaOut.model_validate(area_json(row)) for row in rows[offset : offset + limit]],
        )

    @router.get(
        "/ranking",
        response_model=Ranking,
        responses=errors(422),
        summary="Areas of one level ranked by one figure, best first, beside their district's median",
    )
    def ranking(
        principal: Observer,
        period: Period,
        metric: Annotated[str, Query(description=f"One of: {', '.join(SCALAR_FIGURES)}")],
        level: Level = "estate",
        area: AreaFilter = None,
    ) -> Ranking:
        rows = committee.ranking(period, metric, level, area)
        return Ranking(
            period=period,
            metric=metric,
            level=level,
            lower_is_better=metric in LOWER_IS_BETTER,
            rows=[Ranked.model_validate(row) for row in rows],
        )

    @router.get(
        "/estates/{code}/comparison",
        response_model=Comparison,
        responses=errors(404, 422),
        summary="One estate's figures beside the median of its district's estates",
    )
    def comparison(code: EstateCode, principal: Observer, period: Period) -> Comparison:
        return Comparison.model_validate(committee.comparison(period, code))

    @router.get(
        "/reports/{period}",
        response_model=SignedReport,
        responses=errors(404, 422),
        summary="The signed monthly district report: the month's figures with each estate's ledger checkpoint",
    )
    def report(
        period: Annotated[str, Path(pattern=PERIOD_PATTERN, description="A month, YYYY-MM")],
        principal: Observer,
        district: AreaFilter = None,
    ) -> SignedReport:
        return SignedReport.model_validate(committee.report(period, district))

    @router.get(
        "/report-key",
        response_model=ReportKey,
        responses=errors(),
        summary="The key that verifies the district reports' signed notes",
    )
    def report_key(principal: Observer) -> ReportKey:
        return ReportKey(verifier_key=committee.verifier_key())

    return router
