"""The fund's grants a page at a time (the platform's contract): ``GET /v1/communities/{community}/fund/grants``
takes ``limit`` (1-500, default 100) and ``offset`` (0 to 1,000,000), answers the page as the same JSON
list as before (by number) and ``X-Total-Count`` the number of grants in all pages: every grant of the
fund, since everyone of the community lists every grant (only the applicant is masked).

The fund's donations likewise (``GET /v1/communities/{community}/fund/donations``): the statement's
``donations`` items a page at a time, newest first (the day received, then the latest recorded, the id
breaking ties), ``X-Total-Count`` every donation of the fund.

The use case and the route in-process, on an in-memory fund repository standing in for
``adapters/funds.py`` (which pages in SQL: checked here on the statements it sends); no infrastructure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from microfund_service.adapters.funds import FundRepository, StoredDonation
from microfund_service.domain import fund
from microfund_service.domain.fund import ApplicantKind, Application, BudgetItem, Donation, DonorKind, Grant
from microfund_service.entrypoints import http_funds
from microfund_service.service_layer import funds as cases
from microfund_service.service_layer.funds import Microfund
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.db import Executor
from xinyi_shared.errors import PermissionDenied
from xinyi_shared.http import create_app, current_principal

COMMUNITY = "jinhe"
ESTATES = ("jinhe-a", "jinhe-b")
GRANTS = f"/v1/communities/{COMMUNITY}/fund/grants"
DONATIONS = f"/v1/communities/{COMMUNITY}/fund/donations"


def grant(n: int, applicant: str) -> Grant:
    application = Application(
        title=f"项目{n}",
        purpose="楼道灯改造",
        budget=(BudgetItem("LED灯具", 100_000 + n),),
        benefiting_estates=ESTATES,
        applicant_kind=ApplicantKind.RESIDENT_GROUP,
        group_name="楼道志愿队",
    )
    return fund.apply(f"g-{n}", COMMUNITY, application, applicant, "jinhe-a", ESTATES)


class FakeFunds:
    """The fund's grants as ``FundRepository.grants`` / ``count_grants`` give them: by number (and its
    donations, newest first)."""

    def __init__(self, grants: list[tuple[Grant, int]]) -> None:
        self.rows = sorted(grants, key=lambda row: (row[1], row[0].id))
        self.counted = 0
        # The donations as ``FundRepository.donations_page`` / ``count_donations`` give them: newest first.
        self.donations: list[StoredDonation] = []

    def estates(self) -> list[str]:
        return list(ESTATES)

    def grants(self, limit: int | None = None, offset: int = 0) -> list[tuple[Grant, int]]:
        return self.rows[offset:] if limit is None else self.rows[offset : offset + limit]

    def count_grants(self) -> int:
        self.counted += 1
        return len(self.rows)

    def donations_page(self, limit: int, offset: int) -> list[StoredDonation]:
        return self.donations[offset : offset + limit]

    def count_donations(self) -> int:
        return len(self.donations)


def donation(n: int, received_on: date) -> StoredDonation:
    return StoredDonation(
        f"d-{n}",
        Donation(DonorKind.RESIDENT, 100 * n, received_on, None, f"捐赠人{n}", n % 2 == 0, f"第{n}笔"),
        f"t-{n}",
    )


# Newest first, as the repository orders them (received_on DESC, recorded_at DESC, id DESC).
DONATED = [
    donation(3, date(2031, 4, 3)),
    donation(2, date(2031, 4, 2)),
    donation(1, date(2031, 4, 1)),
]


@pytest.fixture
def funds(monkeypatch: pytest.MonkeyPatch) -> FakeFunds:
    fake = FakeFunds([(grant(n, f"resident-{n}"), n) for n in (3, 1, 2)])
    fake.donations = list(DONATED)

    class FakeFundWork:
        def __init__(self, database: object, community: str) -> None:
            assert community == COMMUNITY
            self.funds = fake

        def __enter__(self) -> FakeFundWork:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(cases, "FundWork", FakeFundWork)
    return fake


APP = cast(Microfund, SimpleNamespace(database=None))


def member(subject: str, *roles: str) -> Principal:
    return Principal(subject, subject, frozenset(roles or {"resident"}), frozenset({"jinhe-a"}))


# The use case -----------------------------------------------------------------------------------------


def test_a_page_of_grants_with_the_total(funds: FakeFunds) -> None:
    resident = member("resident-2")
    total, page = cases.grants_of(APP, COMMUNITY, resident, 2, 0)
    assert (total, [n for _, n, _ in page]) == (3, [1, 2])
    total, page = cases.grants_of(APP, COMMUNITY, resident, 2, 2)
    assert (total, [n for _, n, _ in page]) == (3, [3])
    assert cases.grants_of(APP, COMMUNITY, resident, 2, 4) == (3, [])


def test_the_applicant_is_shown_only_to_itself_and_the_officer_and_every_grant_counts(funds: FakeFunds) -> None:
    _, page = cases.grants_of(APP, COMMUNITY, member("resident-2"), 500, 0)
    assert [(n, full) for _, n, full in page] == [(1, False), (2, True), (3, False)]
    _, page = cases.grants_of(APP, COMMUNITY, member("officer", "community_officer"), 500, 0)
    assert [full for _, _, full in page] == [True, True, True]
    assert cases.grants_of(APP, COMMUNITY, member("resident-9"), 1, 0)[0] == 3


def test_without_a_limit_every_grant_and_no_count_query(funds: FakeFunds) -> None:
    total, page = cases.grants_of(APP, COMMUNITY, member("resident-1"))
    assert (total, [n for _, n, _ in page]) == (3, [1, 2, 3])
    assert funds.counted == 0


# The adapter: paged in SQL --------------------------------------------------------------------------


class Recorded:
    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def all(self) -> list[Any]:
        return self.rows

    def scalar_one(self) -> Any:
        return self.rows[0]


class RecordingSession:
    def __init__(self, answers: list[list[Any]]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def execute(self, statement: Any, params: Any = None) -> Recorded:
        self.sent.append((str(statement), dict(params or {})))
        return Recorded(self.answers.pop(0))


def test_the_repository_pages_and_counts_in_sql() -> None:
    session = RecordingSession([[], [7], []])
    repository = FundRepository(cast(Executor, session), COMMUNITY)
    assert repository.grants(2, 4) == []
    assert repository.count_grants() == 7
    assert repository.grants() == []
    (paged, params), (counted, no_params), (everything, _) = session.sent
    assert paged == "SELECT state, number FROM grants ORDER BY number, id LIMIT :limit OFFSET :offset"
    assert params == {"limit": 2, "offset": 4}
    assert (counted, no_params) == ("SELECT count(*) FROM grants", {})  # the same rows: row-level security's
    assert everything == "SELECT state, number FROM grants ORDER BY number, id"


# The route, in-process ----------------------------------------------------------------------------------


@pytest.fixture
def client(funds: FakeFunds) -> Iterator[TestClient]:
    verifier = TokenVerifier("http://127.0.0.1:9/realms/xinyi", "xinyi-api")  # never asked: overridden
    app = create_app(service="microfund", title="microfund", description="", verifier=verifier, readiness_checks={})
    app.include_router(http_funds.build_funds_router())
    app.state.microfund = APP
    app.dependency_overrides[current_principal] = lambda: member("resident-2")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_route_pages_and_counts(client: TestClient) -> None:
    unpaged = client.get(GRANTS)
    assert (unpaged.status_code, unpaged.headers["X-Total-Count"]) == (200, "3"), unpaged.text
    everything = [g["id"] for g in unpaged.json()]
    assert everything == ["g-1", "g-2", "g-3"]
    first = client.get(GRANTS, params={"limit": 2, "offset": 0})
    second = client.get(GRANTS, params={"limit": 2, "offset": 2})
    assert (first.headers["X-Total-Count"], second.headers["X-Total-Count"]) == ("3", "3")
    first_ids, second_ids = [g["id"] for g in first.json()], [g["id"] for g in second.json()]
    assert not set(first_ids) & set(second_ids)
    assert first_ids + second_ids == everything
    assert [g["applicant"] is None for g in first.json()] == [True, False]  # resident-2 sees only its own


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "0"), ("limit", "501"), ("limit", "x"), ("offset", "-1"), ("offset", "1000001")]
)
def test_a_page_out_of_range_is_refused(client: TestClient, name: str, value: str) -> None:
    answer = client.get(GRANTS, params={name: value})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_input"), answer.text


@pytest.mark.parametrize(("name", "value"), [("limit", "1"), ("limit", "500"), ("offset", "1000000")])
def test_the_bounds_themselves_are_allowed(client: TestClient, name: str, value: str) -> None:
    answer = client.get(GRANTS, params={name: value})
    assert (answer.status_code, answer.headers["X-Total-Count"]) == (200, "3"), answer.text


def test_the_route_hands_the_page_to_the_use_case(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, ...]] = []

    def grants_of(*args: Any) -> tuple[int, list[tuple[Grant, int, bool]]]:
        seen.append(args[3:])
        return 0, []

    monkeypatch.setattr(http_funds.cases, "grants_of", grants_of)
    client.get(GRANTS, params={"limit": 7, "offset": 3})
    assert seen == [(7, 3)]


def test_the_route_declares_the_page_and_its_count(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    operation = client.app.openapi()["paths"]["/v1/communities/{community}/fund/grants"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    limit = parameters["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 100)
    assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (0, 1_000_000)
    ok = operation["responses"]["200"]
    assert ok["headers"]["X-Total-Count"]["schema"] == {"type": "integer", "minimum": 0}
    assert "X-Total-Count" in operation["description"]


# The donations ----------------------------------------------------------------------------------------


def test_a_page_of_donations_newest_first_with_the_total(funds: FakeFunds) -> None:
    resident = member("resident-2")
    total, page = cases.donations_of(APP, COMMUNITY, resident, 2, 0)
    assert (total, [d.id for d in page]) == (3, ["d-3", "d-2"])
    total, page = cases.donations_of(APP, COMMUNITY, resident, 2, 2)
    assert (total, [d.id for d in page]) == (3, ["d-1"])
    assert cases.donations_of(APP, COMMUNITY, resident, 2, 4) == (3, [])


def test_donations_are_for_the_community_only(funds: FakeFunds) -> None:
    stranger = Principal("stranger", "stranger", frozenset({"resident"}), frozenset({"elsewhere"}))
    with pytest.raises(PermissionDenied):
        cases.donations_of(APP, COMMUNITY, stranger, 10, 0)


def test_the_repository_pages_and_counts_donations_in_sql() -> None:
    row = SimpleNamespace(
        id="d-1",
        source="business",
        estate_code=None,
        amount_fen=100,
        received_on=date(2031, 4, 1),
        donor_name="便民超市",
        anonymous=False,
        note="",
        ledger_transaction="t-1",
    )
    session = RecordingSession([[row], [7]])
    repository = FundRepository(cast(Executor, session), COMMUNITY)
    (stored,) = repository.donations_page(2, 4)
    assert (stored.id, stored.donation.source, stored.donation.donor_name) == ("d-1", DonorKind.BUSINESS, "便民超市")
    assert repository.count_donations() == 7
    (paged, params), (counted, no_params) = session.sent
    assert paged.endswith(
        " FROM donations ORDER BY received_on DESC, recorded_at DESC, id DESC LIMIT :limit OFFSET :offset"
    )
    assert params == {"limit": 2, "offset": 4}
    assert (counted, no_params) == ("SELECT count(*) FROM donations", {})  # the same rows: row-level security's


def test_the_donations_route_pages_and_counts(client: TestClient) -> None:
    unpaged = client.get(DONATIONS)
    assert (unpaged.status_code, unpaged.headers["X-Total-Count"]) == (200, "3"), unpaged.text
    everything = unpaged.json()
    assert [d["id"] for d in everything] == ["d-3", "d-2", "d-1"]
    assert everything[0] == {
        "id": "d-3",
        "source": "resident",
        "estate_code": None,
        "amount_fen": 300,
        "received_on": "2031-04-03",
        "donor": "捐赠人3",
        "note": "第3笔",
    }
    assert everything[1]["donor"] is None  # anonymous: as in the statement
    first = client.get(DONATIONS, params={"limit": 2, "offset": 0})
    second = client.get(DONATIONS, params={"limit": 2, "offset": 2})
    assert (first.headers["X-Total-Count"], second.headers["X-Total-Count"]) == ("3", "3")
    first_ids, second_ids = [d["id"] for d in first.json()], [d["id"] for d in second.json()]
    assert not set(first_ids) & set(second_ids)
    assert first.json() + second.json() == everything
    past = client.get(DONATIONS, params={"limit": 2, "offset": 4})
    assert (past.json(), past.headers["X-Total-Count"]) == ([], "3")


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "0"), ("limit", "501"), ("limit", "x"), ("offset", "-1"), ("offset", "1000001")]
)
def test_a_page_of_donations_out_of_range_is_refused(client: TestClient, name: str, value: str) -> None:
    answer = client.get(DONATIONS, params={name: value})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_input"), answer.text


def test_the_donations_route_hands_the_page_to_the_use_case(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []

    def donations_of(*args: Any) -> tuple[int, list[StoredDonation]]:
        seen.append(args[3:])
        return 0, []

    monkeypatch.setattr(http_funds.cases, "donations_of", donations_of)
    client.get(DONATIONS)
    client.get(DONATIONS, params={"limit": 7, "offset": 3})
    assert seen == [(100, 0), (7, 3)]


def test_the_donations_route_declares_the_page_and_its_count(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    operation = client.app.openapi()["paths"]["/v1/communities/{community}/fund/donations"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    limit = parameters["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 100)
    assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (0, 1_000_000)
    ok = operation["responses"]["200"]
    assert ok["headers"]["X-Total-Count"]["schema"] == {"type": "integer", "minimum": 0}
    assert ok["content"]["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/DonationPublic"}
    assert "X-Total-Count" in operation["description"]
