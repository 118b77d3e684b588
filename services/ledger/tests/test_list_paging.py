"""Paged listings of the ledger (the platform's contract): ``GET /v1/estates/{code}/budget-drafts``,
``GET /v1/estates/{code}/log/checkpoints`` and ``GET /v1/estates/{code}/questions`` take ``limit``
(1-500, default 100) and ``offset`` (0 to 1,000,000), answer the page as a JSON list, and
``X-Total-Count`` the number of items in all pages. The use cases and the fake repositories (which keep
the adapters' ORDER BY: newest draft first, the id breaking ties of one transaction; checkpoints by tree
size; questions oldest asked first, the id breaking ties) and the routes in-process, on the fakes, as
``test_http_roles.py`` builds them; the questions' SQL as the adapter sends it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from ledger_service.adapters.governance import GovernanceRepository
from ledger_service.domain.expenses import Proposal
from ledger_service.entrypoints import http_governance, http_log
from ledger_service.entrypoints.deps import estate_unit_of_work
from ledger_service.service_layer import governance, transparency
from ledger_service.service_layer.governance import Actor
from ledger_service.service_layer.postings import record_payment
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from services.ledger.tests.fakes import FakeBooks, FakeRegistry, estate_rules
from services.ledger.tests.test_governance import MANAGER, budget_draft, png
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.blobs import FilesystemBlobStore
from xinyi_shared.db import Executor
from xinyi_shared.http import EstateCode, create_app, current_principal

ESTATE = "jinhe-lvzhou"
OTHER = "binhe-huayuan"
TODAY = date(2026, 5, 20)
RULES = estate_rules("2026-03-01", rate="35", remuneration_share_bps=1500, donation_share_bps=3000)
H1 = "11111111-1111-4111-8111-111111111111"
BAD_PAGES = [
    ("limit", "0"),
    ("limit", "501"),
    ("limit", "x"),
    ("offset", "-1"),
    ("offset", "1000001"),
]


RESIDENT = Actor("resident-subject", "resident")


@pytest.fixture
def registry() -> FakeRegistry:
    registry = FakeRegistry()
    for estate in (ESTATE, OTHER):
        registry.add_rules(estate, RULES)
        registry.add_household(estate, H1, 9000)
    return registry


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={H1: 9000})
    books.open_estate(OTHER, first_period="2026-03", rules=RULES, households={H1: 9000})
    yield books
    books.check_consistency()


def draft(books: FakeBooks, registry: FakeRegistry, estate: str = ESTATE) -> str:
    stored, _ = governance.draft_budget(books.uow(estate), registry, budget_draft(), MANAGER)
    return stored.id


def drafts_in_one_transaction(books: FakeBooks, count: int) -> list[str]:
    """Drafts written by one unit of work: one now(), so only the id orders them."""
    with books.uow(ESTATE) as uow:
        ids = [uow.governance.add_draft(budget_draft(), "manager") for _ in range(count)]
        uow.commit()
    return ids


def checkpoint(books: FakeBooks, registry: FakeRegistry, n: int) -> int:
    """A payment (a new entry), then a checkpoint of every entry so far; its tree size."""
    record_payment(books.uow(ESTATE), registry, f"pay-paging-{n}", H1, 100 + n, "cash", "r", TODAY, "firm-staff")
    return transparency.publish_now(books.uow(ESTATE)).tree_size


def an_expense(books: FakeBooks, store: FilesystemBlobStore, amount: int = 1_000, estate: str = ESTATE) -> str:
    voucher = governance.upload_voucher(books.uow(estate), store, png(amount), f"invoice-{amount}.png", MANAGER)
    proposal = Proposal("成都洁净服务有限公司", amount, "5100", f"保洁耗材 {amount}", (voucher.sha256,))
    return governance.propose_expense(books.uow(estate), proposal, MANAGER)[0].id


def ask(books: FakeBooks, expense_id: str, text: str, estate: str = ESTATE) -> str:
    return governance.ask_question(books.uow(estate), expense_id, text, RESIDENT).id


def questions_asked(books: FakeBooks, store: FilesystemBlobStore) -> list[str]:
    """Five questions on two expenses, oldest first: two asked a day apart, three in one transaction
    the day after (one now(): only the id orders them); another estate's besides."""
    first, second = an_expense(books, store, 1_000), an_expense(books, store, 2_000)
    asked = [ask(books, first, "为什么买这么多？")]
    books.today += timedelta(days=1)
    asked.append(ask(books, second, "付给谁了？"))
    books.today += timedelta(days=1)
    with books.uow(ESTATE) as uow:
        together = [uow.governance.add_question(first, f"第{n}个问题", RESIDENT.subject) for n in range(3)]
        uow.commit()
    ask(books, an_expense(books, store, 3_000, OTHER), "别的小区的问题", OTHER)  # neither listed nor counted
    return [*asked, *sorted(together)]


# The use cases on the fakes ------------------------------------------------------------------------


def test_drafts_page_newest_first_with_the_total(books: FakeBooks, registry: FakeRegistry) -> None:
    first, second = draft(books, registry), draft(books, registry)
    together = drafts_in_one_transaction(books, 3)
    draft(books, registry, OTHER)  # another estate's: neither listed nor counted
    last = draft(books, registry)
    expected = [last, *sorted(together, reverse=True), second, first]  # later transaction first; then id DESC

    total, everything = governance.page_of_drafts(books.uow(ESTATE), 500, 0)
    assert total == 6
    assert [d.id for d in everything] == expected
    assert [d.id for d in governance.list_drafts(books.uow(ESTATE))] == expected  # default: 100 from 0

    pages = []
    for offset in (0, 2, 4):
        page_total, page = governance.page_of_drafts(books.uow(ESTATE), 2, offset)
        assert page_total == 6, offset
        pages.append([d.id for d in page])
    assert pages == [expected[0:2], expected[2:4], expected[4:6]]
    assert governance.page_of_drafts(books.uow(ESTATE), 2, 6) == (6, [])  # past the end: empty, still counted
    assert [d.id for d in governance.list_drafts(books.uow(ESTATE), 1, 5)] == [first]
    assert governance.page_of_drafts(books.uow(OTHER), 100, 0)[0] == 1


def test_the_order_is_the_same_every_time(books: FakeBooks, registry: FakeRegistry) -> None:
    drafts_in_one_transaction(books, 5)
    once = [d.id for d in governance.list_drafts(books.uow(ESTATE), 5, 0)]
    paged = governance.list_drafts(books.uow(ESTATE), 2, 0) + governance.list_drafts(books.uow(ESTATE), 3, 2)
    assert once == [d.id for d in paged] == sorted(once, reverse=True)


def test_no_drafts_is_an_empty_page_of_none(books: FakeBooks) -> None:
    assert governance.page_of_drafts(books.uow(ESTATE), 100, 0) == (0, [])


def test_questions_page_oldest_first_with_the_total(books: FakeBooks, tmp_path: Path) -> None:
    expected = questions_asked(books, FilesystemBlobStore(tmp_path))

    total, everything = governance.page_of_questions(books.uow(ESTATE), True, 500, 0)
    assert total == 5
    assert [q.id for q in everything] == expected
    assert [q.id for q in governance.page_of_questions(books.uow(ESTATE))[1]] == expected  # open, 100 from 0
    pages = []
    for offset in (0, 2, 4):
        page_total, page = governance.page_of_questions(books.uow(ESTATE), True, 2, offset)
        assert page_total == 5, offset
        pages.append([q.id for q in page])
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]
    assert governance.page_of_questions(books.uow(ESTATE), True, 2, 6) == (5, [])  # past the end: still counted
    assert governance.page_of_questions(books.uow(OTHER), False, 100, 0)[0] == 1


def test_answered_questions_leave_the_open_pages_but_not_the_whole_list(books: FakeBooks, tmp_path: Path) -> None:
    expected = questions_asked(books, FilesystemBlobStore(tmp_path))
    answered = governance.page_of_questions(books.uow(ESTATE), True, 1, 1)[1][0]
    governance.answer_question(books.uow(ESTATE), answered.expense_id, answered.id, "一季度的用量", MANAGER)

    total, still_open = governance.page_of_questions(books.uow(ESTATE), True, 500, 0)
    assert (total, [q.id for q in still_open]) == (4, [q for q in expected if q != answered.id])
    assert all(q.answer is None and q.answered_at is None for q in still_open)
    first_total, first = governance.page_of_questions(books.uow(ESTATE), True, 2, 0)
    second_total, second = governance.page_of_questions(books.uow(ESTATE), True, 2, 2)
    assert (first_total, second_total) == (4, 4)
    assert [q.id for q in first + second] == [q.id for q in still_open]  # the pages close up: no skip

    every_total, every = governance.page_of_questions(books.uow(ESTATE), False, 500, 0)
    assert (every_total, [q.id for q in every]) == (5, expected)  # answered ones keep their place
    (shown,) = [q for q in every if q.id == answered.id]
    assert shown.answer == "一季度的用量" and shown.answered_at is not None


def test_no_questions_is_an_empty_page_of_none(books: FakeBooks) -> None:
    assert governance.page_of_questions(books.uow(ESTATE), True, 100, 0) == (0, [])
    assert governance.page_of_questions(books.uow(ESTATE), False, 100, 0) == (0, [])


def test_checkpoints_page_oldest_first_with_the_total(books: FakeBooks, registry: FakeRegistry) -> None:
    sizes = [checkpoint(books, registry, n) for n in range(3)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3

    total, everything = transparency.page_of_checkpoints(books.uow(ESTATE), 500)
    assert total == 3
    assert [c.tree_size for c in everything] == sizes
    assert everything == transparency.checkpoints(books.uow(ESTATE))  # every one: the same as before
    first_total, first = transparency.page_of_checkpoints(books.uow(ESTATE), 2, 0)
    second_total, second = transparency.page_of_checkpoints(books.uow(ESTATE), 2, 2)
    assert (first_total, second_total) == (3, 3)
    assert [c.tree_size for c in first] == sizes[:2]
    assert [c.tree_size for c in second] == sizes[2:]
    assert transparency.page_of_checkpoints(books.uow(ESTATE), 2, 3) == (3, [])
    assert transparency.page_of_checkpoints(books.uow(OTHER), 100, 0) == (0, [])


def test_the_fake_log_pages_as_the_adapter_does(books: FakeBooks, registry: FakeRegistry) -> None:
    sizes = [checkpoint(books, registry, n) for n in range(3)]
    with books.uow(ESTATE) as uow:
        assert [c.tree_size for c in uow.log.checkpoints()] == sizes  # no limit: every one
        assert [c.tree_size for c in uow.log.checkpoints(1, 1)] == sizes[1:2]
        assert [c.tree_size for c in uow.log.checkpoints(None, 1)] == sizes[1:]
        assert uow.log.count_checkpoints() == 3


# The adapter's SQL ----------------------------------------------------------------------------------


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


def test_the_repository_pages_and_counts_the_questions_in_sql() -> None:
    session = RecordingSession([[], [7]])
    repository = GovernanceRepository(cast(Executor, session), ESTATE)
    assert repository.questions_page(True, 2, 4) == []
    assert repository.count_questions(False) == 7
    (paged, params), (counted, count_params) = session.sent
    where = (
        " FROM expense_questions q JOIN expenses e ON e.id = q.expense_id AND e.estate_code = q.estate_code"
        " WHERE q.estate_code = :estate AND (NOT :open_only OR q.answer IS NULL)"
    )
    assert paged.endswith(where + " ORDER BY q.asked_at, q.id LIMIT :limit OFFSET :offset")
    assert params == {"estate": ESTATE, "open_only": True, "limit": 2, "offset": 4}
    assert counted == "SELECT count(*)" + where  # the same rows as the pages
    assert count_params == {"estate": ESTATE, "open_only": False}


# The routes, in-process -------------------------------------------------------------------------------


@dataclass
class Ledger:
    books: FakeBooks
    registry: FakeRegistry
    client: TestClient


@pytest.fixture
def ledger(books: FakeBooks, registry: FakeRegistry) -> Iterator[Ledger]:
    app = create_app(
        service="ledger",
        title="ledger (in-process)",
        description="",
        verifier=TokenVerifier("http://127.0.0.1:9/realms/xinyi", "xinyi-api"),  # never asked: overridden
        readiness_checks={},
    )
    app.include_router(http_governance.build_governance_router(registry))
    app.include_router(http_log.build_log_router(None))

    def unit_of_work(code: EstateCode) -> LedgerUnitOfWork:
        return books.uow(code)

    resident = Principal("resident-subject", "resident", frozenset({"resident"}), frozenset({ESTATE}))
    app.dependency_overrides[estate_unit_of_work] = unit_of_work
    app.dependency_overrides[current_principal] = lambda: resident
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Ledger(books, registry, client)


DRAFTS = f"/v1/estates/{ESTATE}/budget-drafts"
CHECKPOINTS = f"/v1/estates/{ESTATE}/log/checkpoints"
QUESTIONS = f"/v1/estates/{ESTATE}/questions"


def ids(response: Response, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [str(item[key]) for item in response.json()]


def test_the_drafts_route_pages_and_counts(ledger: Ledger) -> None:
    drafts_in_one_transaction(ledger.books, 3)
    unpaged = ledger.client.get(DRAFTS)
    assert unpaged.headers["X-Total-Count"] == "3"
    everything = ids(unpaged, "id")
    first = ledger.client.get(DRAFTS, params={"limit": 2, "offset": 0})
    second = ledger.client.get(DRAFTS, params={"limit": 2, "offset": 2})
    assert (first.headers["X-Total-Count"], second.headers["X-Total-Count"]) == ("3", "3")
    assert len(ids(first, "id")) == 2 and len(ids(second, "id")) == 1
    assert not set(ids(first, "id")) & set(ids(second, "id"))
    assert ids(first, "id") + ids(second, "id") == everything
    beyond = ledger.client.get(DRAFTS, params={"limit": 2, "offset": 4})
    assert (beyond.json(), beyond.headers["X-Total-Count"]) == ([], "3")
    assert set(first.json()[0]) == set(unpaged.json()[0])  # the same item model


def test_the_checkpoints_route_pages_and_counts(ledger: Ledger) -> None:
    sizes = [str(checkpoint(ledger.books, ledger.registry, n)) for n in range(3)]
    unpaged = ledger.client.get(CHECKPOINTS)
    assert (ids(unpaged, "tree_size"), unpaged.headers["X-Total-Count"]) == (sizes, "3")
    first = ledger.client.get(CHECKPOINTS, params={"limit": 2})
    second = ledger.client.get(CHECKPOINTS, params={"limit": 2, "offset": 2})
    assert (first.headers["X-Total-Count"], second.headers["X-Total-Count"]) == ("3", "3")
    assert (ids(first, "tree_size"), ids(second, "tree_size")) == (sizes[:2], sizes[2:])


def test_the_questions_route_pages_and_counts_the_open_ones(ledger: Ledger, tmp_path: Path) -> None:
    expected = questions_asked(ledger.books, FilesystemBlobStore(tmp_path))
    unpaged = ledger.client.get(QUESTIONS)
    assert (ids(unpaged, "question_id"), unpaged.headers["X-Total-Count"]) == (expected, "5")
    assert ledger.client.get(QUESTIONS, params={"open": "true"}).json() == unpaged.json()  # the default
    item = unpaged.json()[0]
    assert set(item) == {
        "question_id",
        "expense_id",
        "expense_number",
        "question",
        "asked_at",
        "answer",
        "answered_at",
    }, "the execution's open_questions item and the answer; never who asked"
    assert (item["question"], item["answer"], item["answered_at"]) == ("为什么买这么多？", None, None)

    # The firm answers the second: gone from the open pages, which close up; still in the whole list.
    (second_page,) = ledger.client.get(QUESTIONS, params={"limit": 1, "offset": 1}).json()
    answered = second_page["question_id"]
    assert answered == expected[1]
    governance.answer_question(
        ledger.books.uow(ESTATE), second_page["expense_id"], answered, "付给了保洁公司，发票见附件", MANAGER
    )
    pages = [ledger.client.get(QUESTIONS, params={"limit": 1, "offset": n}) for n in range(5)]
    assert [page.headers["X-Total-Count"] for page in pages] == ["4"] * 5
    assert [ids(page, "question_id") for page in pages] == [[q] for q in expected if q != answered] + [[]]

    every = ledger.client.get(QUESTIONS, params={"open": "false"})
    assert (ids(every, "question_id"), every.headers["X-Total-Count"]) == (expected, "5")
    first = ledger.client.get(QUESTIONS, params={"open": "false", "limit": 3})
    second = ledger.client.get(QUESTIONS, params={"open": "false", "limit": 3, "offset": 3})
    assert (first.headers["X-Total-Count"], second.headers["X-Total-Count"]) == ("5", "5")
    assert not set(ids(first, "question_id")) & set(ids(second, "question_id"))
    assert ids(first, "question_id") + ids(second, "question_id") == expected
    (shown,) = [q for q in every.json() if q["question_id"] == answered]
    assert shown["answer"] == "付给了保洁公司，发票见附件" and shown["answered_at"]


def test_the_questions_route_refuses_an_open_that_is_no_boolean(ledger: Ledger) -> None:
    answer = ledger.client.get(QUESTIONS, params={"open": "maybe"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_input")


def test_an_empty_listing_counts_none(ledger: Ledger) -> None:
    for path in (DRAFTS, CHECKPOINTS, QUESTIONS, f"{QUESTIONS}?open=false"):
        answer = ledger.client.get(path)
        assert (answer.status_code, answer.json(), answer.headers["X-Total-Count"]) == (200, [], "0"), path


@pytest.mark.parametrize(("name", "value"), BAD_PAGES)
@pytest.mark.parametrize("path", [DRAFTS, CHECKPOINTS, QUESTIONS])
def test_a_page_out_of_range_is_refused(ledger: Ledger, path: str, name: str, value: str) -> None:
    answer = ledger.client.get(path, params={name: value})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_input"


@pytest.mark.parametrize(("name", "value"), [("limit", "1"), ("limit", "500"), ("offset", "1000000")])
def test_the_bounds_themselves_are_allowed(ledger: Ledger, name: str, value: str) -> None:
    for path in (DRAFTS, CHECKPOINTS, QUESTIONS):
        assert ledger.client.get(path, params={name: value}).status_code == 200, (path, name, value)


@pytest.mark.parametrize(
    "path", ["/v1/estates/{code}/budget-drafts", "/v1/estates/{code}/log/checkpoints", "/v1/estates/{code}/questions"]
)
def test_the_routes_declare_the_page_and_its_count(ledger: Ledger, path: str) -> None:
    app = ledger.client.app
    assert isinstance(app, FastAPI)
    operation = app.openapi()["paths"][path]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    limit = parameters["limit"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == ("integer", 1, 500, 100)
    assert parameters["offset"]["default"] == 0
    assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (0, 1_000_000)
    ok = operation["responses"]["200"]
    assert ok["headers"]["X-Total-Count"]["schema"] == {"type": "integer", "minimum": 0}
    assert "$ref" in ok["content"]["application/json"]["schema"]["items"]
    assert "X-Total-Count" in operation["description"]


def test_the_questions_route_declares_its_filter(ledger: Ledger) -> None:
    app = ledger.client.app
    assert isinstance(app, FastAPI)
    operation = app.openapi()["paths"]["/v1/estates/{code}/questions"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    assert (parameters["open"]["type"], parameters["open"]["default"]) == ("boolean", True)
