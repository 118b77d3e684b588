"""`xinyi` — the platform team's command line: estates, households, ballots, billing runs and the
community's micro-fund over the services' HTTP APIs."""

import hashlib
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from xinyi_cli import auth, client, governance, transparency
from xinyi_cli.client import ApiClient, ApiError, ApiResponse, segment
from xinyi_cli.upload import CONTENT_TYPES, MultipartFile, content_type_of

DEFAULT_KEYCLOAK_URL = "http://127.0.0.1:18080"
DEFAULT_TENANT_URL = "http://127.0.0.1:8101"
DEFAULT_LEDGER_URL = "http://127.0.0.1:8102"
DEFAULT_MICROFUND_URL = "http://127.0.0.1:8104"
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")  # no daylight saving since 1991
UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=5.0)  # a large sheet is validated before the service answers

app = typer.Typer(
    name="xinyi",
    help="Xinyi 信义 platform tool: talks to the services' HTTP APIs with your Keycloak token.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
estates_app = typer.Typer(help="Onboard, list, suspend and resume estates.", no_args_is_help=True)
households_app = typer.Typer(help="Households of an estate.", no_args_is_help=True)
ballots_app = typer.Typer(help="Owners' ballots (one household, one vote).", no_args_is_help=True)
billing_app = typer.Typer(help="Monthly billing runs of the trust books (ledger).", no_args_is_help=True)
fund_app = typer.Typer(
    help="The community's micro-fund (community officer): statement, money received, grants.", no_args_is_help=True
)
app.add_typer(estates_app, name="estates")
app.add_typer(households_app, name="households")
app.add_typer(ballots_app, name="ballots")
app.add_typer(billing_app, name="billing")
app.add_typer(fund_app, name="fund")
app.add_typer(transparency.witness_app, name="witness")
app.add_typer(governance.governance_app, name="governance")
app.command("verify")(transparency.verify)
app.command("verify-consistency")(transparency.verify_consistency_command)


@dataclass(frozen=True)
class Settings:
    keycloak_url: str
    tenant_url: str
    ledger_url: str = DEFAULT_LEDGER_URL
    microfund_url: str = DEFAULT_MICROFUND_URL


class Threshold(StrEnum):
    SIMPLE_MAJORITY = "simple_majority"
    TWO_THIRDS = "two_thirds"
    THREE_QUARTERS = "three_quarters"
    PLURALITY = "plurality"


class ThresholdBase(StrEnum):
    VOTES_CAST = "votes_cast"
    ALL_HOUSEHOLDS = "all_households"


# ---------------------------------------------------------------- output


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, *, request_id: str | None = None, hint: str | None = None) -> NoReturn:
    """`error: …` in red on stderr, then the request id to quote, and exit 1."""
    console = _stderr()
    console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    if hint:
        console.print(Text(f"hint: {hint}", style="yellow"), soft_wrap=True)
    if request_id:
        console.print(Text(f"request id: {request_id}", style="dim"), soft_wrap=True)
    raise typer.Exit(1)


def _fail_api(error: ApiError) -> NoReturn:
    hint = None
    if error.status == 401:
        hint = f"check {auth.TOKEN_ENV}" if os.environ.get(auth.TOKEN_ENV) else "run `xinyi login`"
    _fail(error.reason, request_id=error.request_id, hint=hint)


def _cell(value: Any) -> Text:
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:  # a sub-app invoked on its own, without the main callback
        return Settings(DEFAULT_KEYCLOAK_URL, DEFAULT_TENANT_URL, DEFAULT_LEDGER_URL, DEFAULT_MICROFUND_URL)
    return settings


@contextmanager
def _service(ctx: typer.Context, base_url: str, service: str) -> Iterator[ApiClient]:
    """A service's API with the current token; failures end the command with a clean message."""
    settings = _settings(ctx)
    try:
        with client.make_http_client() as http:
            tokens = auth.TokenProvider(http, settings.keycloak_url, auth.token_path())
            yield ApiClient(http, base_url, tokens, service=service)
    except auth.NotLoggedIn as error:
        _fail(str(error))
    except ApiError as error:
        _fail_api(error)


@contextmanager
def _tenant(ctx: typer.Context) -> Iterator[ApiClient]:
    with _service(ctx, _settings(ctx).tenant_url, "the tenant service") as api:
        yield api


@contextmanager
def _ledger(ctx: typer.Context) -> Iterator[ApiClient]:
    with _service(ctx, _settings(ctx).ledger_url, "the ledger service") as api:
        yield api


@contextmanager
def _microfund(ctx: typer.Context) -> Iterator[ApiClient]:
    with _service(ctx, _settings(ctx).microfund_url, "the micro-fund service") as api:
        yield api


def _json_object(response: ApiResponse) -> dict[str, Any]:
    if not isinstance(response.data, dict):
        _fail("the service answered with something other than a JSON object", request_id=response.request_id)
    return response.data


# ---------------------------------------------------------------- parsing


def _decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise typer.BadParameter(f"{value!r} is not a finite number")
    return number


def _fee_rate(value: str) -> Decimal:
    rate = _decimal(value)
    if rate <= 0:
        raise typer.BadParameter("the fee rate must be a positive number of fen per m² per month")
    return rate


def _month(value: str) -> str:
    """A month written YYYY-MM (the server checks its range: not a coming month, at most 24 back)."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        raise typer.BadParameter(f"{value!r} is not a month written YYYY-MM (e.g. 2025-11)")
    return value


def yuan_to_fen(value: str, *, allow_zero: bool = False) -> int:
    """'1234.5' yuan → 123450 fen, exactly (Decimal, never float); more than two decimals cannot be fen,
    and an amount is positive (`allow_zero`: or 0)."""
    number = _decimal(value)
    if number < 0 or (number == 0 and not allow_zero):
        raise typer.BadParameter(f"{value!r}: the amount must be {'0 or more' if allow_zero else 'more than 0'} yuan")
    try:
        cents = number.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than a Decimal holds: no amount of money
        raise typer.BadParameter(f"{value!r} is too large an amount") from None
    if cents != number:
        raise typer.BadParameter(f"{value!r}: an amount in yuan has at most two decimals (fen)")
    return int(cents.scaleb(2))


def _positive_yuan(value: str) -> int:
    return yuan_to_fen(value)


def _yuan_or_zero(value: str) -> int:
    return yuan_to_fen(value, allow_zero=True)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date as YYYY-MM-DD, e.g. 2026-05-01") from None


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date and time, e.g. 2026-05-01T20:00+08:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_STANDARD_TIME)


def percent_to_bps(percent: Decimal) -> int:
    """66.67 % → 6667 basis points; more than two decimals cannot be expressed in basis points."""
    bps = percent * 100
    if not 0 <= bps <= 10000:
        raise typer.BadParameter("the quorum must be between 0 and 100 percent", param_hint="--quorum-percent")
    if bps != bps.to_integral_value():
        raise typer.BadParameter("the quorum may have at most two decimals", param_hint="--quorum-percent")
    return int(bps)


def split_display_name(name: str) -> tuple[str, str]:
    """'张 三' → ('张', '三'): first and last name split at the first space; one word is used for both."""
    first, space, last = name.strip().partition(" ")
    if not space or not last.strip():
        return first, first
    return first, last.strip()


def _person(role: str, username: str | None, email: str | None, name: str | None) -> dict[str, str] | None:
    given = {"username": username, "email": email, "name": name}
    if all(value is None for value in given.values()):
        return None
    present = {key: value.strip() for key, value in given.items() if value and value.strip()}
    missing = [f"--{role}-{key}" for key in given if key not in present]
    if missing:
        raise typer.BadParameter(
            f"--{role}-username, --{role}-email and --{role}-name go together; missing: {', '.join(missing)}"
        )
    first_name, last_name = split_display_name(present["name"])
    return {
        "username": present["username"],
        "email": present["email"],
        "first_name": first_name,
        "last_name": last_name,
    }


# ---------------------------------------------------------------- root


@app.callback()
def main(
    ctx: typer.Context,
    keycloak_url: Annotated[
        str, typer.Option("--keycloak-url", envvar="XINYI_KEYCLOAK_URL", metavar="URL", help="Keycloak (realm xinyi).")
    ] = DEFAULT_KEYCLOAK_URL,
    tenant_url: Annotated[
        str, typer.Option("--tenant-url", envvar="XINYI_TENANT_URL", metavar="URL", help="The tenant service.")
    ] = DEFAULT_TENANT_URL,
    ledger_url: Annotated[
        str, typer.Option("--ledger-url", envvar="XINYI_LEDGER_URL", metavar="URL", help="The ledger service.")
    ] = DEFAULT_LEDGER_URL,
    microfund_url: Annotated[
        str,
        typer.Option("--microfund-url", envvar="XINYI_MICROFUND_URL", metavar="URL", help="The micro-fund service."),
    ] = DEFAULT_MICROFUND_URL,
) -> None:
    """Xinyi 信义 platform tool. Log in first with `xinyi login --username NAME`; XINYI_TOKEN overrides."""
    ctx.obj = Settings(
        keycloak_url=keycloak_url.rstrip("/"),
        tenant_url=tenant_url.rstrip("/"),
        ledger_url=ledger_url.rstrip("/"),
        microfund_url=microfund_url.rstrip("/"),
    )


@app.command()
def login(
    ctx: typer.Context,
    username: Annotated[str, typer.Option("--username", "-u", help="Your Keycloak user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Log in to Keycloak (password grant) and store the tokens for the other commands."""
    settings = _settings(ctx)
    password = sys.stdin.read().rstrip("\r\n") if password_stdin else typer.prompt("Password", hide_input=True)
    if not password:
        raise typer.BadParameter("the password is empty", param_hint="--password-stdin" if password_stdin else None)
    path = auth.token_path()
    try:
        with client.make_http_client() as http:
            tokens = auth.password_grant(http, settings.keycloak_url, username, password)
        auth.save_tokens(tokens, path)
    except ApiError as error:
        _fail(f"login failed: {error.reason}", request_id=error.request_id if error.status else None)
    except OSError as error:
        _fail(f"cannot store the token in {path}: {error}")
    _stdout().print(Text(f"logged in as {username} (token stored in {path})"), soft_wrap=True)


@app.command()
def logout() -> None:
    """Forget the stored tokens."""
    path = auth.token_path()
    if auth.delete_tokens(path):
        _stdout().print(Text(f"logged out (removed {path})"), soft_wrap=True)
    else:
        _stdout().print(Text("not logged in (no stored token)"), soft_wrap=True)


# ---------------------------------------------------------------- estates

ESTATE_COLUMNS = (
    "code",
    "name",
    "community_code",
    "status",
    "fee_rate_fen_per_sqm_month",
    "remuneration_share_bps",
    "donation_share_bps",
)


def _listed(data: Any) -> list[Any]:
    """The items of a page of a list (nothing when the body is not a list)."""
    return data if isinstance(data, list) else []


@estates_app.command("list")
def estates_list(
    ctx: typer.Context,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the service's JSON as it came (its pages joined into one list)."),
    ] = False,
) -> None:
    """Every estate of the district (all the pages of the list)."""
    with _tenant(ctx) as api:
        pages = api.get_every_page("/v1/estates", _listed)
    response = pages[0]
    for page in pages:
        if not isinstance(page.data, list):
            _fail("the service answered with something other than a list of estates", request_id=page.request_id)
    estates = [estate for page in pages for estate in page.data]
    if as_json:
        typer.echo(response.text if len(pages) == 1 else json.dumps(estates, ensure_ascii=False))
        return
    if not estates:
        _stdout().print("no estates yet")
        return
    table = Table(*ESTATE_COLUMNS)
    for estate in estates:
        row = estate if isinstance(estate, dict) else {}
        table.add_row(*(_cell(row.get(column)) for column in ESTATE_COLUMNS))
    _stdout().print(table)


@estates_app.command("onboard")
def estates_onboard(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Immutable estate code, e.g. jinhe-lvzhou.")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 金河绿洲.")],
    district: Annotated[str, typer.Option("--district", help="District code.")],
    sub_district: Annotated[str, typer.Option("--sub-district", help="Sub-district (street) code.")],
    community: Annotated[str, typer.Option("--community", help="Community code.")],
    fee_rate: Annotated[
        Decimal, typer.Option("--fee-rate", parser=_fee_rate, help="Fen per m² per month (35 = 0.35 CNY).")
    ] = Decimal("35"),
    remuneration_bps: Annotated[
        int, typer.Option("--remuneration-bps", min=0, max=10000, help="Firm's share of fees, basis points.")
    ] = 1500,
    donation_bps: Annotated[
        int, typer.Option("--donation-bps", min=0, max=10000, help="Share of the remuneration donated, basis points.")
    ] = 3000,
    manager_username: Annotated[str | None, typer.Option("--manager-username")] = None,
    manager_email: Annotated[str | None, typer.Option("--manager-email")] = None,
    manager_name: Annotated[str | None, typer.Option("--manager-name", help='Display name, e.g. "张 三".')] = None,
    supervisor_username: Annotated[str | None, typer.Option("--supervisor-username")] = None,
    supervisor_email: Annotated[str | None, typer.Option("--supervisor-email")] = None,
    supervisor_name: Annotated[str | None, typer.Option("--supervisor-name")] = None,
    books_from: Annotated[
        str | None,
        typer.Option(
            "--books-from",
            parser=_month,
            help="YYYY-MM: the estate joins with its books from this earlier month (at most 24 months back); "
            "each month from it can be billed and closed. Default: this month.",
        ),
    ] = None,
) -> None:
    """Onboard an estate (platform_admin); repeating the same request changes nothing."""
    body: dict[str, Any] = {
        "code": code,
        "name": name,
        "district_code": district,
        "sub_district_code": sub_district,
        "community_code": community,
        "fee_rate_fen_per_sqm_month": str(fee_rate),
        "remuneration_share_bps": remuneration_bps,
        "donation_share_bps": donation_bps,
    }
    if books_from is not None:
        body["books_from"] = books_from
    manager = _person("manager", manager_username, manager_email, manager_name)
    supervisor = _person("supervisor", supervisor_username, supervisor_email, supervisor_name)
    if manager is not None:
        body["firm_manager"] = manager
    if supervisor is not None:
        body["supervisor"] = supervisor
    with _tenant(ctx) as api:
        response = api.post("/v1/estates", body)
    estate = _json_object(response)
    out = _stdout()
    if response.status == 201:
        out.print(Text(f"onboarded estate {code} ({estate.get('name', name)}), status {estate.get('status', '?')}"))
        if estate.get("books_from"):
            out.print(Text(f"its trust books begin in {estate['books_from']}: bill and close each month from it"))
    else:
        out.print(Text(f"estate {code} was already onboarded with the same details; nothing changed"))
    passwords = estate.get("initial_passwords")
    if isinstance(passwords, dict) and passwords:
        out.print(
            Text(
                "Temporary passwords — shown only this once; each must be changed at first login:",
                style="bold yellow",
            ),
            soft_wrap=True,
        )
        table = Table("username", "temporary password")
        for username, password in passwords.items():
            table.add_row(Text(str(username)), Text(str(password)))
        out.print(table)


@estates_app.command("staff")
def estates_staff(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the service's JSON as it came (its pages joined into one list)."),
    ] = False,
) -> None:
    """The firm's accounts of an estate: whom its tickets may be assigned to (account ids)."""
    with _tenant(ctx) as api:
        pages = api.get_every_page(f"/v1/estates/{segment(code)}/staff", _listed)
    for page in pages:
        if not isinstance(page.data, list):
            _fail("the service answered with something other than a list of accounts", request_id=page.request_id)
    accounts = [account for page in pages for account in page.data]
    if as_json:
        typer.echo(pages[0].text if len(pages) == 1 else json.dumps(accounts, ensure_ascii=False))
        return
    if not accounts:
        _stdout().print(f"estate {code} has no firm accounts yet")
        return
    table = Table("display_name", "username", "roles", "account_id")
    for account in accounts:
        row = account if isinstance(account, dict) else {}
        roles = row.get("roles")
        table.add_row(
            _cell(row.get("display_name")),
            _cell(row.get("username")),
            Text(", ".join(str(role) for role in roles) if isinstance(roles, list) else ""),
            _cell(row.get("account_id")),
        )
    _stdout().print(table)


@estates_app.command("suspend")
def estates_suspend(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept with the estate's history.")],
) -> None:
    """Suspend an estate."""
    with _tenant(ctx) as api:
        response = api.post(f"/v1/estates/{segment(code)}/suspend", {"reason": reason})
    _print_estate_status(code, response, "suspended")


@estates_app.command("resume")
def estates_resume(ctx: typer.Context, code: Annotated[str, typer.Argument(help="Estate code.")]) -> None:
    """Resume a suspended estate."""
    with _tenant(ctx) as api:
        response = api.post(f"/v1/estates/{segment(code)}/resume")
    _print_estate_status(code, response, "active")


def _print_estate_status(code: str, response: ApiResponse, expected: str) -> None:
    status = response.data.get("status") if isinstance(response.data, dict) else None
    _stdout().print(Text(f"estate {code} is now {status or expected}"))


# ---------------------------------------------------------------- households


@households_app.command("import")
def households_import(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The households as .csv or .xlsx."),
    ],
) -> None:
    """Import an estate's households from a CSV or Excel sheet: all rows or none."""
    content_type = content_type_of(file)
    if content_type is None:
        raise typer.BadParameter(f"must be one of {', '.join(CONTENT_TYPES)}", param_hint="FILE")
    upload = MultipartFile.of(file, field="file", content_type=content_type)
    with _tenant(ctx) as api:
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=_stderr(),
        )
        try:
            with progress:
                task = progress.add_task(f"uploading {file.name}", total=upload.file_size)
                response = api.request(
                    "POST",
                    f"/v1/estates/{segment(code)}/households/import",
                    content=upload.chunks(lambda sent: progress.advance(task, sent)),
                    headers={"Content-Type": upload.content_type, "Content-Length": str(upload.length)},
                    timeout=UPLOAD_TIMEOUT,
                )
        except ApiError as error:
            row_errors = error.payload.get("row_errors")
            if error.status == 422 and isinstance(row_errors, list):
                _print_row_errors(row_errors)
                _fail(f"{error.reason}; nothing was imported", request_id=error.request_id)
            raise
        except OSError as error:
            _fail(f"cannot read {file}: {error}")
    result = _json_object(response)
    _stdout().print(Text(f"imported {result.get('imported', 0)} households"))


def _print_row_errors(row_errors: Sequence[Any]) -> None:
    table = Table("line", "column", "reason", title=f"{len(row_errors)} rows refused")
    for row in row_errors:
        entry = row if isinstance(row, dict) else {"reason": row}
        table.add_row(_cell(entry.get("line")), _cell(entry.get("column")), _cell(entry.get("reason")))
    _stderr().print(table)


# ---------------------------------------------------------------- ballots


@ballots_app.command("open")
def ballots_open(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    question: Annotated[str, typer.Option("--question", help="What the owners decide.")],
    options: Annotated[list[str], typer.Option("--option", help="One choice; give at least two.")],
    closes_at: Annotated[
        datetime,
        typer.Option("--closes-at", parser=_instant, metavar="ISO", help="ISO 8601; without offset: UTC+8."),
    ],
    opens_at: Annotated[
        datetime | None,
        typer.Option("--opens-at", parser=_instant, metavar="ISO", help="ISO 8601; default: now."),
    ] = None,
    quorum_percent: Annotated[
        Decimal, typer.Option("--quorum-percent", parser=_decimal, help="Share of households that must vote.")
    ] = Decimal("50"),
    threshold: Annotated[Threshold, typer.Option("--threshold")] = Threshold.SIMPLE_MAJORITY,
    base: Annotated[
        ThresholdBase, typer.Option("--base", help="What the threshold is a share of.")
    ] = ThresholdBase.VOTES_CAST,
    subject: Annotated[str | None, typer.Option("--subject", help="What the ballot is about, if any.")] = None,
) -> None:
    """Open a ballot; prints its id."""
    if len(options) < 2:
        raise typer.BadParameter("give at least two --option", param_hint="--option")
    if len(set(options)) != len(options):
        raise typer.BadParameter("the options must differ", param_hint="--option")
    opens = opens_at or datetime.now(UTC).replace(microsecond=0)
    if closes_at <= opens:
        raise typer.BadParameter("the ballot must close after it opens", param_hint="--closes-at")
    body = {
        "question": question,
        "options": options,
        "opens_at": opens.isoformat(),
        "closes_at": closes_at.isoformat(),
        "quorum_bps": percent_to_bps(quorum_percent),
        "threshold": threshold.value,
        "threshold_base": base.value,
        "subject": subject,
    }
    with _tenant(ctx) as api:
        response = api.post(f"/v1/estates/{segment(code)}/ballots", body)
    ballot_id = _json_object(response).get("id")
    if ballot_id is None:
        _fail("the service did not say which ballot it opened", request_id=response.request_id)
    typer.echo(ballot_id)


@ballots_app.command("close")
def ballots_close(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    ballot_id: Annotated[str, typer.Argument(help="The ballot's id.")],
) -> None:
    """Close a ballot and show its result."""
    with _tenant(ctx) as api:
        response = api.post(f"/v1/estates/{segment(code)}/ballots/{segment(ballot_id)}/close")
    _print_result(_json_object(response))


@ballots_app.command("show")
def ballots_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Estate code.")],
    ballot_id: Annotated[str, typer.Argument(help="The ballot's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the service's JSON as it came.")] = False,
) -> None:
    """Show a ballot (and its result once closed)."""
    with _tenant(ctx) as api:
        response = api.get(f"/v1/estates/{segment(code)}/ballots/{segment(ballot_id)}")
    if as_json:
        typer.echo(response.text)
        return
    ballot = _json_object(response)
    details = Table("field", "value", show_header=False)
    for key, value in ballot.items():
        if key == "result":  # the count once closed (BallotResultPublic), shown below
            continue
        if isinstance(value, list):
            shown: object = ", ".join(map(str, value))
        elif isinstance(value, dict):  # own_votes: household → its current choice
            shown = ", ".join(f"{k}: {v if v is not None else '-'}" for k, v in value.items())
        else:
            shown = value
        details.add_row(Text(key), _cell(shown))
    _stdout().print(details)
    result = ballot.get("result")
    if isinstance(result, dict):
        _print_result(result)


def _print_result(result: Mapping[str, Any]) -> None:
    out = _stdout()
    tally = result.get("tally")
    table = Table("option", "votes")
    if isinstance(tally, dict):
        for option, votes in tally.items():
            table.add_row(Text(str(option)), _cell(votes))
    out.print(table)
    out.print(Text(f"votes cast: {result.get('votes_cast', '?')} / electorate: {result.get('electorate_size', '?')}"))
    quorum = result.get("quorum_met")
    out.print(Text(f"quorum met: {'yes' if quorum else 'no' if quorum is not None else '?'}"))
    adopted = result.get("adopted_option")
    out.print(Text(f"adopted option: {adopted if adopted is not None else 'none'}"))


# ---------------------------------------------------------------- billing

PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
IDEMPOTENCY_KEY_LENGTH = (8, 128)  # what the ledger accepts
POLL_INTERVAL_SECONDS = 0.5
POLL_RETRIES = 5  # consecutive polls without an answer (or 502/503/504) tolerated before giving up
RUNNING = frozenset({"queued", "running"})


def format_fen(fen: int) -> str:
    """Integer fen as yuan with two decimals (exact, no float): 1234567 → '12,345.67', -5 → '-0.05'."""
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d}"


def _period(value: str) -> str:
    if not PERIOD_PATTERN.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not a month as YYYY-MM, e.g. 2026-05")
    return value


def _check_key(key: str) -> str:
    low, high = IDEMPOTENCY_KEY_LENGTH
    if not (low <= len(key) <= high and key.isascii() and key.isprintable() and key == key.strip()):
        raise typer.BadParameter(f"the key must be {low} to {high} printable ASCII characters", param_hint="--key")
    return key


def _count(job: Mapping[str, Any], key: str) -> int | None:
    value = job.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _job(response: ApiResponse) -> dict[str, Any]:
    job = _json_object(response)
    if not isinstance(job.get("job_id"), str) or not job["job_id"]:
        _fail("the ledger did not say which billing job it is", request_id=response.request_id)
    return job


def _running(job: Mapping[str, Any]) -> bool:
    return job.get("status") in RUNNING if isinstance(job.get("status"), str) else False


def _transient(error: ApiError) -> bool:
    return error.status is None or error.status in (502, 503, 504)


def _show_progress(progress: Progress, households: TaskID, estates: TaskID, job: Mapping[str, Any]) -> None:
    progress.update(households, completed=_count(job, "households_done") or 0, total=_count(job, "households_total"))
    progress.update(estates, completed=_count(job, "estates_done") or 0, total=_count(job, "estates_total"))


def _follow_job(api: ApiClient, job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Poll the job every POLL_INTERVAL_SECONDS until it is done or failed (or `timeout` passed), with a
    progress bar of households and estates on stderr."""
    job_id = str(job["job_id"])
    deadline = time.monotonic() + timeout
    progress = Progress(
        TextColumn("[bold]{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr(),
    )
    with progress:
        households = progress.add_task("households", total=None)
        estates = progress.add_task("estates", total=None)
        _show_progress(progress, households, estates, job)
        failed_polls = 0
        while _running(job) and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_SECONDS)
            try:
                job = _job(api.get(f"/v1/billing-jobs/{segment(job_id)}"))
            except ApiError as error:
                failed_polls += 1
                if not _transient(error) or failed_polls > POLL_RETRIES:
                    raise
                continue
            failed_polls = 0
            _show_progress(progress, households, estates, job)
    if _running(job):
        _fail(
            f"billing job {job_id} is still {job.get('status')} after {timeout:g} s; the ledger carries on with it",
            hint=f"follow it with `xinyi billing status {job_id}`",
        )
    return job


def _print_job(job: Mapping[str, Any]) -> None:
    """The job's summary on stdout, its failures as a table on stderr."""
    out = _stdout()
    if job.get("scope") == "district":
        scope = f"district {job.get('district_code') or '?'}"
    else:
        scope = f"estate {job.get('estate_code') or '?'}"
    total = _count(job, "households_total")
    out.print(Text(f"billing job {job['job_id']}: {scope}, period {job.get('period', '?')}, {job.get('status', '?')}"))
    out.print(Text(f"estates: {_count(job, 'estates_done') or 0}/{_count(job, 'estates_total') or 0}"))
    out.print(
        Text(
            f"households: {_count(job, 'households_done') or 0}/{total if total is not None else '?'} processed, "
            f"{_count(job, 'households_billed') or 0} billed"
        )
    )
    out.print(Text(f"amount billed: ¥{format_fen(_count(job, 'billed_fen') or 0)}"))
    failures = job.get("failures")
    if isinstance(failures, list) and failures:
        table = Table("estate", "reason", title=f"{_estates(len(failures))} not billed")
        for failure in failures:
            entry = failure if isinstance(failure, dict) else {"reason": failure}
            table.add_row(_cell(entry.get("estate_code")), _cell(entry.get("reason")))
        _stderr().print(table)


def _estates(count: int) -> str:
    return f"{count} estate" if count == 1 else f"{count} estates"


def _exit_on_failure(job: Mapping[str, Any]) -> None:
    failures = job.get("failures")
    if job.get("status") == "failed":
        _fail(f"billing job {job['job_id']} failed")
    if isinstance(failures, list) and failures:
        _fail(
            f"billing job {job['job_id']} finished, but {_estates(len(failures))} "
            f"{'was' if len(failures) == 1 else 'were'} not billed"
        )


@billing_app.command("run")
def billing_run(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", parser=_period, metavar="YYYY-MM", help="The month to bill.")],
    estate: Annotated[str | None, typer.Option("--estate", metavar="CODE", help="Bill one estate.")] = None,
    district: Annotated[
        str | None, typer.Option("--district", metavar="CODE", help="Bill every estate of a district.")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="KEY", help="Idempotency key; give the one printed earlier to retry that run."),
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Print the job id and return at once.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, metavar="SECONDS", help="How long to follow the job.")
    ] = 3600,
) -> None:
    """Bill a month for one estate or a whole district, with a progress bar and a summary.

    Exits 1 when the job failed or some estates were not billed."""
    if (estate is None) == (district is None):
        raise typer.BadParameter("give one of --estate CODE or --district CODE", param_hint="--estate / --district")
    if key is None:
        key = str(uuid.uuid4())
        _stderr().print(Text(f"idempotency key: {key} (to retry this run: --key {key})"), soft_wrap=True)
    else:
        key = _check_key(key)
    if estate is not None:
        path = f"/v1/estates/{segment(estate)}/billing-runs"
    else:
        path = f"/v1/districts/{segment(district or '')}/billing-runs"
    with _ledger(ctx) as api:
        response = api.request("POST", path, json_body={"period": period}, headers={"Idempotency-Key": key})
        job = _job(response)
        if response.headers.get("Idempotent-Replayed") == "true":
            _stderr().print(Text(f"this key started billing job {job['job_id']} before; showing that job"))
        if no_wait:
            typer.echo(job["job_id"])
            _stderr().print(Text(f"follow it with: xinyi billing status {job['job_id']}"), soft_wrap=True)
            return
        job = _follow_job(api, job, timeout)
    _print_job(job)
    _exit_on_failure(job)


@billing_app.command("status")
def billing_status(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The billing job's id (printed by `xinyi billing run`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the service's JSON as it came.")] = False,
) -> None:
    """Show a billing job: status, progress, amount billed, failures.

    Exits 1 when the job failed or some estates were not billed."""
    with _ledger(ctx) as api:
        response = api.get(f"/v1/billing-jobs/{segment(job_id)}")
    if as_json:
        typer.echo(response.text)
    job = _job(response)
    if not as_json:
        _print_job(job)
    _exit_on_failure(job)


# ---------------------------------------------------------------- micro-fund

FUND_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{8,128}")  # what the micro-fund accepts as an Idempotency-Key
FUND_FILE_TYPES = {  # what the micro-fund stores (it checks the bytes too)
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
FUND_FILE_LIMIT = 10 * 1024 * 1024


class DonorSource(StrEnum):
    FIRM = "firm"
    RESIDENT = "resident"
    BUSINESS = "business"
    SUB_DISTRICT = "sub_district"
    OTHER = "other"


CommunityOption = Annotated[str, typer.Option("--community", metavar="CODE", help="The community's code.")]
GrantArgument = Annotated[str, typer.Argument(help="The grant's id (see `xinyi fund grants`).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the service's JSON as it came.")]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", metavar="KEY", help="Idempotency key; give the one printed earlier to retry."),
]


def _fund_path(community: str, *rest: str) -> str:
    return "/".join((f"/v1/communities/{segment(community)}/fund", *map(segment, rest)))


def _yuan(value: Any) -> str:
    return f"¥{format_fen(value)}" if isinstance(value, int) and not isinstance(value, bool) else "?"


def _amount(header: str) -> Column:
    return Column(header, justify="right")


def _money(value: Any) -> Text:
    """A fen amount in a table cell, as yuan (the column says ¥)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Text(format_fen(value))
    return _cell(value)


def _fund_key(key: str | None, what: str) -> str:
    """The Idempotency-Key: the one given (checked as the micro-fund does), else a new one printed to retry with."""
    if key is None:
        key = str(uuid.uuid4())
        _stderr().print(Text(f"idempotency key: {key} (to retry this {what}: --key {key})"), soft_wrap=True)
        return key
    if not FUND_KEY_PATTERN.fullmatch(key):
        raise typer.BadParameter("the key must be 8 to 128 letters, digits, '_', '.', ':' or '-'", param_hint="--key")
    return key


def _check_fund_file(path: Path, param_hint: str) -> Path:
    """Refuse, before anything is sent, a file the micro-fund would not store."""
    if path.suffix.lower() not in FUND_FILE_TYPES:
        raise typer.BadParameter(
            f"{path.name}: the fund stores {', '.join(FUND_FILE_TYPES)} files only", param_hint=param_hint
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error}", param_hint=param_hint) from None
    if size > FUND_FILE_LIMIT:
        raise typer.BadParameter(f"{path.name} is larger than the fund's 10 MiB per file", param_hint=param_hint)
    return path


def _upload_fund_file(api: ApiClient, community: str, path: Path) -> str:
    """Upload a receipt or photo to the fund; its SHA-256, checked against the file's own."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        upload = MultipartFile.of(path, field="file", content_type=FUND_FILE_TYPES[path.suffix.lower()])
        response = api.request(
            "POST",
            _fund_path(community, "files"),
            content=upload.chunks(),
            headers={"Content-Type": upload.content_type, "Content-Length": str(upload.length)},
            timeout=UPLOAD_TIMEOUT,
        )
    except OSError as error:
        _fail(f"cannot read {path}: {error}")
    stored = _json_object(response)
    if stored.get("sha256") != digest:
        _fail(
            f"the fund stored {path.name} as {stored.get('sha256')!r}, but the file's SHA-256 is {digest}",
            request_id=response.request_id,
        )
    _stderr().print(Text(f"uploaded {path.name} ({upload.file_size:,} bytes): sha256 {digest}"), soft_wrap=True)
    return digest


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row if isinstance(row, dict) else {} for row in value] if isinstance(value, list) else []


def _replayed(response: ApiResponse, message: str) -> None:
    if response.headers.get("Idempotent-Replayed") == "true":
        _stderr().print(Text(message), soft_wrap=True)


@fund_app.command("statement")
def fund_statement(ctx: typer.Context, community: CommunityOption, as_json: JsonOption = False) -> None:
    """The fund's public statement: balances, the firms' pledges, donations and grants (amounts in yuan)."""
    with _microfund(ctx) as api:
        response = api.get(_fund_path(community))
    if as_json:
        typer.echo(response.text)
        return
    statement = _json_object(response)
    out = _stdout()
    out.print(Text(f"{statement.get('name') or '?'} — community {statement.get('community_code') or community}"))
    estates = statement.get("estates")
    out.print(Text(f"estates: {', '.join(map(str, estates)) if isinstance(estates, list) and estates else '—'}"))
    for label, key in (
        ("balance", "balance_fen"),
        ("pledges receivable", "pledges_receivable_fen"),
        ("grants payable", "grants_payable_fen"),
        ("donations from firms", "donations_from_firms_fen"),
        ("other donations", "other_donations_fen"),
        ("grants", "grants_fen"),
    ):
        out.print(Text(f"{label}: {_yuan(statement.get(key))}"))
    out.print(Text(f"threshold: {_yuan(statement.get('threshold_fen'))} (above it, the households decide by ballot)"))

    firms = _rows(statement.get("firms"))
    if firms:
        table = Table(
            "estate", _amount("pledged ¥"), _amount("received ¥"), _amount("outstanding ¥"), title="firms' pledges"
        )
        for firm in firms:
            table.add_row(
                _cell(firm.get("estate_code")),
                _money(firm.get("pledged_fen")),
                _money(firm.get("received_fen")),
                _money(firm.get("outstanding_fen")),
            )
        out.print(table)
    else:
        out.print("no pledges from firms yet")

    donations = _rows(statement.get("donations"))
    if donations:
        table = Table("received on", "source", "estate", "donor", _amount("amount ¥"), "note", title="money received")
        for donation in donations:
            table.add_row(
                _cell(donation.get("received_on")),
                _cell(donation.get("source")),
                _cell(donation.get("estate_code")),
                _cell(donation.get("donor")),
                _money(donation.get("amount_fen")),
                _cell(donation.get("note") or None),
            )
        out.print(table)
    else:
        out.print("no money received yet")

    grants = _rows(statement.get("grants"))
    if grants:
        out.print(_grants_table(grants))
    else:
        out.print("no grants yet")


def _grants_table(grants: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(
        "#",
        "id",
        "title",
        "status",
        _amount("amount ¥"),
        _amount("approved ¥"),
        _amount("disbursed ¥"),
        "decided by",
        "estates",
        title="grants",
    )
    for grant in grants:
        estates = grant.get("benefiting_estates")
        table.add_row(
            _cell(grant.get("number")),
            _cell(grant.get("id")),
            _cell(grant.get("title")),
            _cell(grant.get("status")),
            _money(grant.get("amount_fen")),
            _money(grant.get("approved_fen")),
            _money(grant.get("disbursed_fen")),
            _cell(grant.get("decided_by")),
            _cell(", ".join(map(str, estates)) if isinstance(estates, list) else estates),
        )
    return table


@fund_app.command("rule")
def fund_rule(
    ctx: typer.Context,
    community: CommunityOption,
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold",
            parser=_yuan_or_zero,
            metavar="YUAN",
            help="The officer decides grants up to this; above it, the benefiting estates' households by ballot.",
        ),
    ],
) -> None:
    """Set the council's threshold for the officer's decisions (community officer)."""
    with _microfund(ctx) as api:
        response = api.request("PUT", _fund_path(community, "rule"), json_body={"threshold_fen": threshold})
    rule = _json_object(response)
    _stdout().print(
        Text(
            f"community {community}: the officer decides grants up to {_yuan(rule.get('threshold_fen'))}; "
            "above it, the benefiting estates' households vote"
        ),
        soft_wrap=True,
    )


@fund_app.command("donation")
def fund_donation(
    ctx: typer.Context,
    community: CommunityOption,
    source: Annotated[
        DonorSource, typer.Option("--source", help="Who gave; firm: a firm's transfer against its pledges.")
    ],
    amount: Annotated[int, typer.Option("--amount", parser=_positive_yuan, metavar="YUAN", help="e.g. 1200.50")],
    received_on: Annotated[
        date, typer.Option("--received-on", parser=_day, metavar="YYYY-MM-DD", help="When the money arrived.")
    ],
    estate: Annotated[
        str | None,
        typer.Option("--estate", metavar="CODE", help="For --source firm: the estate whose pledges it pays."),
    ] = None,
    donor: Annotated[
        str | None, typer.Option("--donor", metavar="NAME", help="The donor's name, with --named only.")
    ] = None,
    named: Annotated[
        bool, typer.Option("--named", help="The donor agreed to be named in the statement (default: anonymous).")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="Shown in the statement.")] = "",
    key: KeyOption = None,
) -> None:
    """Record money the fund received (community officer); prints the idempotency key to retry with."""
    if source is DonorSource.FIRM and estate is None:
        raise typer.BadParameter("a firm's transfer names the estate whose pledges it pays", param_hint="--estate")
    if source is not DonorSource.FIRM and estate is not None:
        raise typer.BadParameter("only a firm's transfer (--source firm) names an estate", param_hint="--estate")
    if named != (donor is not None and donor.strip() != ""):
        raise typer.BadParameter(
            "--donor NAME and --named go together: a donor is named only when it agreed to be (else anonymous)",
            param_hint="--donor / --named",
        )
    key = _fund_key(key, "donation")
    body: dict[str, Any] = {
        "source": source.value,
        "amount_fen": amount,
        "received_on": received_on.isoformat(),
        "anonymous": not named,
        "note": note,
    }
    if estate is not None:
        body["estate_code"] = estate
    if named:
        body["donor_name"] = donor
    with _microfund(ctx) as api:
        response = api.request(
            "POST", _fund_path(community, "donations"), json_body=body, headers={"Idempotency-Key": key}
        )
    donation = _json_object(response)
    _replayed(response, f"this key recorded donation {donation.get('id')} before; nothing was recorded again")
    origin = f"{source.value} of estate {estate}" if estate is not None else source.value
    _stdout().print(
        Text(
            f"recorded donation {donation.get('id', '?')}: {_yuan(donation.get('amount_fen'))} from {origin}, "
            f"received on {donation.get('received_on', received_on.isoformat())}"
        ),
        soft_wrap=True,
    )


@fund_app.command("grants")
def fund_grants(
    ctx: typer.Context,
    community: CommunityOption,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the service's JSON as it came (its pages joined into one list)."),
    ] = False,
) -> None:
    """The fund's grants, from application to closing (all the pages of the list)."""
    with _microfund(ctx) as api:
        pages = api.get_every_page(_fund_path(community, "grants"), _listed)
    response = pages[0]
    for page in pages:
        if not isinstance(page.data, list):
            _fail("the service answered with something other than a list of grants", request_id=page.request_id)
    grants = [grant for page in pages for grant in page.data]
    if as_json:
        # One page: the answer as it came; several: their grants joined into one list.
        typer.echo(response.text if len(pages) == 1 else json.dumps(grants, ensure_ascii=False))
        return
    if not grants:
        _stdout().print("no grants yet")
        return
    _stdout().print(_grants_table(_rows(grants)))


GRANT_SHOWN_APART = frozenset({"budget", "instalments"})


def _field(key: str, value: Any) -> tuple[str, Text]:
    if key.endswith("_fen"):
        return f"{key.removesuffix('_fen')} ¥", _money(value)
    if isinstance(value, list):
        return key, _cell(", ".join(map(str, value)) or None)
    if isinstance(value, dict):  # ballots: estate → ballot id
        return key, _cell(", ".join(f"{k}: {v}" for k, v in value.items()) or None)
    if value == "":
        return key, _cell(None)
    return key, _cell(value)


def _detail(detail: Any) -> Text:
    if not isinstance(detail, dict) or not detail:
        return _cell(None)
    parts = []
    for key, value in detail.items():
        if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{key.removesuffix('_fen')}: ¥{format_fen(value)}")
        else:
            parts.append(f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")
    return Text("; ".join(parts))


@fund_app.command("grant")
def fund_grant(
    ctx: typer.Context, grant_id: GrantArgument, community: CommunityOption, as_json: JsonOption = False
) -> None:
    """A grant: its application, decision, instalments and history."""
    with _microfund(ctx) as api:
        response = api.get(_fund_path(community, "grants", grant_id))
    if as_json:
        typer.echo(response.text)
        return
    answer = _json_object(response)
    grant = answer.get("grant")
    if not isinstance(grant, dict):
        _fail("the service answered without the grant", request_id=response.request_id)
    out = _stdout()
    details = Table("field", "value", show_header=False)
    for key, value in grant.items():
        if key not in GRANT_SHOWN_APART:
            details.add_row(*_field(key, value))
    out.print(details)
    budget = _rows(grant.get("budget"))
    if budget:
        table = Table("item", _amount("amount ¥"), title="budget")
        for line in budget:
            table.add_row(_cell(line.get("item")), _money(line.get("amount_fen")))
        out.print(table)
    instalments = _rows(grant.get("instalments"))
    if instalments:
        table = Table("#", "paid on", _amount("amount ¥"), "receipt (sha256)", title="instalments")
        for instalment in instalments:
            table.add_row(
                _cell(instalment.get("number")),
                _cell(instalment.get("paid_on")),
                _money(instalment.get("amount_fen")),
                _cell(instalment.get("receipt")),
            )
        out.print(table)
    history = _rows(answer.get("history"))
    if history:
        table = Table("at", "action", "detail", title="history")
        for event in history:
            table.add_row(_cell(event.get("at")), _cell(event.get("action")), _detail(event.get("detail")))
        out.print(table)


def _grant(response: ApiResponse) -> dict[str, Any]:
    grant = _json_object(response)
    if not isinstance(grant.get("id"), str):
        _fail("the service did not say which grant it changed", request_id=response.request_id)
    return grant


def _grant_name(grant: Mapping[str, Any]) -> str:
    return f"grant #{grant.get('number', '?')} ({grant.get('title') or grant['id']})"


@fund_app.command("review")
def fund_review(
    ctx: typer.Context,
    grant_id: GrantArgument,
    community: CommunityOption,
    approve: Annotated[
        bool, typer.Option("--approve/--reject", help="Up to the threshold the decision; above it, to the ballots.")
    ],
    note: Annotated[str, typer.Option("--note", help="Why; required to reject.")] = "",
) -> None:
    """Review an application (community officer): decide it up to the threshold, or put it to the benefiting
    estates' ballots above it; a rejection is final."""
    if not approve and not note.strip():
        raise typer.BadParameter("a rejection says why", param_hint="--note")
    with _microfund(ctx) as api:
        response = api.post(_fund_path(community, "grants", grant_id, "review"), {"approve": approve, "note": note})
    grant = _grant(response)
    out = _stdout()
    status = grant.get("status")
    if status == "approved":
        out.print(Text(f"{_grant_name(grant)} approved: {_yuan(grant.get('approved_fen'))}"), soft_wrap=True)
    elif status == "awaiting_ballot":
        out.print(
            Text(
                f"{_grant_name(grant)} is above the threshold: each benefiting estate "
                f"({', '.join(map(str, grant.get('benefiting_estates') or []))}) decides it by a ballot "
                f"with subject {grant.get('ballot_subject', '?')}"
            ),
            soft_wrap=True,
        )
    else:
        out.print(Text(f"{_grant_name(grant)} is now {status or '?'}"), soft_wrap=True)


@fund_app.command("disburse")
def fund_disburse(
    ctx: typer.Context,
    grant_id: GrantArgument,
    community: CommunityOption,
    amount: Annotated[int, typer.Option("--amount", parser=_positive_yuan, metavar="YUAN", help="This instalment.")],
    receipt: Annotated[
        Path,
        typer.Option(
            "--receipt", exists=True, dir_okay=False, readable=True, help="The receipt (PDF, PNG, JPEG, WebP)."
        ),
    ],
    paid_on: Annotated[date, typer.Option("--paid-on", parser=_day, metavar="YYYY-MM-DD", help="When it was paid.")],
    key: KeyOption = None,
) -> None:
    """Pay an instalment of an approved grant (community officer): uploads the receipt, then records the
    payment with it; prints the idempotency key to retry with."""
    _check_fund_file(receipt, "--receipt")
    key = _fund_key(key, "disbursement")
    with _microfund(ctx) as api:
        sha256 = _upload_fund_file(api, community, receipt)
        response = api.request(
            "POST",
            _fund_path(community, "grants", grant_id, "disbursements"),
            json_body={"amount_fen": amount, "receipt": sha256, "paid_on": paid_on.isoformat()},
            headers={"Idempotency-Key": key},
        )
    grant = _grant(response)
    _replayed(response, "this key paid the instalment before; nothing was paid again")
    instalments = _rows(grant.get("instalments"))
    number = instalments[-1].get("number", "?") if instalments else "?"
    _stdout().print(
        Text(
            f"{_grant_name(grant)}: instalment {number} of {_yuan(amount)} paid on {paid_on.isoformat()}; "
            f"{_yuan(grant.get('disbursed_fen'))} of {_yuan(grant.get('approved_fen'))} approved paid so far"
        ),
        soft_wrap=True,
    )


@fund_app.command("close")
def fund_close(
    ctx: typer.Context,
    grant_id: GrantArgument,
    community: CommunityOption,
    report: Annotated[str, typer.Option("--report", help="A short report of what the grant did.")],
    photos: Annotated[
        list[Path] | None,
        typer.Option(
            "--photo", exists=True, dir_okay=False, readable=True, help="A photo (PNG, JPEG, WebP, PDF); repeat."
        ),
    ] = None,
) -> None:
    """Close a paid grant with a report and photos (community officer); what it did not need returns to the
    fund. The photos are uploaded first."""
    if not report.strip():
        raise typer.BadParameter("the report must not be empty", param_hint="--report")
    files = [_check_fund_file(photo, "--photo") for photo in photos or []]
    with _microfund(ctx) as api:
        shas = [_upload_fund_file(api, community, photo) for photo in files]
        response = api.post(_fund_path(community, "grants", grant_id, "close"), {"report": report, "photos": shas})
    grant = _grant(response)
    approved, disbursed = grant.get("approved_fen"), grant.get("disbursed_fen")
    message = f"{_grant_name(grant)} is now {grant.get('status') or '?'}: {_yuan(disbursed)} paid"
    if isinstance(approved, int) and isinstance(disbursed, int) and approved > disbursed:
        message += f"; {_yuan(approved - disbursed)} not needed returns to the fund"
    _stdout().print(Text(message), soft_wrap=True)
