"""The logging filter: personal data never reaches a log line, in fields, messages or tracebacks."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from xinyi_shared.db import Database
from xinyi_shared.logs import (
    REDACTED,
    PersonalDataFilter,
    RedactingJsonFormatter,
    configure_logging,
    redact_text,
)
from xinyi_shared.settings import ServiceSettings

NAME, PHONE, EMAIL, ID_NUMBER = "欧阳秘密", "13812345678", "zhang.san@example.cn", "51010419900307123X"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger as configure_logging sets it up, writing into a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("test")
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_configure_logging_puts_the_filter_on_every_handler() -> None:
    library = logging.getLogger("some.library")
    own = logging.StreamHandler(io.StringIO())
    library.addHandler(own)
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        configure_logging("test")
        assert any(isinstance(f, PersonalDataFilter) for f in root.handlers[0].filters)
        assert any(isinstance(f, PersonalDataFilter) for f in own.filters)
        assert isinstance(root.handlers[0].formatter, RedactingJsonFormatter)
    finally:
        library.removeHandler(own)
        root.handlers[:] = saved


def test_personal_fields_in_extra_are_redacted(json_lines: io.StringIO) -> None:
    logging.getLogger("t").warning(
        "imported",
        extra={
            "owner_name": NAME,
            "Phone": PHONE,
            "contact": EMAIL,
            "id-number": ID_NUMBER,
            "claim_code": "ABCD-1234",
            "password": "hunter2",
            "email": EMAIL,
            "rows": 3,
            "route": "/v1/estates/{code}/households/import",
        },
    )

    [line] = records(json_lines)
    for field in ("owner_name", "Phone", "contact", "id-number", "claim_code", "password", "email"):
        assert line[field] == REDACTED
    assert line["rows"] == 3
    assert line["route"] == "/v1/estates/{code}/households/import"
    assert line["logger"] == "t"  # the LogRecord's own ``name`` is never taken for a person's
    assert line["service"] == "test"


def test_personal_text_in_other_fields_and_nested_values_is_redacted(json_lines: io.StringIO) -> None:
    logging.getLogger("t").info(
        "x", extra={"detail": f"call {PHONE}", "body": {"name": NAME, "items": [EMAIL, {"phone": PHONE}]}}
    )

    [line] = records(json_lines)
    assert line["detail"] == "call [redacted phone]"
    assert line["body"] == {"name": REDACTED, "items": ["[redacted email]", {"phone": REDACTED}]}


def test_phones_emails_and_id_numbers_in_messages_are_redacted(json_lines: io.StringIO) -> None:
    logging.getLogger("t").info("owner %s reachable at %s or %s, id %s", NAME, PHONE, EMAIL, ID_NUMBER)

    [line] = records(json_lines)
    message = str(line["message"])
    for secret in (PHONE, EMAIL, ID_NUMBER):
        assert secret not in message
    assert "[redacted phone]" in message and "[redacted email]" in message and "[redacted id]" in message


def test_a_dict_message_is_redacted_like_extra(json_lines: io.StringIO) -> None:
    logging.getLogger("t").info({"owner_name": NAME, "note": f"tel {PHONE}"})

    [line] = records(json_lines)
    assert line["owner_name"] == REDACTED
    assert line["note"] == "tel [redacted phone]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "[redacted phone]"),
        ("tel:+86 138-1234-5678.", "tel:[redacted phone]."),
        ("008613912345678", "[redacted phone]"),
        ("张三13712345678李四", "张三[redacted phone]李四"),
        ("Key (phone)=(13812345678) already exists.", "Key (phone)=([redacted])"),
        ("Failing row contains (1, 张三, 02812345678).", "Failing row contains ([redacted])"),
        ("[parameters: {'name': '张三', 'phone': '02812345678'}]", "[parameters: [redacted]]"),
        ("a@b.co wrote", "[redacted email] wrote"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "9e212995efb74268a6fce1fa43dc423a",  # request ids
        "13812345678abcdef0123456789abcdef",
        "offset 113812345678",  # longer numbers
        "duration 1764446936123 ms",
        "postgresql+psycopg://tenant_app:xinyi-dev@127.0.0.1:55432/tenant",
        "纯文本 and plain text",
    ],
)
def test_what_is_not_personal_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_exception_tracebacks_are_redacted(json_lines: io.StringIO) -> None:
    try:
        raise ValueError(f"cannot store {NAME!r} {PHONE} {EMAIL}")
    except ValueError:
        logging.getLogger("t").exception("failed")

    [line] = records(json_lines)
    traceback = str(line["exc_info"])
    assert "ValueError" in traceback and "Traceback" in traceback
    assert PHONE not in traceback and EMAIL not in traceback


def test_the_formatter_redacts_an_exception_that_was_not_filtered() -> None:
    formatter = RedactingJsonFormatter("%(message)s")
    try:
        raise RuntimeError(f"row {PHONE}")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = json.loads(formatter.format(record))
    assert PHONE not in line["exc_info"] and "[redacted phone]" in line["exc_info"]


def test_stack_info_is_redacted(json_lines: io.StringIO) -> None:
    def where_phone_13812345678_is_a_name() -> None:
        logging.getLogger("t").info("here", stack_info=True)

    where_phone_13812345678_is_a_name()
    [line] = records(json_lines)
    assert PHONE not in str(line["stack_info"])


def test_a_database_error_with_parameters_is_redacted(json_lines: io.StringIO) -> None:
    """What SQLAlchemy raised before the engines hid parameters: the INSERT's values in the message."""
    error = sa.exc.DataError(
        "INSERT INTO people (name, phone) VALUES (%(name)s, %(phone)s)",
        {"name": NAME, "phone": PHONE},
        Exception("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
    )
    try:
        raise error
    except sa.exc.DataError:
        logging.getLogger("t").exception("unexpected %s", error)

    [line] = records(json_lines)
    text = json.dumps(line, ensure_ascii=False)
    assert NAME not in text and PHONE not in text
    assert "INSERT INTO people" in text


def test_the_engines_hide_statement_parameters() -> None:
    database = Database(ServiceSettings(service_name="tenant", http_port=1, grpc_port=2))
    try:
        assert database.app_engine.hide_parameters and database.system_engine.hide_parameters
        # What a failing statement's error then says about its values: nothing.
        error = sa.exc.DBAPIError.instance(
            "INSERT INTO people (name, phone) VALUES (%(name)s, %(phone)s)",
            {"name": NAME, "phone": PHONE},
            Exception("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
            Exception,
            hide_parameters=database.app_engine.hide_parameters,
        )
        assert NAME not in str(error) and PHONE not in str(error)
    finally:
        database.dispose()


def test_arguments_that_do_not_fit_the_message_do_not_break_logging(json_lines: io.StringIO) -> None:
    logging.getLogger("t").info("one %s two %s", PHONE)

    [line] = records(json_lines)
    assert PHONE not in json.dumps(line)
