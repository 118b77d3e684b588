import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from tenant_service.adapters.household_files import parse_household_file
from tenant_service.domain.household_import import (
    AREA_REASON,
    COLUMNS,
    CONTROL_REASON,
    HouseholdRow,
    ImportResult,
    RowError,
    header_key,
    parse_household_table,
)
from xinyi_shared.errors import InvalidInput

CHINESE_HEADER = ["楼栋", "单元", "房号", "面积（㎡）", "业主姓名", "联系电话", "网格", "入住日期"]
ENGLISH_HEADER = ["Building", "Unit", "Room No", "Area (m2)", "Owner Name", "Mobile", "Grid", "Move-in Date"]


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def generated_rows(count: int) -> list[list[object]]:
    """count dwellings: buildings of 2 units × 30 floors × 4 rooms, owners 业主0001…, phones 1380000xxxx."""
    rows: list[list[object]] = []
    for n in range(count):
        building, rest = divmod(n, 240)
        unit, rest = divmod(rest, 120)
        floor, door = divmod(rest, 4)
        rows.append(
            [
                f"{building + 1}栋",
                f"{unit + 1}单元",
                f"{floor + 1}{door + 1:02d}",
                f"{80 + n % 50}.{n % 100:02d}",
                f"业主{n:04d}",
                f"1380000{n:04d}",
                f"G{building + 1}",
                "2024-01-31",
            ]
        )
    return rows


def reasons_by_cell(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(error.line, error.column, error.reason) for error in result.errors]


# Formats ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "utf-16"])
def test_chinese_header_csv_in_every_usual_encoding(encoding: str) -> None:
    content = csv_bytes(
        [
            CHINESE_HEADER,
            ["3栋", "2单元", "1502室", "90.5", " 张三 ", "138-1234-1234", "G1", "2024/1/31"],
            ["12号楼", "", "301", "89.99", "欧阳娜娜", "", "", ""],
        ],
        encoding=encoding,
    )

    result = parse_household_file("金河绿洲业主名单.csv", content)

    assert result.errors == []
    assert result.ok
    assert result.rows == [
        HouseholdRow(
            line=2,
            building="3",
            unit="2",
            floor="15",
            room="1502",
            area_centi_sqm=9050,
            owner_name="张三",
            owner_phone="13812341234",
            grid_code="G1",
            occupied_from=date(2024, 1, 31),
        ),
        HouseholdRow(
            line=3,
            building="12",
            unit="",
            floor="3",
            room="301",
            area_centi_sqm=8999,
            owner_name="欧阳娜娜",
            owner_phone="",
            grid_code="",
            occupied_from=None,
        ),
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_english_header_csv_with_any_usual_delimiter(delimiter: str) -> None:
    content = csv_bytes(
        [ENGLISH_HEADER, ["A", "1", "0602", "120", "Li Wei", "+86 139 0000 1111", "north", "2023.12.1"]],
        encoding="utf-8",
        delimiter=delimiter,
    )

    result = parse_household_file("households.CSV", content)

    assert result.ok
    [row] = result.rows
    assert (row.building, row.unit, row.floor, row.room) == ("A", "1", "6", "0602")
    assert row.area_centi_sqm == 12000
    assert (row.owner_name, row.owner_phone, row.grid_code) == ("Li Wei", "13900001111", "north")
    assert row.occupied_from == date(2023, 12, 1)


def test_a_tab_separated_csv_with_a_title_line() -> None:
    content = "金河绿洲业主名单\n楼栋\t房号\t面积\t业主姓名\n3\t1502\t90.5\t张三\n".encode()
    result = parse_household_file("list.csv", content)
    assert result.ok
    assert [(row.line, row.room, row.area_centi_sqm) for row in result.rows] == [(3, "1502", 9050)]


def test_csv_fields_may_be_quoted() -> None:
    content = b'building,room,area,name,phone\r\n"3","1502","90.5","Wang, Fang","13812341234"\r\n'
    [row] = parse_household_file("list.csv", content).rows
    assert row.owner_name == "Wang, Fang"


def test_xlsx_with_chinese_headers_and_numeric_cells() -> None:
    content = xlsx_bytes(
        [
            ["楼栋", "单元", "楼层", "房号", "建筑面积(m²)", "业主", "手机号", "网格号", "入住时间"],
            [3, 2, 15, 1502, 90.5, "张三", 13812341234, "G1", datetime(2024, 1, 31)],
            [3, 2, None, 1503, 89.99, "李四", None, None, date(2023, 6, 1)],
            ["5栋", "1单元", "3层", "301室", 100.0, "王五", "028-12345678", None, "2022年5月4日"],
            [6, 1, None, 101, 0.01, "赵六", 13900001111.0, None, None],
        ]
    )

    result = parse_household_file("名单.XLSX", content)

    assert result.errors == []
    assert [
        (r.line, r.building, r.unit, r.floor, r.room, r.area_centi_sqm, r.owner_phone, r.occupied_from)
        for r in result.rows
    ] == [
        (2, "3", "2", "15", "1502", 9050, "13812341234", date(2024, 1, 31)),
        (3, "3", "2", "15", "1503", 8999, "", date(2023, 6, 1)),
        (4, "5", "1", "3", "301", 10000, "02812345678", date(2022, 5, 4)),
        (5, "6", "1", "1", "101", 1, "13900001111", None),
    ]


def test_xlsx_area_with_more_than_two_decimals_is_not_rounded() -> None:
    content = xlsx_bytes([["楼栋", "房号", "面积", "姓名"], [1, 101, 90.125, "张三"], [1, 102, 90.1, "李四"]])

    result = parse_household_file("list.xlsx", content)

    assert reasons_by_cell(result) == [(2, "面积", AREA_REASON)]
    assert [row.area_centi_sqm for row in result.rows] == [9010]


def test_a_date_cell_where_text_belongs_is_refused() -> None:
    # Excel turns a room typed as "3-2" into 2 March
    content = xlsx_bytes([["楼栋", "房号", "面积", "姓名"], [1, datetime(2024, 3, 2), 90, "张三"]])

    result = parse_household_file("list.xlsx", content)

    assert reasons_by_cell(result) == [(2, "房号", "room is a date in the spreadsheet; format the column as text")]


def test_a_title_row_above_the_header_keeps_real_line_numbers() -> None:
    content = xlsx_bytes(
        [
            ["金河绿洲小区业主信息表"],
            [],
            ["楼栋", "单元", "房号", "面积", "业主姓名"],
            [1, 1, 101, 90, "张三"],
            [],
            [1, 1, 102, "x", "李四"],
        ]
    )

    result = parse_household_file("list.xlsx", content)

    assert [row.line for row in result.rows] == [4]
    assert reasons_by_cell(result) == [(6, "面积", AREA_REASON)]


def test_blank_rows_are_skipped_and_lines_stay_as_the_file_shows_them() -> None:
    content = csv_bytes(
        [
            CHINESE_HEADER,
            ["1", "1", "101", "90", "张三"],
            [],
            ["", "", "", "", "", "", "", ""],
            ["1", "1", "102", "90", "李四"],
        ]
    )
    result = parse_household_file("list.csv", content)
    assert result.ok
    assert [row.line for row in result.rows] == [2, 5]


def test_unknown_columns_are_ignored() -> None:
    content = csv_bytes([["序号", "楼栋", "房号", "备注", "面积", "业主姓名"], ["1", "1", "101", "空置", "90", "张三"]])
    result = parse_household_file("list.csv", content)
    assert result.ok
    assert result.rows[0].room == "101"


# Volume -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_thousand_generated_rows_become_a_thousand_households(extension: str) -> None:
    rows: list[Sequence[object]] = [CHINESE_HEADER, *generated_rows(1000)]
    content = csv_bytes(rows) if extension == "csv" else xlsx_bytes(rows)

    result = parse_household_file(f"list.{extension}", content)

    assert result.errors == []
    assert len(result.rows) == 1000
    assert [row.line for row in result.rows] == list(range(2, 1002))
    assert len({(row.building, row.unit, row.room) for row in result.rows}) == 1000
    last = result.rows[-1]
    assert (last.building, last.unit, last.floor, last.room) == ("5", "1", "10", "1004")
    assert last.area_centi_sqm == 12999
    assert last.owner_phone == "13800000999"


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_largest_estate_parses_whole(extension: str) -> None:
    # Speed is measured by bench/household_import.py, not asserted here.
    rows: list[Sequence[object]] = [CHINESE_HEADER, *generated_rows(3000)]
    content = csv_bytes(rows) if extension == "csv" else xlsx_bytes(rows)

    result = parse_household_file(f"list.{extension}", content)

    assert result.ok
    assert len(result.rows) == 3000


# Errors -------------------------------------------------------------------------------------------

BAD_ROWS = [
    ["楼栋", "单元", "房号", "面积", "业主姓名", "手机", "入住日期"],
    ["5", "1", "101", "80", "张三", "13900001111", ""],  # good
    ["", "1", "102", "80", "李四", "13900002222", ""],
    ["5", "1", "103", "80.123", "王五", "13900003333", ""],
    ["5", "1", "104", "80", "", "12345", ""],
    ["5", "1", "105", "80", "赵六", "13900004444", "2024-13-01"],
    ["5", "1", "", "0", "孙七", "", "31/01/2024"],
    ["5", "1", "106", "-5", "周八", "13900005555/13900006666", "2024-02-30"],
    ["5", "1", "107", "100000", "吴" * 51, "", ""],
    ["5", "1", "101室", "80", "郑九", "13900007777", ""],  # same dwelling as line 2
]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_every_problem_of_every_row_is_reported(extension: str) -> None:
    content = csv_bytes(BAD_ROWS) if extension == "csv" else xlsx_bytes(BAD_ROWS)

    result = parse_household_file(f"list.{extension}", content)

    phone_reason = "phone number is not valid: give one mainland mobile or landline number"
    assert reasons_by_cell(result) == [
        (3, "楼栋", "building is required"),
        (4, "面积", AREA_REASON),
        (5, "业主姓名", "owner name is required"),
        (5, "手机", phone_reason),
        (6, "入住日期", "move-in date is not a real calendar date"),
        (7, "房号", "room is required"),
        (7, "面积", AREA_REASON),
        (7, "入住日期", "move-in date must be a date like 2024-01-31"),
        (8, "面积", AREA_REASON),
        (8, "手机", phone_reason),
        (8, "入住日期", "move-in date is not a real calendar date"),
        (9, "面积", "area must be less than 100000 m²"),
        (9, "业主姓名", "owner name must be at most 50 characters"),
        (10, "", "duplicate of line 2"),
    ]
    assert not result.ok
    assert [row.line for row in result.rows] == [2]  # the good rows, which callers must not import alone


def test_no_reason_repeats_a_name_or_a_phone_from_the_file() -> None:
    rows = [
        ["楼栋", "房号", "面积", "业主姓名", "电话", "入住日期"],
        ["1", "101", "abc", "张三丰", "13812345678x", "2024-02-30"],
        ["1", "102", "-1", "欧阳娜娜" * 13, "028-1234", "x"],
        ["1", "101", "90", "Li Wei", "+86 12812341234", ""],
        ["1", "103", "90.001", "Wang Fang", "13912345678 13912345679", ""],
    ]

    result = parse_household_file("list.csv", csv_bytes(rows))

    assert len(result.errors) >= 8
    secrets = ["张三丰", "欧阳娜娜", "Li Wei", "Wang Fang", "13812345678", "1234", "12812341234", "13912345678"]
    for error in result.errors:
        for secret in secrets:
            assert secret not in error.reason


def test_control_characters_are_refused_per_row_and_column() -> None:
    rows = [
        ["楼栋", "单元", "房号", "面积", "业主姓名", "电话", "网格", "入住日期"],
        ["1", "1", "101", "90", "张\x00三", "13812345678", "", ""],
        ["1", "1", "102", "90", "李四", "138\x011234567", "", ""],
        ["1\x7f", "1", "103", "90", "王五", "", "", ""],
        ["1", "1", "104", "90\t", "赵六\r\n", "", "G\x1f", "2024-01-31\x0b"],
        ["1", "1", "105", "90", "孙七", "", "", ""],
    ]

    result = parse_household_file("list.csv", csv_bytes(rows))

    assert reasons_by_cell(result) == [
        (2, "业主姓名", CONTROL_REASON),
        (3, "电话", CONTROL_REASON),
        (4, "楼栋", CONTROL_REASON),
        (5, "面积", CONTROL_REASON),
        (5, "业主姓名", CONTROL_REASON),
        (5, "网格", CONTROL_REASON),
        (5, "入住日期", CONTROL_REASON),
    ]
    assert [row.line for row in result.rows] == [6]
    assert not result.ok


def test_a_line_break_inside_an_xlsx_cell_is_refused() -> None:
    content = xlsx_bytes([["楼栋", "房号", "面积", "业主姓名"], [1, 101, 90, "张\n三"], [1, 102, 90, "李四"]])

    result = parse_household_file("list.xlsx", content)

    assert reasons_by_cell(result) == [(2, "业主姓名", CONTROL_REASON)]


def test_duplicates_compare_normalised_dwellings() -> None:
    content = csv_bytes(
        [
            ["楼栋", "单元", "房号", "面积", "业主姓名"],
            ["3栋", "2单元", "1502室", "90", "张三"],
            ["3", "1", "1502", "90", "李四"],  # another unit: a different dwelling
            ["3", "2", "1502", "91", "王五"],
            ["3号楼", "2", "1502", "92", "赵六"],
            ["4", "2", "1502", "90", "孙七"],
        ]
    )

    result = parse_household_file("list.csv", content)

    assert reasons_by_cell(result) == [(4, "", "duplicate of line 2"), (5, "", "duplicate of line 2")]
    assert [row.line for row in result.rows] == [2, 3, 6]


def test_missing_required_columns_are_each_named_and_no_row_is_read() -> None:
    content = csv_bytes([["楼栋", "单元", "面积", "电话"], ["1", "1", "90", "13812341234"]])

    result = parse_household_file("list.csv", content)

    assert result.rows == []
    assert result.errors == [
        RowError(1, "", "missing column: room (房号)"),
        RowError(1, "", "missing column: owner name (业主姓名)"),
    ]
    assert not result.ok


def test_a_file_without_any_known_header_misses_every_required_column() -> None:
    content = csv_bytes([["1", "1", "101", "90", "张三"]])
    result = parse_household_file("list.csv", content)
    assert [error.reason for error in result.errors] == [
        "missing column: building (楼栋)",
        "missing column: room (房号)",
        "missing column: area (面积)",
        "missing column: owner name (业主姓名)",
    ]


def test_two_columns_for_the_same_field_are_refused() -> None:
    content = csv_bytes([["楼栋", "房号", "面积", "业主姓名", "电话", "手机"], ["1", "101", "90", "张三", "", ""]])
    result = parse_household_file("list.csv", content)
    assert result.rows == []
    assert reasons_by_cell(result) == [(1, "手机", "phone (电话) is already given by column '电话'")]


def test_a_header_alone_is_no_import() -> None:
    result = parse_household_file("list.csv", csv_bytes([CHINESE_HEADER, []]))
    assert result == ImportResult(rows=[], errors=[])
    assert not result.ok


# Refused files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["list.xls", "list.txt", "list", "list.csv.exe", "list.xlsm", ".csv"])
def test_unsupported_file_types_are_refused(filename: str) -> None:
    with pytest.raises(InvalidInput, match=r"unsupported file type .*; upload \.csv or \.xlsx"):
        parse_household_file(filename, csv_bytes([CHINESE_HEADER]))


@pytest.mark.parametrize("content", [b"", b"   \r\n", "\ufeff\r\n".encode()])
@pytest.mark.parametrize("filename", ["list.csv", "list.xlsx"])
def test_empty_files_are_refused(filename: str, content: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_household_file(filename, content)


def test_a_csv_of_blank_lines_has_no_header() -> None:
    with pytest.raises(InvalidInput, match="no header"):
        parse_household_file("list.csv", b",,,\r\n,,\r\n")


def truncated_xlsx() -> bytes:
    content = xlsx_bytes([CHINESE_HEADER, *generated_rows(10)])
    return content[: len(content) // 2]


def xlsx_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def xlsx_with_broken_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([CHINESE_HEADER, *generated_rows(3)])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(member, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a workbook at all",
        bytes(range(256)) * 4,
        truncated_xlsx(),
        xlsx_without_workbook(),
        xlsx_with_broken_sheet(),
    ],
    ids=["text", "binary", "truncated", "zip-without-workbook", "broken-sheet-xml"],
)
def test_corrupt_xlsx_is_refused_with_a_clear_reason(content: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"the \.xlsx file cannot be read; it may be damaged"):
        parse_household_file("list.xlsx", content)


def test_an_old_xls_workbook_renamed_to_xlsx_is_named_as_such() -> None:
    with pytest.raises(InvalidInput, match=r"old \.xls workbook"):
        parse_household_file("list.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)


def test_a_workbook_named_csv_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"Excel workbook named \.csv"):
        parse_household_file("list.csv", xlsx_bytes([CHINESE_HEADER]))


# Cells --------------------------------------------------------------------------------------------


def single_row(**cells: str) -> ImportResult:
    values = {"楼栋": "1", "房号": "101", "面积": "90", "业主姓名": "张三"}
    values.update(cells)
    return parse_household_file("list.csv", csv_bytes([list(values), list(values.values())]))


@pytest.mark.parametrize(
    ("area", "centi"),
    [
        ("90.5", 9050),
        ("89.99", 8999),
        ("90", 9000),
        ("90.50", 9050),
        ("90.500", 9050),  # numerically two decimals: nothing is rounded
        ("0.01", 1),
        ("99999.99", 9999999),
        (" 90.5㎡ ", 9050),
        ("90.5 m²", 9050),
        ("90.5平方米", 9050),
        ("９０.５", 9050),
    ],
)
def test_areas_become_hundredths_of_a_square_metre(area: str, centi: int) -> None:
    assert single_row(面积=area).rows[0].area_centi_sqm == centi


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        ("", "area is required"),
        ("0", AREA_REASON),
        ("0.00", AREA_REASON),
        ("-90", AREA_REASON),
        ("90.505", AREA_REASON),
        ("90.5.1", AREA_REASON),
        ("1e2", AREA_REASON),
        ("九十", AREA_REASON),
        ("1,200", AREA_REASON),
        ("100000", "area must be less than 100000 m²"),
    ],
)
def test_bad_areas_are_refused(area: str, reason: str) -> None:
    assert reasons_by_cell(single_row(面积=area)) == [(2, "面积", reason)]


@pytest.mark.parametrize(
    ("room", "floor"),
    [("1502", "15"), ("301", "3"), ("0301", "3"), ("1502室", "15"), ("12", ""), ("B12", ""), ("10101", "")],
)
def test_the_floor_comes_from_the_room_when_not_given(room: str, floor: str) -> None:
    assert single_row(房号=room).rows[0].floor == floor


def test_a_floor_column_wins_over_the_room() -> None:
    content = csv_bytes(
        [["楼栋", "楼层", "房号", "面积", "业主姓名"], ["1", "15层", "A", "90", "张三"], ["1", "", "301", "90", "李四"]]
    )
    rows = parse_household_file("list.csv", content).rows
    assert [(row.floor, row.room) for row in rows] == [("15", "A"), ("3", "301")]


@pytest.mark.parametrize(
    ("building", "normalised"),
    [("3", "3"), ("3栋", "3"), ("3号楼", "3"), ("3幢", "3"), (" 3 栋 ", "3"), ("A座", "A座"), ("３栋", "3")],
)
def test_buildings_lose_their_counting_word(building: str, normalised: str) -> None:
    assert single_row(楼栋=building).rows[0].building == normalised


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-01-31", date(2024, 1, 31)),
        ("2024/1/31", date(2024, 1, 31)),
        ("2024.1.31", date(2024, 1, 31)),
        ("2024年1月31日", date(2024, 1, 31)),
        ("2024-01-31 00:00:00", date(2024, 1, 31)),
        ("", None),
    ],
)
def test_move_in_dates_in_usual_spellings(text: str, day: date | None) -> None:
    assert single_row(入住日期=text).rows[0].occupied_from == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/01/2024", "move-in date must be a date like 2024-01-31"),
        ("45322", "move-in date must be a date like 2024-01-31"),
        ("2024-02-30", "move-in date is not a real calendar date"),
        ("1800-01-01", "move-in date must lie between 1900 and 2100"),
    ],
)
def test_bad_move_in_dates_are_refused(text: str, reason: str) -> None:
    assert reasons_by_cell(single_row(入住日期=text)) == [(2, "入住日期", reason)]


def test_owner_names_are_trimmed_and_inner_spaces_collapsed() -> None:
    assert single_row(业主姓名="  Li   Wei ").rows[0].owner_name == "Li Wei"


# Headers ------------------------------------------------------------------------------------------

SYNONYMS = {
    "building": ["楼栋", "栋", "楼号", "楼栋号", "building", "Block", " BUILDING "],
    "unit": ["单元", "单元号", "unit"],
    "floor": ["楼层", "层", "floor"],
    "room": ["房号", "房间号", "室", "门牌号", "room", "Room No", "room number", "Room No.", "房号*"],
    "area": [
        "面积",
        "建筑面积",
        "面积(㎡)",
        "面积（平方米）",
        "建筑面积(m²)",
        "面积（㎡）",
        "面积(m2)",
        "area",
        "Floor Area",
        "area (m2)",
        "area_sqm",
        "面积㎡",
    ],
    "owner_name": ["业主姓名", "业主", "姓名", "owner", "Owner Name", "name"],
    "owner_phone": ["电话", "手机", "手机号", "联系电话", "phone", "mobile", "telephone"],
    "grid_code": ["网格", "网格号", "grid"],
    "occupied_from": ["入住日期", "入住时间", "move-in date", "Move In", "occupied from", "Move-In Date"],
}


@pytest.mark.parametrize(("key", "header"), [(key, header) for key, headers in SYNONYMS.items() for header in headers])
def test_header_synonyms(key: str, header: str) -> None:
    columns = {header_key(synonym): column.key for column in COLUMNS for synonym in column.synonyms}
    assert columns[header_key(header)] == key


def test_no_synonym_names_two_columns() -> None:
    seen: dict[str, str] = {}
    for column in COLUMNS:
        for synonym in column.synonyms:
            assert seen.setdefault(header_key(synonym), column.key) == column.key, synonym


def test_english_synonyms_read_a_whole_file() -> None:
    content = csv_bytes(
        [
            ["block", "unit", "floor", "room number", "floor area", "owner", "telephone", "grid", "occupied from"],
            ["B", "2", "7", "702", "66.6", "Zhang San", "13812341234", "g-2", "2020-02-02"],
        ]
    )
    [row] = parse_household_file("list.csv", content).rows
    assert row == HouseholdRow(2, "B", "2", "7", "702", 6660, "Zhang San", "13812341234", "g-2", date(2020, 2, 2))


def test_the_parser_reads_cells_not_files() -> None:
    """The domain's parser takes a sheet's cells as a spreadsheet gives them (numbers, dates, text);
    decoding files is the adapter's (tenant_service.adapters.household_files)."""
    table: list[Sequence[object]] = [
        ("金河绿洲业主名单",),
        tuple(CHINESE_HEADER),
        ("3栋", "2单元", 1502, 90.5, "张三", "138 1234 1234", None, datetime(2024, 1, 31)),
        (None, None, None),
    ]

    result = parse_household_table(table)

    assert result.ok, result.errors
    [row] = result.rows
    assert (row.line, row.building, row.unit, row.floor, row.room) == (3, "3", "2", "15", "1502")
    assert (row.area_centi_sqm, row.owner_phone, row.occupied_from) == (9050, "13812341234", date(2024, 1, 31))
