"""Every error of an app made by ``create_app`` is JSON {"error", "reason"}, and an unexpected one reveals
nothing of itself: not in the answer, not in the log."""

import logging
from collections.abc import Iterator
from typing import Annotated

import httpx
import psycopg.errors
import pytest
import sqlalchemy.exc
from fastapi import FastAPI, File, Query, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.shared.tests.apps import bare_app
from xinyi_shared.errors import Conflict
from xinyi_shared.http import INTERNAL_ERROR_REASON, MAX_PAGE_OFFSET, PageOffset, exception_facts
from xinyi_shared.logs import REQUEST_ID_HEADER, request_id_var

PHONE = "13812345678"
STATEMENT = "SELECT h.id FROM households h WHERE h.owner_phone = %(phone)s LIMIT %(limit)s OFFSET %(offset)s"


class Body(BaseModel):
    name: str


def database_error() -> sqlalchemy.exc.IntegrityError:
    """What SQLAlchemy raises when PostgreSQL refuses a row unexpectedly: the statement and its
    parameters inside (a value refused as such, a DataError, is a 422 instead: see below)."""
    try:
        try:
            raise psycopg.errors.UniqueViolation(f"duplicate key value: (phone)=({PHONE}), bigint 9223372036854775808")
        except psycopg.errors.UniqueViolation as driver_error:
            raise sqlalchemy.exc.IntegrityError(
                STATEMENT, {"phone": PHONE, "limit": 10, "offset": 2**63}, driver_error
            ) from driver_error
    except sqlalchemy.exc.IntegrityError as error:
        return error


def build_app() -> FastAPI:
    app = bare_app()

    @app.get("/items")
    def items(limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: PageOffset = 0) -> dict[str, int]:
        return {"limit": limit, "offset": offset}

    @app.get("/database-error")
    def failing_query() -> None:
        raise database_error()

    @app.get("/bug")
    async def bug() -> None:
        raise KeyError(PHONE)

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("estate exists with other details", {"field": "name"})

    @app.post("/things")
    def things(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/upload")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, str]:
        return {"name": file.filename or ""}

    return app


class _RequestIds(logging.Handler):
    """Keeps each record with the request id in force when it was logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[logging.LogRecord, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record, request_id_var.get()))


@pytest.fixture
def logged() -> Iterator[_RequestIds]:
    handler = _RequestIds()
    logger = logging.getLogger("xinyi_shared.http")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
def api() -> Iterator[TestClient]:
    # raise_server_exceptions stays on: an exception that escaped the app would fail the test.
    with TestClient(build_app()) as client:
        yield client


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    assert body["error"] == error
    assert isinstance(body["reason"], str) and body["reason"]
    assert response.headers[REQUEST_ID_HEADER]
    return body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=9223372036854775808", "offset"),
        ("offset=99999999999999999999999999", "offset"),
        (f"offset={MAX_PAGE_OFFSET + 1}", "offset"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("limit=1.5", "limit"),
    ],
)
def test_out_of_range_paging_is_refused_with_422(api: TestClient, query: str, field: str) -> None:
    body = assert_error(api.get(f"/items?{query}"), 422, "invalid_input")

    assert f"query.{field}" in str(body["reason"])
    details = body["details"]
    assert isinstance(details, list)
    assert [detail["loc"] for detail in details] == [["query", field]]


def test_paging_within_bounds_is_accepted(api: TestClient) -> None:
    response = api.get(f"/items?limit=500&offset={MAX_PAGE_OFFSET}")

    assert response.status_code == 200
    assert response.json() == {"limit": 500, "offset": MAX_PAGE_OFFSET}


def test_a_database_error_is_a_json_500_that_reveals_nothing(api: TestClient, logged: _RequestIds) -> None:
    response = api.get("/database-error", headers={REQUEST_ID_HEADER: "req-db-1"})

    body = assert_error(response, 500, "internal")
    assert body == {"error": "internal", "reason": INTERNAL_ERROR_REASON, "request_id": "req-db-1"}
    assert response.headers[REQUEST_ID_HEADER] == "req-db-1"
    for secret in (PHONE, "SELECT", "households", "9223372036854775808", "bigint", "IntegrityError"):
        assert secret not in response.text
    [(record, request_id)] = [(r, rid) for r, rid in logged.records if r.levelno >= logging.ERROR]
    assert request_id == "req-db-1"
    assert record.getMessage() == "unhandled exception"
    assert record.exc_info is None  # a traceback would end with the exception's text
    facts = record.__dict__
    assert facts["exception_type"] == "sqlalchemy.exc.IntegrityError"
    assert facts["orig_type"] == "psycopg.errors.UniqueViolation"
    assert facts["sqlstate"] == "23505"
    assert facts["route"] == "/database-error"
    assert "test_http.py" in str(facts["raised_at"])
    logged_text = " ".join(f"{key}={value}" for key, value in facts.items() if key not in ("args", "msg"))
    for secret in (PHONE, "SELECT", "9223372036854775808", "duplicate key"):
        assert secret not in logged_text


def test_any_other_exception_is_a_json_500_too(api: TestClient, logged: _RequestIds) -> None:
    response = api.get("/bug")

    body = assert_error(response, 500, "internal")
    assert PHONE not in response.text
    assert body["request_id"] == response.headers[REQUEST_ID_HEADER]
    [record] = [r for r, _ in logged.records if r.levelno >= logging.ERROR]
    assert record.__dict__["exception_type"] == "KeyError"
    assert PHONE not in str(record.__dict__)


def test_exception_facts_name_the_causes_but_not_their_text() -> None:
    try:
        raise RuntimeError("wrapped") from database_error()
    except RuntimeError as error:
        facts = exception_facts(error)

    assert facts["exception_type"] == "RuntimeError"
    assert facts["exception_causes"] == ["sqlalchemy.exc.IntegrityError", "psycopg.errors.UniqueViolation"]
    assert PHONE not in str(facts)


def test_domain_errors_keep_their_status_and_details(api: TestClient) -> None:
    body = assert_error(api.get("/conflict"), 409, "conflict")

    assert body == {"error": "conflict", "reason": "estate exists with other details", "field": "name"}


def test_malformed_json_is_a_422(api: TestClient) -> None:
    body = assert_error(
        api.post("/things", content=b'{"name": ', headers={"content-type": "application/json"}), 422, "invalid_input"
    )

    assert "JSON decode error" in str(body["reason"])


def test_a_body_that_cannot_be_decoded_is_json_not_plain_text(api: TestClient) -> None:
    response = api.post("/things", content=b'{"name": "\xff\xfe"}', headers={"content-type": "application/json"})

    body = assert_error(response, 422, "invalid_input")  # declared on every route that takes a body
    assert body["reason"] == "There was an error parsing the body"


def test_a_broken_multipart_body_is_json(api: TestClient) -> None:
    pytest.importorskip("python_multipart")
    response = api.post(
        "/upload", content=b"not multipart at all", headers={"content-type": "multipart/form-data; boundary=xyz"}
    )

    assert response.status_code in (400, 422), response.text
    assert set(response.json()) >= {"error", "reason"}
    assert response.json()["error"] == "invalid_input"


def test_an_unknown_route_and_a_wrong_method_are_json(api: TestClient) -> None:
    missing = assert_error(api.get("/nowhere"), 404, "not_found")
    wrong = api.delete("/items")

    assert missing == {"error": "not_found", "reason": "Not Found"}
    assert assert_error(wrong, 405, "method_not_allowed") == {
        "error": "method_not_allowed",
        "reason": "Method Not Allowed",
    }
    assert wrong.headers["allow"] == "GET"


def test_a_wrong_method_names_every_method_of_the_path() -> None:
    app = build_app()

    @app.get("/estates")
    def list_estates() -> list[str]:
        return []

    @app.post("/estates")
    def add_estate() -> dict[str, str]:
        return {}

    wrong = TestClient(app).delete("/estates")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"


def test_a_value_the_database_refuses_is_a_422_that_echoes_nothing() -> None:
    app = build_app()

    @app.put("/leaders")
    def set_leaders() -> dict[str, str]:
        raise sqlalchemy.exc.DataError("INSERT … VALUES (%(name)s)", {"name": "张三\x00"}, psycopg.DataError("NUL"))

    answer = TestClient(app).put("/leaders")
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"
    assert "张三" not in answer.text and "INSERT" not in answer.text
