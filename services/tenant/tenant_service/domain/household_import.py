"""户 list import — a firm's household list, as the cells of its sheet, read into validated household rows.

Pure: cells in (strings, numbers, dates, as a CSV or spreadsheet gives them; the file itself is decoded by
``tenant_service.adapters.household_files``), rows and row errors out; the caller imports nothing unless
``ImportResult.ok``. Reasons never quote a cell, so names and phones from the file cannot leak through them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from tenant_service.domain.personal_data import normalize_phone
from xinyi_shared.errors import InvalidInput

MAX_AREA_SQM = 100000
MAX_OWNER_NAME_LENGTH = 50
MAX_PLACE_LENGTH = 20  # building, unit, floor and room
MAX_GRID_CODE_LENGTH = 32
MAX_HOUSEHOLD_ROWS = 20000
HEADER_SEARCH_ROWS = 10  # a title row such as "金河绿洲业主名单" may sit above the header
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100

AREA_REASON = "area must be a positive number of m² with at most 2 decimals"
DATE_REASON = "move-in date must be a date like 2024-01-31"
CONTROL_REASON = (
    "the cell holds a control character (U+0000–U+001F or U+007F, such as NUL, a tab or a line break); remove it"
)

_HEADER_BRACKETS = re.compile(r"[(\[【][^)\]】]*[)\]】]")  # "面积（㎡）", "area (m2)", "房号【必填】"
_HEADER_NOISE = re.compile(r"[\s_\-.:：*]+")
_HEADER_UNIT = re.compile(r"(?:m2|sqm|平方米|平米)$")
_SPACES = re.compile(r"\s+")
_BUILDING_SUFFIX = re.compile(r"(?:号楼|栋|幢)$")
_UNIT_SUFFIX = re.compile(r"单元$")
_FLOOR_SUFFIX = re.compile(r"(?:层|楼)$")
_ROOM_SUFFIX = re.compile(r"(?:室|号)$")
_ROOM_FLOOR = re.compile(r"(\d{1,2})\d{2}")  # "1502" -> 15, "301" -> 3
_AREA_UNIT = re.compile(r"(?:m2|平方米|平米|平)$")
_AREA = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_T = TypeVar("_T")


@dataclass(frozen=True)
class HouseholdRow:
    """One dwelling (户) as the file states it, normalised."""

    line: int  # row number as a person sees it in the file (header = row 1, first data row = 2)
    building: str  # 楼栋: "3栋" -> "3"
    unit: str  # 单元: "2单元" -> "2"; "" when the estate has no units
    floor: str  # 楼层: from its column, else from the room ("1502" -> "15"); "" when unknown
    room: str  # 房号: "1502室" -> "1502"
    area_centi_sqm: int  # 面积 in hundredths of a m²: 90.5 m² -> 9050
    owner_name: str  # 业主姓名
    owner_phone: str  # normalised, "" when not given
    grid_code: str  # 网格, "" when not given
    occupied_from: date | None  # 入住日期


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the header as written in the file, "" for a problem of the whole row
    reason: str


@dataclass(frozen=True)
class ImportResult:
    rows: list[HouseholdRow]  # the good rows; import them only when ``ok``
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


@dataclass(frozen=True)
class _Column:
    key: str
    label: str  # English, as reasons name it
    chinese: str
    required: bool
    synonyms: tuple[str, ...]


COLUMNS: tuple[_Column, ...] = (
    _Column("building", "building", "楼栋", True, ("楼栋", "栋", "楼号", "楼栋号", "栋号", "building", "block")),
    _Column("unit", "unit", "单元", False, ("单元", "单元号", "unit")),
    _Column("floor", "floor", "楼层", False, ("楼层", "层", "floor")),
    _Column(
        "room",
        "room",
        "房号",
        True,
        ("房号", "房间号", "室", "室号", "门牌号", "room", "room no", "room number"),
    ),
    _Column(
        "area",
        "area",
        "面积",
        True,
        ("面积", "建筑面积", "房屋面积", "area", "floor area", "area_sqm"),
    ),
    _Column("owner_name", "owner name", "业主姓名", True, ("业主姓名", "业主", "姓名", "owner", "owner name", "name")),
    _Column(
        "owner_phone",
        "phone",
        "电话",
        False,
        (
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "电话号码",
            "联系电话",
            "联系方式",
            "phone",
            "phone number",
            "mobile",
            "telephone",
        ),
    ),
    _Column("grid_code", "grid", "网格", False, ("网格", "网格号", "grid")),
    _Column(
        "occupied_from",
        "move-in date",
        "入住日期",
        False,
        ("入住日期", "入住时间", "move-in date", "move in", "occupied from"),
    ),
)


def header_key(header: str) -> str:
    """The comparable form of a header: NFKC, case-folded, without spaces, punctuation or bracketed units."""
    key = unicodedata.normalize("NFKC", header).casefold()
    key = _HEADER_NOISE.sub("", _HEADER_BRACKETS.sub("", key))
    return _HEADER_UNIT.sub("", key) or key


_COLUMN_BY_HEADER: dict[str, _Column] = {
    header_key(synonym): column for column in COLUMNS for synonym in (column.key, *column.synonyms)
}


class _CellError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Header ------------------------------------------------------------------------------------------


def parse_household_table(table: Sequence[Sequence[object]]) -> ImportResult:
    """Read a household list's cells, row by row (the first rows may hold a title above the header);
    every problem of every row comes back as a RowError.

    Raises InvalidInput when the list as a whole cannot be read (no header row, too many rows)."""
    header_index = _find_header(table)
    if header_index is None:
        raise InvalidInput("the file has no header row")
    header_line = header_index + 1
    positions, errors = _map_header(header_line, table[header_index])
    if errors:
        return ImportResult(rows=[], errors=errors)

    rows: list[HouseholdRow] = []
    first_line_of: dict[tuple[str, str, str], int] = {}
    data_rows = 0
    for index in range(header_index + 1, len(table)):
        cells = table[index]
        if is_blank_row(cells):
            continue
        data_rows += 1
        if data_rows > MAX_HOUSEHOLD_ROWS:
            raise InvalidInput(f"the file has more than {MAX_HOUSEHOLD_ROWS} rows; split it")
        dwelling, row, row_errors = _parse_row(index + 1, cells, positions)
        errors.extend(row_errors)
        if dwelling is None:
            continue
        first_line = first_line_of.setdefault(dwelling, index + 1)
        if first_line != index + 1:
            errors.append(RowError(index + 1, "", f"duplicate of line {first_line}"))
        elif row is not None:
            rows.append(row)
    return ImportResult(rows=rows, errors=errors)


def _find_header(table: Sequence[Sequence[object]]) -> int | None:
    """The first row naming at least two known columns among the first non-blank rows, else the first non-blank row."""
    first: int | None = None
    looked = 0
    for index, cells in enumerate(table):
        if is_blank_row(cells):
            continue
        if first is None:
            first = index
        known = sum(1 for cell in cells if header_key(_plain_text(cell)) in _COLUMN_BY_HEADER)
        if known >= 2:
            return index
        looked += 1
        if looked >= HEADER_SEARCH_ROWS:
            break
    return first


def _map_header(line: int, cells: Sequence[object]) -> tuple[dict[str, tuple[int, str]], list[RowError]]:
    positions: dict[str, tuple[int, str]] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        header = _plain_text(cell)
        column = _COLUMN_BY_HEADER.get(header_key(header)) if header else None
        if column is None:
            continue
        if column.key in positions:
            earlier = positions[column.key][1]
            errors.append(
                RowError(line, header, f"{column.label} ({column.chinese}) is already given by column {earlier!r}")
            )
            continue
        positions[column.key] = (index, header)
    for column in COLUMNS:
        if column.required and column.key not in positions:
            errors.append(RowError(line, "", f"missing column: {column.label} ({column.chinese})"))
    return positions, errors


# Rows --------------------------------------------------------------------------------------------


class _RowReader:
    """Reads one row's cells column by column, keeping every column's error."""

    def __init__(self, line: int, cells: Sequence[object], positions: dict[str, tuple[int, str]]) -> None:
        self.line = line
        self.cells = cells
        self.positions = positions
        self.errors: list[RowError] = []

    def read(self, key: str, parse: Callable[[object], _T]) -> _T | None:
        index, header = self.positions.get(key, (-1, ""))
        raw = self.cells[index] if 0 <= index < len(self.cells) else None
        if isinstance(raw, str) and _CONTROL.search(raw):  # before any trimming: the database refuses NUL
            self.errors.append(RowError(self.line, header, CONTROL_REASON))
            return None
        try:
            return parse(raw)
        except _CellError as error:
            self.errors.append(RowError(self.line, header, error.reason))
            return None


def _parse_row(
    line: int, cells: Sequence[object], positions: dict[str, tuple[int, str]]
) -> tuple[tuple[str, str, str] | None, HouseholdRow | None, list[RowError]]:
    """The dwelling (building, unit, room) when those are readable, the row when all is, and the errors."""
    reader = _RowReader(line, cells, positions)
    building = reader.read("building", _building)
    unit = reader.read("unit", _unit)
    floor = reader.read("floor", _floor)
    room = reader.read("room", _room)
    area = reader.read("area", _area)
    owner_name = reader.read("owner_name", _owner_name)
    owner_phone = reader.read("owner_phone", _owner_phone)
    grid_code = reader.read("grid_code", _grid_code)
    occupied_from = reader.read("occupied_from", _occupied_from)
    if building is None or unit is None or room is None:
        return None, None, reader.errors
    dwelling = (building.casefold(), unit.casefold(), room.casefold())
    if floor is None or area is None or owner_name is None or owner_phone is None or grid_code is None:
        return dwelling, None, reader.errors
    if reader.errors:  # the move-in date
        return dwelling, None, reader.errors
    row = HouseholdRow(
        line=line,
        building=building,
        unit=unit,
        floor=floor or _floor_of_room(room),
        room=room,
        area_centi_sqm=area,
        owner_name=owner_name,
        owner_phone=owner_phone,
        grid_code=grid_code,
        occupied_from=occupied_from,
    )
    return dwelling, row, reader.errors


def _place(raw: object, label: str, suffix: re.Pattern[str], required: bool) -> str:
    text = suffix.sub("", _SPACES.sub("", unicodedata.normalize("NFKC", _text(raw, label))))
    if not text and required:
        raise _CellError(f"{label} is required")
    if len(text) > MAX_PLACE_LENGTH:
        raise _CellError(f"{label} must be at most {MAX_PLACE_LENGTH} characters")
    return text


def _building(raw: object) -> str:
    return _place(raw, "building", _BUILDING_SUFFIX, required=True)


def _unit(raw: object) -> str:
    return _place(raw, "unit", _UNIT_SUFFIX, required=False)


def _floor(raw: object) -> str:
    return _place(raw, "floor", _FLOOR_SUFFIX, required=False)


def _room(raw: object) -> str:
    return _place(raw, "room", _ROOM_SUFFIX, required=True)


def _floor_of_room(room: str) -> str:
    match = _ROOM_FLOOR.fullmatch(room)
    if match is None or int(match.group(1)) == 0:
        return ""
    return str(int(match.group(1)))


def _area(raw: object) -> int:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(raw, "area")).casefold())
    if not text:
        raise _CellError("area is required")
    text = _AREA_UNIT.sub("", text)
    if not _AREA.fullmatch(text):
        raise _CellError(AREA_REASON)
    centi = Decimal(text) * 100
    if centi <= 0 or centi != centi.to_integral_value():
        raise _CellError(AREA_REASON)
    if centi >= MAX_AREA_SQM * 100:
        raise _CellError(f"area must be less than {MAX_AREA_SQM} m²")
    return int(centi)


def _owner_name(raw: object) -> str:
    name = _SPACES.sub(" ", _text(raw, "owner name"))
    if not name:
        raise _CellError("owner name is required")
    if len(name) > MAX_OWNER_NAME_LENGTH:
        raise _CellError(f"owner name must be at most {MAX_OWNER_NAME_LENGTH} characters")
    return name


def _owner_phone(raw: object) -> str:
    text = _text(raw, "phone")
    if not text:
        return ""
    try:
        return normalize_phone(text)
    except InvalidInput as error:
        raise _CellError(error.reason) from None


def _grid_code(raw: object) -> str:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", _text(raw, "grid")))
    if len(text) > MAX_GRID_CODE_LENGTH:
        raise _CellError(f"grid must be at most {MAX_GRID_CODE_LENGTH} characters")
    return text


def _occupied_from(raw: object) -> date | None:
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    elif isinstance(raw, str) or raw is None:
        text = unicodedata.normalize("NFKC", raw or "").strip().casefold()
        if not text:
            return None
        match = _DATE.fullmatch(text)
        if match is None:
            raise _CellError(DATE_REASON)
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise _CellError("move-in date is not a real calendar date") from None
    else:  # a number: a date cell the spreadsheet does not format as a date
        raise _CellError(DATE_REASON)
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise _CellError(f"move-in date must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return day


# Cells -------------------------------------------------------------------------------------------


def is_blank_row(cells: Sequence[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _plain_text(cell: object) -> str:
    """A cell as the spreadsheet shows it: 1502 not 1502.0, 90.5 not 90.500000000001."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return str(cell).upper()
    if isinstance(cell, float):
        if cell.is_integer():
            return str(int(cell))
        return format(Decimal(repr(cell)), "f")
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()


def _text(cell: object, label: str) -> str:
    """Like _plain_text, but a date cell where text belongs is refused: Excel turns "3-2" into 2 March."""
    if isinstance(cell, date | time | timedelta):
        raise _CellError(f"{label} is a date in the spreadsheet; format the column as text")
    return _plain_text(cell)
