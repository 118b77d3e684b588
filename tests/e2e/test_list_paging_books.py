"""The ledger's and the micro-fund's lists a page at a time, end to end (the platform's paging contract):
``limit`` 1..500 (default 100) and ``offset`` 0..1000000, else 422; the body one page (the same items as
before, in a stable order); the ``X-Total-Count`` header the items of every page the caller may list.

An estate's budget drafts (newest first), its log's checkpoints (oldest first, by tree size), its
residents' questions (oldest first; the open ones, or with ``open=false`` every one) and a
community micro-fund's grants (by number; the applicant masked for everyone but itself and the officer,
yet every grant listed and counted). Each list has three items made here, in an estate (and a community)
of its own, so that the counts are exact whatever else the run makes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_budget_expenses import YEAR, plans
from tests.e2e.test_ticketing import png
from tests.harness import SUB_DISTRICT, bearer, estate_today, eventually, http_url, settled_balances, unique_code

pytestmark = pytest.mark.e2e

OUT_OF_RANGE = [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 1_000_001}]


def listed(client: httpx.Client, path: str, **params: Any) -> tuple[int, list[dict[str, Any]]]:
    """A page of a list and its X-Total-Count."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list), body
    return int(response.headers["x-total-count"]), body


def assert_pages(client: httpx.Client, path: str, key: str, expected: list[Any] | None = None) -> list[Any]:
    """Three items in all: the unpaged list (the default page), then pages of two at 0 and 2, which do
    not overlap and together are the unpaged list in its order; past the end an empty page, still
    counted; out-of-range pages refused. The items' ``key`` in the list's order."""
    total, everything = listed(client, path)
    order = [item[key] for item in everything]
    assert total == 3 and len(order) == 3, (total, order)
    if expected is not None:
        assert order == expected
    first_total, first = listed(client, path, limit=2, offset=0)
    second_total, second = listed(client, path, limit=2, offset=2)
    assert (first_total, second_total) == (3, 3)
    first_keys, second_keys = [item[key] for item in first], [item[key] for item in second]
    assert (len(first_keys), len(second_keys)) == (2, 1)
    assert not set(first_keys) & set(second_keys), "pages do not overlap"
    assert first_keys + second_keys == order, "the pages together are the list, in its order"
    assert first + second == everything, "the same items as unpaged"
    assert listed(client, path, limit=2, offset=4) == (3, [])
    assert [item[key] for item in listed(client, path, limit=1, offset=1)[1]] == order[1:2]
    assert listed(client, path, limit=500, offset=0)[1] == everything
    for params in OUT_OF_RANGE:
        refused = client.get(path, params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["error"] == "invalid_input"
    return order


# The ledger ------------------------------------------------------------------------------------------


def test_budget_drafts_page_newest_first(books) -> None:
    _, ledger, _ = books
    made = []
    for _ in range(3):
        drafted = ledger.post(
            "/budget-drafts",
            json={"year": YEAR, "plans": plans(), "large_expense_threshold_fen": 5_000_000},
            headers={"Idempotency-Key": f"draft-{uuid.uuid4()}"},
        )
        assert drafted.status_code == 201, drafted.text
        made.append(drafted.json()["id"])
    assert_pages(ledger, "/budget-drafts", "id", expected=made[::-1])


def test_checkpoints_page_oldest_first(books) -> None:
    _, ledger, _ = books
    sizes = []
    for n in range(3):
        income = ledger.post(
            "/common-income",
            json={"kind": "parking", "amount_fen": 1_000 + n, "received_on": estate_today().isoformat()},
            headers={"Idempotency-Key": f"inc-{uuid.uuid4()}"},
        )
        assert income.status_code == 201, income.text
        settled_balances(ledger)  # the income's accruals have posted: the checkpoint is of a still log
        signed = ledger.post("/log/checkpoints")
        assert signed.status_code == 200, signed.text
        sizes.append(signed.json()["tree_size"])
    assert sizes == sorted(sizes) and len(set(sizes)) == 3, "a new entry each time: a new checkpoint"
    assert_pages(ledger, "/log/checkpoints", "tree_size", expected=sizes)


def test_questions_page_oldest_first_and_an_answered_one_leaves_the_open_pages(books) -> None:
    """An expense with three questions: the open ones page oldest first; once the firm answers one, the
    open pages count two and close up over it (a page of one at a time: no overlap, nothing skipped),
    while ``open=false`` still lists and counts all three, the answer with it. Never who asked."""
    _, ledger, _ = books
    voucher = ledger.post("/vouchers", files={"file": ("invoice.png", png(7), "image/png")})
    assert voucher.status_code == 201, voucher.text
    proposed = ledger.post(
        "/expenses",
        json={
            "payee": "分页测试保洁公司",
            "amount_fen": 12_000,
            "account": "5100",
            "description": "保洁耗材（分页测试）",
            "vouchers": [voucher.json()["sha256"]],
        },
        headers={"Idempotency-Key": f"pg-expense-{uuid.uuid4()}"},
    )
    assert proposed.status_code == 201, proposed.text
    expense = proposed.json()["id"]
    asked = []
    for n in range(3):
        question = ledger.post(f"/expenses/{expense}/questions", json={"question": f"分页问题{n + 1}"})
        assert question.status_code == 201, question.text
        asked.append(question.json()["id"])

    assert_pages(ledger, "/questions", "question_id", expected=asked)  # open ones by default: all three
    _, items = listed(ledger, "/questions")
    assert set(items[0]) == {
        "question_id",
        "expense_id",
        "expense_number",
        "question",
        "asked_at",
        "answer",
        "answered_at",
    }
    assert [(q["expense_id"], q["question"], q["answer"]) for q in items] == [
        (expense, f"分页问题{n + 1}", None) for n in range(3)
    ]
    execution = ledger.get(f"/budgets/{YEAR}/execution")
    assert execution.status_code == 200, execution.text
    open_questions = execution.json()[-1]["open_questions"]  # the same items, as the budget's execution lists them
    assert [{key: q[key] for key in open_questions[0]} for q in items] == open_questions

    answered = ledger.post(f"/expenses/{expense}/questions/{asked[1]}/answer", json={"answer": "三家比价，取最低"})
    assert answered.status_code == 200, answered.text

    seen: list[str] = []
    for offset in range(3):
        total, page = listed(ledger, "/questions", limit=1, offset=offset)
        assert total == 2, (offset, total)
        assert len(page) == (1 if offset < 2 else 0), (offset, page)
        seen += [q["question_id"] for q in page]
    assert seen == [asked[0], asked[2]], "one at a time: no overlap, nothing skipped, the answered one gone"
    assert listed(ledger, "/questions", open="true") == listed(ledger, "/questions")

    total, every = listed(ledger, "/questions", open="false")
    assert (total, [q["question_id"] for q in every]) == (3, asked)
    assert every[1]["answer"] == "三家比价，取最低" and every[1]["answered_at"]
    assert every[0]["answer"] is None and every[2]["answer"] is None
    first_total, first = listed(ledger, "/questions", open="false", limit=2, offset=0)
    second_total, second = listed(ledger, "/questions", open="false", limit=2, offset=2)
    assert (first_total, second_total) == (3, 3)
    assert [q["question_id"] for q in first + second] == asked
    for params in OUT_OF_RANGE:
        refused = ledger.get("/questions", params={"open": "false", **params})
        assert refused.status_code == 422, (params, refused.text)


# The micro-fund --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fund(tenant_api, admin_token, make_member) -> dict[str, Any]:
    """A community of its own with one estate, its supervisor (who applies), its firm manager (who
    only reads) and the community officer."""
    community = unique_code("pgf")
    made = tenant_api.post(
        f"/v1/sub-districts/{SUB_DISTRICT}/communities",
        json={"code": community, "name": "分页微基金社区"},
        headers=bearer(admin_token),
    )
    assert made.status_code == 201, made.text
    estate = unique_code("pgfe")
    assert onboard(tenant_api, admin_token, estate, community_code=community).status_code == 201
    _, manager = make_member(estate, "firm_manager")
    _, supervisor = make_member(estate, "supervisor")
    _, officer = make_member(estate, "community_officer")
    wait_for_books(estate, manager)
    return {
        "community": community,
        "estate": estate,
        "manager": manager,
        "supervisor": supervisor,
        "officer": officer,
    }


def fund_api(community: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{http_url('microfund')}/v1/communities/{community}", headers=bearer(token), timeout=60
    )


def test_grants_page_by_number_and_every_member_counts_them_all(fund) -> None:
    applicant = fund_api(fund["community"], fund["supervisor"])

    def opened() -> dict[str, Any] | None:  # the fund is made when the estate's onboarding is heard of
        answer = applicant.get("/fund")
        return answer.json() if answer.status_code == 200 and fund["estate"] in answer.json()["estates"] else None

    eventually(opened, what="the community's micro-fund, counting the estate")
    made = []
    for n in range(3):
        applied = applicant.post(
            "/fund/grants",
            json={
                "title": f"分页测试项目{n}",
                "purpose": "翻页",
                "budget": [{"item": "物料", "amount_fen": 10_000 + n}],
                "benefiting_estates": [fund["estate"]],
                "applicant_kind": "supervisor",
            },
            headers={"Idempotency-Key": f"pg-grant-{uuid.uuid4()}"},
        )
        assert applied.status_code == 201, applied.text
        made.append(applied.json()["id"])

    numbers = assert_pages(applicant, "/fund/grants", "number")
    assert numbers == sorted(numbers)
    assert [g["id"] for g in listed(applicant, "/fund/grants")[1]] == made, "by number: in the order applied"
    assert all(g["applicant"] for g in listed(applicant, "/fund/grants", limit=2, offset=2)[1]), "its own: in full"

    # Another member sees every grant, without the applicant; the officer in full. All count the same.
    reader = fund_api(fund["community"], fund["manager"])
    assert assert_pages(reader, "/fund/grants", "number") == numbers
    total, page = listed(reader, "/fund/grants", limit=2, offset=0)
    assert total == 3 and all(g["applicant"] is None for g in page)
    officer = fund_api(fund["community"], fund["officer"])
    total, page = listed(officer, "/fund/grants", limit=2, offset=2)
    assert total == 3 and all(g["applicant"] for g in page)
    for client in (applicant, reader, officer):
        client.close()


def test_donations_page_newest_first_and_every_member_counts_them_all(fund) -> None:
    """The statement's donations a page at a time: newest first (by the day received), the same items
    as the statement's, for everyone of the community; the officer records them."""
    officer = fund_api(fund["community"], fund["officer"])

    def opened() -> dict[str, Any] | None:  # the fund is made when the estate's onboarding is heard of
        answer = officer.get("/fund")
        return answer.json() if answer.status_code == 200 and fund["estate"] in answer.json()["estates"] else None

    eventually(opened, what="the community's micro-fund, counting the estate")
    made: dict[str, str] = {}
    for received_on, amount in (("2031-04-02", 200), ("2031-04-03", 300), ("2031-04-01", 100)):
        recorded = officer.post(
            "/fund/donations",
            json={"source": "resident", "amount_fen": amount, "received_on": received_on, "note": "翻页"},
            headers={"Idempotency-Key": f"pg-donation-{uuid.uuid4()}"},
        )
        assert recorded.status_code == 201, recorded.text
        made[received_on] = recorded.json()["id"]
    newest_first = [made["2031-04-03"], made["2031-04-02"], made["2031-04-01"]]

    assert assert_pages(officer, "/fund/donations", "id", expected=newest_first) == newest_first
    statement = officer.get("/fund").json()
    by_id = {d["id"]: d for d in statement["donations"]}
    assert set(by_id) == set(newest_first)
    assert listed(officer, "/fund/donations")[1] == [by_id[i] for i in newest_first], "the statement's items"
    assert [d["amount_fen"] for d in listed(officer, "/fund/donations", limit=2, offset=0)[1]] == [300, 200]

    # Everyone of the community reads them, the same pages and count.
    for token in (fund["supervisor"], fund["manager"]):
        reader = fund_api(fund["community"], token)
        assert assert_pages(reader, "/fund/donations", "id") == newest_first
        reader.close()
    officer.close()
