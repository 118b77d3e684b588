"""The tenant service's lists a page at a time, end to end (the platform's paging contract): ``limit``
1..500 (default 100) and ``offset`` 0..1000000, else 422; the body one page in a stable order; the
``X-Total-Count`` header the items of every page. Estates (with the ``q`` search and the area
filters), an estate's ballots (latest first) and the committee's figures (``total``, ``limit``,
``offset`` in the body; the CSV export never paged).

Three estates of a district of this module's own, so that the counts are exact whatever else the
run onboards."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import estate_body, onboard
from tests.harness import bearer, eventually, household_csv, http_url, unique_code, user_token

OUT_OF_RANGE = ["limit=0", "limit=501", "offset=-1", "offset=1000001"]


@dataclass
class Area:
    district: str
    sub_district: str
    community: str
    marker: str  # in every estate's name, in none of the codes
    codes: list[str]  # sorted: the list's order


@pytest.fixture(scope="module")
def area(tenant_api: httpx.Client, admin_token: str) -> Area:
    district, sub_district, community = unique_code("pg-d"), unique_code("pg-s"), unique_code("pg-c")
    for path, body in (
        ("/v1/districts", {"code": district, "name": "分页测试区"}),
        (f"/v1/districts/{district}/sub-districts", {"code": sub_district, "name": "分页测试街道"}),
        (f"/v1/sub-districts/{sub_district}/communities", {"code": community, "name": "分页测试社区"}),
    ):
        response = tenant_api.post(path, json=body, headers=bearer(admin_token))
        assert response.status_code == 201, response.text
    marker = f"翻页{uuid.uuid4().hex[:8]}"
    stem = unique_code("pg")
    codes = [f"{stem}-{suffix}" for suffix in ("c", "a", "b")]  # onboarded out of order
    for code in codes:
        response = onboard(
            tenant_api,
            admin_token,
            code,
            name=f"{marker}小区 {code[-1]}",
            district_code=district,
            sub_district_code=sub_district,
            community_code=community,
        )
        assert response.status_code == 201, response.text
    return Area(district, sub_district, community, marker, sorted(codes))


def listed(tenant_api: httpx.Client, token: str, path: str, **params: Any) -> tuple[int, list[dict[str, Any]]]:
    """A page of a list and its X-Total-Count."""
    response = tenant_api.get(path, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list), body
    return int(response.headers["x-total-count"]), body


def stem_of(area: Area) -> str:
    return area.codes[0].rsplit("-", 1)[0]


# Estates ---------------------------------------------------------------------------------------------


def test_pages_of_estates_do_not_overlap_and_add_up_to_the_total(tenant_api, admin_token, area: Area) -> None:
    pages = [listed(tenant_api, admin_token, "/v1/estates", q=stem_of(area), limit=2, offset=o) for o in (0, 2, 4)]

    assert [total for total, _ in pages] == [3, 3, 3]
    codes = [[estate["code"] for estate in page] for _, page in pages]
    assert codes == [area.codes[:2], area.codes[2:], []], "by code, no estate on two pages, none left out"
    first = pages[0][1][0]
    assert first["district_code"] == area.district and first["name"].startswith(area.marker), (
        "each item is the same estate model as before"
    )


def test_the_search_finds_a_part_of_the_code_or_of_the_name_in_any_case(tenant_api, admin_token, area: Area) -> None:
    by_code = listed(tenant_api, admin_token, "/v1/estates", q=stem_of(area).upper())
    by_name = listed(tenant_api, admin_token, "/v1/estates", q=area.marker)
    one = listed(tenant_api, admin_token, "/v1/estates", q=area.codes[1])
    none = listed(tenant_api, admin_token, "/v1/estates", q=f"{area.marker}%")  # % is no wildcard

    assert (by_code[0], [e["code"] for e in by_code[1]]) == (3, area.codes)
    assert (by_name[0], [e["code"] for e in by_name[1]]) == (3, area.codes)
    assert (one[0], [e["code"] for e in one[1]]) == (1, [area.codes[1]])
    assert none == (0, [])


def test_the_area_filters_keep_the_estates_of_an_area(tenant_api, admin_token, area: Area) -> None:
    for params in (
        {"district": area.district},
        {"sub_district": area.sub_district},
        {"community": area.community},
        {"district": area.district, "community": area.community},
    ):
        total, page = listed(tenant_api, admin_token, "/v1/estates", **params)
        assert (total, [e["code"] for e in page]) == (3, area.codes), params
    total, page = listed(tenant_api, admin_token, "/v1/estates", district=area.district, q=area.codes[2])
    assert (total, [e["code"] for e in page]) == (1, [area.codes[2]])
    assert listed(tenant_api, admin_token, "/v1/estates", district=unique_code("pg-none")) == (0, [])


def test_the_unfiltered_list_is_a_page_of_the_district_in_code_order(tenant_api, admin_token, area: Area) -> None:
    total, page = listed(tenant_api, admin_token, "/v1/estates", limit=2)
    default_total, default = listed(tenant_api, admin_token, "/v1/estates")

    assert total >= 3 and default_total >= 3
    assert len(page) == 2
    assert len(default) == min(default_total, 100), "a page of 100 by default"
    for codes in ([e["code"] for e in default], [e["code"] for e in page]):
        assert codes == sorted(codes) and len(set(codes)) == len(codes)


@pytest.mark.parametrize("query", [*OUT_OF_RANGE, "q=", "district=Not%20a%20code"])
def test_estates_out_of_range_are_a_422(tenant_api, admin_token, query: str) -> None:
    response = tenant_api.get(f"/v1/estates?{query}", headers=bearer(admin_token))

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"


# Ballots ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ballots(tenant_api: httpx.Client, admin_token: str, make_member) -> tuple[str, str, list[str]]:
    """An estate with three ballots opened one minute apart; (code, a member's token, ids latest first)."""
    code = unique_code("pg-vote")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    _, supervisor = make_member(code, "supervisor")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(2), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    now = datetime.now(UTC)
    opened: list[tuple[datetime, str]] = []
    for minutes in (3, 1, 2):
        opens_at = now - timedelta(minutes=minutes)
        response = tenant_api.post(
            f"/v1/estates/{code}/ballots",
            json={
                "question": f"第{minutes}个问题？",
                "options": ["同意", "不同意"],
                "quorum_bps": 0,
                "threshold": "simple_majority",
                "threshold_base": "votes_cast",
                "opens_at": opens_at.isoformat(),
                "closes_at": (now + timedelta(days=1)).isoformat(),
            },
            headers=bearer(supervisor),
        )
        assert response.status_code == 201, response.text
        opened.append((opens_at, response.json()["id"]))
    return code, manager, [ballot_id for _, ballot_id in sorted(opened, reverse=True)]


def test_pages_of_ballots_do_not_overlap_and_add_up_to_the_total(tenant_api, ballots) -> None:
    code, token, ids = ballots
    path = f"/v1/estates/{code}/ballots"

    pages = [listed(tenant_api, token, path, limit=2, offset=offset) for offset in (0, 2, 3)]
    total, default = listed(tenant_api, token, path)

    assert [t for t, _ in pages] == [3, 3, 3] and total == 3
    assert [[b["id"] for b in page] for _, page in pages] == [ids[:2], ids[2:], []], "latest opening first"
    assert [b["id"] for b in default] == ids
    assert set(default[0]) == {"id", "kind", "subject", "question", "opens_at", "closes_at", "closed_at"}


@pytest.mark.parametrize("query", OUT_OF_RANGE)
def test_ballots_out_of_range_are_a_422(tenant_api, ballots, query: str) -> None:
    code, token, _ = ballots

    response = tenant_api.get(f"/v1/estates/{code}/ballots?{query}", headers=bearer(token))

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"


# The committee's figures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def governance() -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{http_url('tenant')}/v1/governance", headers=bearer(user_token("governance-observer")), timeout=60
    ) as client:
        yield client


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


@pytest.fixture(scope="module")
def area_rows(governance: httpx.Client, area: Area) -> tuple[str, list[tuple[str, str]]]:
    """The month and the (level, code) of the area's rows, once the read side has its three estates:
    three estates, the community, the sub-district and the district."""
    period = this_month()

    def all_there() -> list[tuple[str, str]] | None:
        response = governance.get("/figures", params={"period": period, "area": area.district, "limit": 500})
        assert response.status_code == 200, response.text
        rows = [(row["level"], row["code"]) for row in response.json()["rows"]]
        return rows if len(rows) == 6 else None

    return period, eventually(all_there, timeout=120, what="the read side to count the area's three estates")


def test_pages_of_figures_carry_total_limit_offset_and_do_not_overlap(governance, area: Area, area_rows) -> None:
    period, everything = area_rows
    assert sorted(code for level, code in everything if level == "estate") == area.codes
    assert {level for level, _ in everything} == {"estate", "community", "sub_district", "district"}

    seen: list[tuple[str, str]] = []
    for offset in (0, 2, 4, 6):
        response = governance.get(
            "/figures", params={"period": period, "area": area.district, "limit": 2, "offset": offset}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert response.headers["x-total-count"] == "6"
        assert (body["total"], body["limit"], body["offset"]) == (6, 2, offset)
        assert isinstance(body["min_households"], int) and isinstance(body["min_ratings"], int)
        assert len(body["rows"]) == (2 if offset < 6 else 0)
        seen += [(row["level"], row["code"]) for row in body["rows"]]
    assert seen == everything, "the pages, in order, are the whole list: no row twice, none left out"
    default = governance.get("/figures", params={"period": period, "area": area.district}).json()
    assert (default["total"], default["limit"], default["offset"]) == (6, 100, 0)


def test_the_figures_csv_is_the_whole_table(governance, area: Area, area_rows) -> None:
    period, everything = area_rows

    response = governance.get(
        "/figures", params={"period": period, "area": area.district, "format": "csv", "limit": 1, "offset": 3}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [(row["level"], row["code"]) for row in rows] == everything


@pytest.mark.parametrize("query", OUT_OF_RANGE)
def test_figures_out_of_range_are_a_422(governance, query: str) -> None:
    response = governance.get(f"/figures?period={this_month()}&{query}")

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"


def test_the_estates_body_is_still_a_list_for_an_onboarded_estate(tenant_api, admin_token) -> None:
    code = unique_code("pg-one")
    assert tenant_api.post("/v1/estates", json=estate_body(code), headers=bearer(admin_token)).status_code == 201

    total, page = listed(tenant_api, admin_token, "/v1/estates", q=code)

    assert (total, [e["code"] for e in page]) == (1, [code])
