"""Household list files (CSV or XLSX, as a firm's spreadsheet exports them) decoded into the cells of
their first sheet, for the pure parser of ``tenant_service.domain.household_import``.

CSV: UTF-8 (with or without BOM), GB18030/GBK or UTF-16 (Excel's "Unicode text"), comma, tab or
semicolon. XLSX: the first worksheet's values (openpyxl, read-only, formulas as last computed), refused
when it would unpack to more than MAX_XLSX_UNCOMPRESSED_BYTES. Whatever cannot be read is an
InvalidInput naming the problem, never quoting the file."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import PurePath

import openpyxl

from tenant_service.domain.household_import import (
    HEADER_SEARCH_ROWS,
    MAX_HOUSEHOLD_ROWS,
    ImportResult,
    is_blank_row,
    parse_household_table,
)
from xinyi_shared.errors import InvalidInput, XinyiError

MAX_XLSX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # a 20,000-row list is a few MB; more is a damaged file or a zip bomb
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def parse_household_file(filename: str, content: bytes) -> ImportResult:
    """Read a household list file into validated rows; every problem of every row comes back as a RowError.

    Raises InvalidInput when the file as a whole cannot be read (type, encoding, damage, no header)."""
    return parse_household_table(read_household_file(filename, content))


def read_household_file(filename: str, content: bytes) -> list[Sequence[object]]:
    """The cells of the file's rows (of its first worksheet), by its extension: .csv or .xlsx."""
    suffix = PurePath(filename.strip()).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        shown = f'"{suffix[:10]}"' if suffix else "(no extension)"
        raise InvalidInput(f"unsupported file type {shown}; upload .csv or .xlsx")
    if not content.strip():
        raise InvalidInput("the file is empty")
    return _read_csv(content) if suffix == ".csv" else _read_xlsx(content)


def _read_csv(content: bytes) -> list[Sequence[object]]:
    if content.startswith(_XLSX_MAGIC) or content.startswith(_XLS_MAGIC):
        raise InvalidInput("the file is an Excel workbook named .csv; upload it as .xlsx or export it as CSV")
    text = _decode(content)
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as error:
        raise InvalidInput("the CSV file is malformed; export it again from the spreadsheet") from error


def _delimiter(text: str) -> str:
    """Comma, tab or semicolon, whichever the first lines (title and header) use most; comma when none."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    counts = {delimiter: sum(line.count(delimiter) for line in lines) for delimiter in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the CSV file is neither UTF-8 nor GB18030 (GBK) text")


def _read_xlsx(content: bytes) -> list[Sequence[object]]:
    if content.startswith(_XLS_MAGIC):
        raise InvalidInput("the file is an old .xls workbook; save it as .xlsx in Excel or WPS and upload again")
    damaged = "the .xlsx file cannot be read; it may be damaged, open it in Excel or WPS, save it and upload again"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidInput(damaged) from error
    if unpacked > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise InvalidInput("the .xlsx file is too large for a household list")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
        try:
            if not workbook.worksheets:
                raise InvalidInput("the workbook has no worksheet")
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some exporters state wrong dimensions; read what is there
            return _collect(sheet.iter_rows(values_only=True))
        finally:
            workbook.close()
    except XinyiError:
        raise
    except Exception as error:  # a damaged workbook fails in zipfile, XML or openpyxl in many ways
        raise InvalidInput(damaged) from error


def _collect(rows: Iterable[Sequence[object]]) -> list[Sequence[object]]:
    """The rows, stopping (InvalidInput) as soon as there are more than a list may hold, so that a huge
    file is not read to its end."""
    table: list[Sequence[object]] = []
    filled = 0
    for cells in rows:
        table.append(cells)
        if not is_blank_row(cells):
            filled += 1
            if filled > MAX_HOUSEHOLD_ROWS + HEADER_SEARCH_ROWS:
                raise InvalidInput(f"the file has more than {MAX_HOUSEHOLD_ROWS} rows; split it")
    return table
