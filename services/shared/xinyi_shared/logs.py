"""Structured JSON logs carrying the request id across HTTP, gRPC and Kafka hops.

The request id is the trace id of the request's trace (see :mod:`xinyi_shared.tracing`), and each
line names its span (``span_id``), so a line leads to its trace and back.

Personal data never reaches a log line, whatever fails: :func:`configure_logging` puts a
:class:`PersonalDataFilter` on every handler, which redacts known personal fields of a record's
``extra`` and phone-, e-mail- and ID-number-like text in its message, exception and stack trace.
It is the last line of defence: code still never logs names, phones or cell values, and the
database engines hide statement parameters (``hide_parameters``).
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
REQUEST_ID_HEADER = "x-request-id"

REDACTED = "[redacted]"

# Keys whose values are personal data or secrets, compared lower-cased with "-" read as "_", in a
# record's ``extra``, in a dict logged as the message and in nested dicts. Exact names only: a
# suffix rule would also hide ``service_name`` or ``topic_name``. ``name`` is a LogRecord attribute
# (the logger's name), so ``extra`` cannot carry it; it is redacted inside dicts.
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {
        # people
        "name",
        "owner_name",
        "person_name",
        "full_name",
        "first_name",
        "last_name",
        "phone",
        "owner_phone",
        "phone_number",
        "mobile",
        "telephone",
        "contact",
        "email",
        "e_mail",
        "id_number",
        "id_card",
        "address",
        # secrets
        "claim_code",
        "password",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
    }
)

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
# Text patterns redacted wherever they appear in a message, an exception or a stack trace.
_PERSONAL_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    # An e-mail address.
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), "[redacted email]"),
    # A resident identity card number (18 characters: area, birth date, sequence, check digit).
    (
        re.compile(
            _NOT_ALNUM_BEFORE
            + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
            + _NOT_ALNUM_AFTER
        ),
        "[redacted id]",
    ),
    # A mainland mobile number, also with +86/0086 and spaces or dashes: 13812345678, +86 138-1234-5678.
    (
        re.compile(_NOT_ALNUM_BEFORE + r"(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}" + _NOT_ALNUM_AFTER),
        "[redacted phone]",
    ),
    # What a database error quotes: SQLAlchemy's parameters (when an engine does not hide them) and
    # PostgreSQL's "Key (phone)=(13812345678) already exists" or "Failing row contains (...)".
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: " + REDACTED + "]"),
    (re.compile(r"(Key \([^)\n]*\)=)\([^\n]*"), r"\1(" + REDACTED + ")"),
    (re.compile(r"(Failing row contains )\([^\n]*"), r"\1(" + REDACTED + ")"),
)

# Attributes every LogRecord has: never redacted (``name`` is the logger, ``msg`` handled apart).
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def new_request_id() -> str:
    return uuid.uuid4().hex


def redact_text(text: str) -> str:
    """``text`` with phone-, e-mail- and ID-number-like parts and quoted database values redacted."""
    for pattern, replacement in _PERSONAL_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _is_personal_key(key: object) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_") in PERSONAL_FIELDS


def redact_value(value: Any) -> Any:
    """A logged value with personal fields of dicts replaced and personal text in strings redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_personal_key(k) else redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if isinstance(value, BaseException):
        return redact_text(str(value))
    return value


class PersonalDataFilter(logging.Filter):
    """Redacts personal data from a record before any handler formats it.

    - ``extra`` fields named in :data:`PERSONAL_FIELDS` become ``[redacted]``; other ``extra``
      strings (and strings nested in lists and dicts) have personal text redacted;
    - the message is formatted with its arguments, redacted, and stored without arguments;
    - ``exc_info`` is formatted and redacted into ``exc_text`` and dropped, so no formatter can print
      the exception unredacted; ``stack_info`` is redacted likewise.
    Never refuses a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in [k for k in record.__dict__ if k not in _RECORD_ATTRIBUTES]:
            value = record.__dict__[key]
            record.__dict__[key] = REDACTED if _is_personal_key(key) else redact_value(value)
        if isinstance(record.msg, Mapping):  # python-json-logger logs a dict message as fields
            record.msg = redact_value(record.msg)
            record.args = None
        else:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - arguments that do not fit the message: log the template
                message = str(record.msg)
            record.msg = redact_text(message)
            record.args = None
        if record.exc_info:
            if record.exc_info[0] is not None:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class RedactingJsonFormatter(JsonFormatter):
    """JSON lines; an exception or stack that reaches it unfiltered is redacted all the same."""

    def formatException(self, ei: Any) -> str:
        return redact_text(logging.Formatter.formatException(self, ei))

    def formatStack(self, stack_info: str) -> str:
        return redact_text(stack_info)


class _RequestIdFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        traced = span_context.is_valid
        # Background work inside a span (no request of its own) logs its trace id as the request id.
        record.request_id = request_id_var.get() or (trace.format_trace_id(span_context.trace_id) if traced else "")
        record.span_id = trace.format_span_id(span_context.span_id) if traced else ""
        record.service = self.service
        return True


def install_personal_data_filter(handler: logging.Handler) -> None:
    if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
        handler.addFilter(PersonalDataFilter())


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_RequestIdFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # A handler filter sees every record the handler emits, propagated ones included (a logger's
    # filter would not); handlers that libraries attached to their own loggers get it too.
    for logger in [root, *logging.Logger.manager.loggerDict.values()]:
        for each in getattr(logger, "handlers", ()):
            install_personal_data_filter(each)
    # The Kafka client logs every connection step at INFO; keep its warnings only.
    logging.getLogger("kafka").setLevel(logging.WARNING)
