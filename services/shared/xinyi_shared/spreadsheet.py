"""Spreadsheet-safe cells for every CSV or XLSX the platform writes (CSV/formula injection).

Per OWASP's CSV-injection guidance, a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return is prefixed with a single quote, so Excel, WPS, LibreOffice or Google Sheets show it
as text instead of running it as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``); CSV
fields are quoted besides (double quotes doubled), so no cell separator inside a value starts a new
cell. Numbers written as numbers are left alone: a negative amount stays a number.

Write through :func:`csv_writer` or :func:`append_row`, or pass every cell through :func:`safe_cell`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol, TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may show it without evaluating it.

    Text starting with a formula trigger gets a leading single quote; anything else (plain text,
    Chinese text, numbers, dates, None) comes back unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` that escapes every cell and quotes every text field (numbers stay bare numbers)."""

    def __init__(self, stream: TextIO, **fmtparams: Any) -> None:
        fmtparams.setdefault("quoting", csv.QUOTE_NONNUMERIC)
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(_csv_cells(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def csv_writer(stream: TextIO, **fmtparams: Any) -> SafeCsvWriter:
    """A CSV writer for spreadsheets: open ``stream`` with ``newline=""`` (and ``utf-8-sig`` for Excel)."""
    return SafeCsvWriter(stream, **fmtparams)


def _csv_cells(values: Iterable[Any]) -> list[Any]:
    cells = []
    for value in values:
        if isinstance(value, bool):  # QUOTE_NONNUMERIC would write True bare; a spreadsheet reads it as text
            value = str(value).upper()
        elif value is None:
            value = ""
        elif not isinstance(value, int | float | Decimal | str):
            value = str(value)  # dates and UUIDs: their text, quoted
        cells.append(safe_cell(value))
    return cells


class _Sheet(Protocol):
    def append(self, iterable: Iterable[Any]) -> None: ...


def append_row(sheet: _Sheet, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl worksheet, every cell escaped.

    openpyxl stores a string starting with ``=`` as a formula; escaped, no string does."""
    sheet.append(safe_row(values))
