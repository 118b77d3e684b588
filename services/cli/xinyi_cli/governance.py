"""`xinyi governance …`: what the municipal committee (governance_observer) reads of every estate —
the month's figures per estate, community, sub-district and district (a table, CSV or JSON), a
ranking, one estate against its district's median, and the signed monthly district report, checked
(its digest and its signature) before it is saved."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlencode

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from xinyi_cli.client import ApiClient, segment
from xinyi_shared.transparency.entries import canonical_json
from xinyi_shared.transparency.note import NoteError, open_note, parse_verifier_key

governance_app = typer.Typer(
    help="The committee's figures of every estate and area (governance_observer).", no_args_is_help=True
)

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
LEVELS = ("estate", "community", "sub_district", "district")

# (column, figure, how it is shown)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("households", "households", "count"),
    ("collected", "collection_rate_bps", "percent"),
    ("satisfied", "satisfaction_rate_bps", "percent"),
    ("ratings", "ratings", "count"),
    ("1st response (median)", "first_response_median_seconds", "duration"),
    ("fixed (median)", "resolution_median_seconds", "duration"),
    ("fixed in target", "resolution_within_target_bps", "percent"),
    ("complaints", "complaints", "count"),
    ("petitions", "petitions", "count"),
    ("budget spent", "budget_total_execution_bps", "percent"),
    ("surplus ¥", "surplus_fen", "yuan"),
)


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(Text(f"error: {message}", style="red"))
    raise typer.Exit(1)


def _period(value: str) -> str:
    if not PERIOD.fullmatch(value):
        raise typer.BadParameter("a month, YYYY-MM")
    return value


def _level(value: str) -> str:
    if value not in LEVELS:
        raise typer.BadParameter(f"one of {', '.join(LEVELS)}")
    return value


PeriodOption = Annotated[str, typer.Option("--period", parser=_period, metavar="YYYY-MM", help="The month.")]
AreaOption = Annotated[
    str | None, typer.Option("--area", metavar="CODE", help="Only within this district, sub-district or community.")
]


def _tenant_api(ctx: typer.Context) -> contextlib.AbstractContextManager[ApiClient]:
    # main registers these commands, so it is imported by the time one runs (a top-level import would
    # be circular); its _tenant reaches the tenant service with the user's token.
    from xinyi_cli.main import _tenant

    return _tenant(ctx)


def show(value: Any, kind: str) -> str:
    """A figure as read in a table: 'suppressed' and '—' (nothing to measure) are never shown as 0."""
    if value == "suppressed":
        return "suppressed"
    if value is None:
        return "—"
    if not isinstance(value, int) or isinstance(value, bool):
        return "?"
    if kind == "percent":
        return f"{value / 100:.2f}%"
    if kind == "duration":
        hours, rest = divmod(value, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
    if kind == "yuan":
        sign, fen = ("-" if value < 0 else ""), abs(value)
        return f"{sign}{fen // 100:,}.{fen % 100:02d}"
    return str(value)


def with_query(path: str, params: dict[str, str] | None) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _metric_kind(metric: str) -> str:
    if metric.endswith("_bps"):
        return "percent"
    if metric.endswith("_seconds"):
        return "duration"
    if metric.endswith("_fen"):
        return "yuan"
    return "count"


def _rows(data: Any) -> list[Any]:
    """The rows of a page of figures (nothing when the body is not one)."""
    rows = data.get("rows") if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else []


@governance_app.command("figures")
def figures(
    ctx: typer.Context,
    period: PeriodOption,
    level: Annotated[
        str | None, typer.Option("--level", parser=_level, help="estate, community, sub_district or district.")
    ] = None,
    area: AreaOption = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Save every figure as CSV (spreadsheet-safe) to this file; - for stdout."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the service's JSON as it came (when it took several pages: one body with every row)."
        ),
    ] = False,
) -> None:
    """The month's figures of every estate and area (suppressed ones shown as such, never as 0; all the
    pages of the list)."""
    params = {"period": period, **({"level": level} if level else {}), **({"area": area} if area else {})}
    with _tenant_api(ctx) as api:
        if csv_file is not None:
            response = api.get(with_query("/v1/governance/figures", {**params, "format": "csv"}))
            if str(csv_file) == "-":
                typer.echo(response.text, nl=False)
            else:
                csv_file.write_bytes(response.text.encode("utf-8"))
                Console().print(Text(f"saved {csv_file}"))
            return
        pages = api.get_every_page("/v1/governance/figures", _rows, params)
    response = pages[0]
    data = response.data if isinstance(response.data, dict) else {}
    rows = [row for page in pages for row in _rows(page.data)]
    if as_json:
        joined = {**data, "offset": 0, "limit": len(rows), "rows": rows}
        typer.echo(response.text if len(pages) == 1 else json.dumps(joined, ensure_ascii=False))
        return
    table = Table("level", "area", *(name for name, _, _ in COLUMNS), title=f"治理指标 {period}")
    for row in rows:
        f = row.get("figures") or {}
        label = row.get("code", "?") + (f" {row['name']}" if row.get("name") else "")
        table.add_row(
            Text(str(row.get("level"))), Text(label), *(Text(show(f.get(key), kind)) for _, key, kind in COLUMNS)
        )
    out = Console()
    out.print(table)
    out.print(
        Text(
            f"suppressed: fewer than {data.get('min_households')} households, or (satisfaction) fewer than "
            f"{data.get('min_ratings')} ratings"
        )
    )


@governance_app.command("ranking")
def ranking(
    ctx: typer.Context,
    period: PeriodOption,
    metric: Annotated[str, typer.Option("--metric", help="A figure's name, e.g. collection_rate_bps.")],
    level: Annotated[str, typer.Option("--level", parser=_level, help="What is ranked.")] = "estate",
    area: AreaOption = None,
) -> None:
    """Estates (or areas) ranked by one figure, best first, beside their district's median."""
    params = {"period": period, "metric": metric, "level": level, **({"area": area} if area else {})}
    with _tenant_api(ctx) as api:
        response = api.get(with_query("/v1/governance/ranking", params))
    data = response.data if isinstance(response.data, dict) else {}
    kind = _metric_kind(metric)
    order = "lower is better" if data.get("lower_is_better") else "higher is better"
    table = Table("rank", "area", "value", "district median", "difference", title=f"{metric} {period} ({order})")
    for row in data.get("rows") or []:
        label = row.get("code", "?") + (f" {row['name']}" if row.get("name") else "")
        difference = row.get("difference")
        shown_difference = "—" if difference is None else ("+" if difference > 0 else "") + show(difference, kind)
        table.add_row(
            Text(str(row.get("rank") or "—")),
            Text(label),
            Text(show(row.get("value"), kind)),
            Text(show(row.get("district_median"), kind)),
            Text(shown_difference),
        )
    Console().print(table)


@governance_app.command("compare")
def compare(
    ctx: typer.Context,
    estate: Annotated[str, typer.Argument(help="The estate's code.")],
    period: PeriodOption,
) -> None:
    """One estate's figures beside the median of its district's estates."""
    with _tenant_api(ctx) as api:
        response = api.get(with_query(f"/v1/governance/estates/{segment(estate)}/comparison", {"period": period}))
    data = response.data if isinstance(response.data, dict) else {}
    table = Table(
        "figure",
        "estate",
        "district median",
        "difference",
        title=f"{data.get('estate_code')} {data.get('name') or ''} — {period}, "
        f"{data.get('estates_in_district')} estates in district {data.get('district_code')}",
    )
    for metric in data.get("metrics") or []:
        kind = _metric_kind(str(metric.get("metric")))
        difference = metric.get("difference")
        table.add_row(
            Text(str(metric.get("metric"))),
            Text(show(metric.get("value"), kind)),
            Text(show(metric.get("district_median"), kind)),
            Text("—" if difference is None else show(difference, kind)),
        )
    Console().print(table)


def verify_report(answer: dict[str, Any], verifier_key: str) -> str:
    """The report's digest recomputed and its signed note checked against ``verifier_key``; returns
    the signed note's text. Raises ValueError when either fails."""
    report = answer.get("report")
    digest = hashlib.sha256(canonical_json(report)).hexdigest()
    if answer.get("report_sha256") != digest:
        raise ValueError("the report does not match its digest")
    try:
        verifier = parse_verifier_key(verifier_key)
        opened = open_note(str(answer.get("signed_note", "")), [verifier])
    except NoteError as error:
        raise ValueError(f"the signed note does not verify: {error}") from None
    if opened.signed_by(verifier) is None or not opened.text.endswith(f"sha256 {digest}\n"):
        raise ValueError("the signed note does not name this report")
    return opened.text


@governance_app.command("report")
def report(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(parser=_period, metavar="YYYY-MM", help="The month.")],
    district: Annotated[str | None, typer.Option("--district", metavar="CODE", help="When there are several.")] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key", metavar="VKEY", help="The report key you trust (default: the one the service publishes)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Save the verified report (JSON) here.")] = None,
) -> None:
    """The signed monthly district report: fetched, its digest and signature checked, then saved."""
    with _tenant_api(ctx) as api:
        params = {"district": district} if district else None
        response = api.get(with_query(f"/v1/governance/reports/{segment(period)}", params))
        published = key or str((api.get("/v1/governance/report-key").data or {}).get("verifier_key", ""))
    answer = response.data if isinstance(response.data, dict) else {}
    try:
        verify_report(answer, published)
    except ValueError as error:
        _fail(str(error))
    body = answer["report"]
    console = Console()
    console.print(
        Text(
            f"verified: district {body.get('district_code')}, {body.get('period')}, issued {body.get('issued_at')}, "
            f"sha256 {answer['report_sha256']}"
        )
    )
    estates = body.get("estates") or []
    closed = sum(1 for estate in estates if estate.get("books_closed"))
    console.print(Text(f"{len(estates)} estates, {closed} with the month's books closed and signed"))
    if out is not None:
        out.write_text(json.dumps(answer, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(Text(f"saved {out}"))
