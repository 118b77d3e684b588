import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from ledger_service.adapters import statement_pdf
from ledger_service.adapters.statement_pdf import StatementView, format_cny, render_statement_pdf

CHINA = timezone(timedelta(hours=8))

LABELS = (
    "期初余额",
    "物业费应收",
    "物业费实收",
    "收缴率",
    "公共收益",
    "停车",
    "广告",
    "场地租金",
    "其他",
    "支出",
    "物业酬金",
    "捐赠社区微基金",
    "期末余额",
    "本年累计结余",
    "信托制物业 月度收支公示",
    "Monthly trust statement",
    "每一笔收支均可在信义平台查询 / Every entry can be looked up on Xinyi",
)


def view(**overrides: object) -> StatementView:
    values: dict[str, object] = {
        "estate_code": "jinhe-lvzhou",
        "estate_name": "金河绿洲",
        "period": "2026-11",
        "generated_at": datetime(2026, 12, 1, 9, 30, tzinfo=CHINA),
        "opening_balance_fen": 31_245_678,
        "fees_billed_fen": 12_600_000,
        "fees_collected_fen": 12_236_700,
        "collection_rate_bps": 9712,
        "common_income_by_kind": {"parking": 1_850_000, "advertising": 320_000, "venue_rent": 150_050, "other": 4_200},
        "expenses_by_budget_line": {
            "5110": ("保洁服务", 2_400_000),
            "5120": ("秩序维护", 3_150_000),
            "5130": ("设施设备维修", 187_645),
        },
        "remuneration_fen": 1_835_505,
        "donation_fen": 550_652,
        "closing_balance_fen": 37_472_828,
        "surplus_year_to_date_fen": -30_512_345,
        "closed": True,
    }
    values.update(overrides)
    return StatementView(**values)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (-5, "-0.05"),
        (100, "1.00"),
        (-100, "-1.00"),
        (99_999, "999.99"),
        (1_234_567, "12,345.67"),
        (-1_234_567, "-12,345.67"),
        (100_000_000_00, "100,000,000.00"),
    ],
)
def test_format_cny_formats_integer_fen(fen: int, text: str) -> None:
    assert format_cny(fen) == text


@pytest.mark.parametrize("amount", [12.5, True, "100"])
def test_format_cny_refuses_what_is_not_integer_fen(amount: object) -> None:
    with pytest.raises(TypeError):
        format_cny(amount)  # type: ignore[arg-type]


def test_a_statement_is_an_a4_pdf_with_its_metadata() -> None:
    pdf = render_statement_pdf(view())

    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(side) for side in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "金河绿洲 信托制物业 月度收支公示 2026-11"
    assert metadata.author == "Xinyi"
    assert metadata.subject is not None
    assert "jinhe-lvzhou" in metadata.subject
    assert "2026-11" in metadata.subject


def test_the_text_of_a_statement_shows_every_label_and_amount() -> None:
    statement = view()
    text = pdf_text(render_statement_pdf(statement))

    for label in (*LABELS, "金河绿洲", "jinhe-lvzhou", "2026-11", "保洁服务", "秩序维护", "设施设备维修"):
        assert label in text, label
    amounts = [
        statement.opening_balance_fen,
        statement.fees_billed_fen,
        statement.fees_collected_fen,
        *statement.common_income_by_kind.values(),
        sum(statement.common_income_by_kind.values()),
        *(fen for _, fen in statement.expenses_by_budget_line.values()),
        sum(fen for _, fen in statement.expenses_by_budget_line.values()),
        statement.remuneration_fen,
        statement.donation_fen,
        statement.closing_balance_fen,
        statement.surplus_year_to_date_fen,
    ]
    for fen in amounts:
        assert format_cny(fen) in text, fen
    assert "-305,123.45" in text
    assert "97.12%" in text
    assert "2026-12-01 09:30 UTC+08:00" in text
    assert "PROVISIONAL" not in text
    assert "已结账" in text


def test_a_provisional_statement_says_so() -> None:
    text = pdf_text(render_statement_pdf(view(closed=False)))

    assert "未结账" in text
    assert "PROVISIONAL" in text


def test_a_statement_without_common_income_or_expenses_still_renders() -> None:
    pdf = render_statement_pdf(view(common_income_by_kind={}, expenses_by_budget_line={}, collection_rate_bps=0))

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for label in LABELS:
        assert label in text, label
    assert "本月无支出" in text
    assert "0.00%" in text


def test_names_from_the_books_are_escaped_not_read_as_markup() -> None:
    text = pdf_text(
        render_statement_pdf(view(estate_name="A&B <花园>", expenses_by_budget_line={"5190": ("<杂项> & 其他", 1)}))
    )

    assert "A&B <花园>" in text
    assert "<杂项> & 其他" in text
    assert "0.01" in text


def test_a_long_statement_flows_onto_further_pages_with_the_footer_on_each() -> None:
    expenses = {f"5{n:03d}": (f"预算科目{n}", n * 100) for n in range(80)}
    pdf = render_statement_pdf(view(expenses_by_budget_line=expenses))

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 1
    for page in pages:
        assert "Every entry can be looked up on Xinyi" in page.extract_text()
    assert "预算科目79" in pdf_text(pdf)


@pytest.mark.parametrize(
    "overrides",
    [
        {"period": "2026-13"},
        {"period": "Nov 2026"},
        {"opening_balance_fen": 1.5},
        {"collection_rate_bps": 97.12},
        {"common_income_by_kind": {"lottery": 100}},
        {"common_income_by_kind": {"parking": 1.0}},
        {"expenses_by_budget_line": {"5110": ("保洁服务", 24000.0)}},
    ],
)
def test_a_view_refuses_floats_and_unknown_shapes(overrides: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        view(**overrides)


def test_the_built_in_cid_font_also_extracts_as_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    monkeypatch.setattr(statement_pdf, "cjk_font", lambda: "STSong-Light")

    pdf = render_statement_pdf(view(closed=False))

    text = pdf_text(pdf)
    for label in (*LABELS, "金河绿洲", "未结账"):
        assert label in text, label
    assert b"/STSong-Light" in pdf


@pytest.mark.skipif(
    not any(path.is_file() for path in statement_pdf.EMBEDDED_FONT_FILES),
    reason="no embeddable CJK font installed (Debian package fonts-wqy-microhei)",
)
def test_the_cjk_font_is_embedded_when_installed() -> None:
    pdf = render_statement_pdf(view())

    assert statement_pdf.cjk_font() != "STSong-Light"
    assert b"/FontFile2" in pdf
