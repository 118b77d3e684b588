"""The monthly trust statement as a printable A4 PDF, in Chinese with English beside it.

Every amount arrives in integer fen and is formatted from integers (``format_cny``); no float ever
touches money here.

Font: the statement embeds a subset of WenQuanYi Micro Hei when the Debian package
``fonts-wqy-microhei`` is installed, so the file prints the same on any viewer or printer. Without
it, the statement falls back to ReportLab's built-in ``STSong-Light`` CID font, which needs no
font file but is *not* embedded: text extraction still yields proper Chinese, yet a viewer with no
Chinese font of its own (a bare Linux print server, say) draws empty boxes.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

COMMON_INCOME_KINDS: tuple[tuple[str, str, str], ...] = (
    ("parking", "停车", "Parking"),
    ("advertising", "广告", "Advertising"),
    ("venue_rent", "场地租金", "Venue rent"),
    ("other", "其他", "Other"),
)
"""The kinds of common income a statement shows, in order: (key, Chinese label, English label)."""

EMBEDDED_FONT_FILES: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
"""TrueType CJK fonts to embed, first found wins (Debian package fonts-wqy-microhei)."""

_EMBEDDED_FONT_NAME = "XinyiStatementCJK"
_CID_FALLBACK_FONT = "STSong-Light"
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_FOOTER_SENTENCE = "每一笔收支均可在信义平台查询 / Every entry can be looked up on Xinyi"

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#616e7c")
_RULE = colors.HexColor("#9aa5b1")
_SHADE = colors.HexColor("#eef2f6")
_WARN = colors.HexColor("#b42318")


def format_cny(fen: int) -> str:
    """An amount in fen as yuan with thousands separators: 1234567 -> "12,345.67", -5 -> "-0.05"."""
    _require_int("amount", fen)
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d}"


def format_rate(bps: int) -> str:
    """A rate in basis points as a percent with two decimals: 9712 -> "97.12%"."""
    _require_int("rate", bps)
    whole, hundredths = divmod(abs(bps), 100)
    return f"{'-' if bps < 0 else ''}{whole}.{hundredths:02d}%"


def _require_int(what: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer (fen or basis points), got {type(value).__name__}")


@dataclass(frozen=True)
class BudgetRow:
    """One budget line against the books, in fen (see ``domain.budgets.LineExecution``)."""

    account: str
    name: str
    adopted_fen: int
    booked_in_period_fen: int
    booked_year_to_date_fen: int
    committed_fen: int
    remaining_fen: int


@dataclass(frozen=True)
class OpenQuestion:
    expense_number: int
    question: str
    asked_on: str  # YYYY-MM-DD


@dataclass(frozen=True)
class StatementView:
    """What the PDF shows; amounts in integer fen."""

    estate_code: str
    estate_name: str
    period: str
    generated_at: datetime
    opening_balance_fen: int
    fees_billed_fen: int
    fees_collected_fen: int
    collection_rate_bps: int
    common_income_by_kind: dict[str, int]
    expenses_by_budget_line: dict[str, tuple[str, int]]
    remuneration_fen: int
    donation_fen: int
    closing_balance_fen: int
    surplus_year_to_date_fen: int
    closed: bool
    budget_plan: str | None = None  # the adopted plan of the year, None when none is adopted
    budget_rows: tuple[BudgetRow, ...] = ()
    open_questions: tuple[OpenQuestion, ...] = ()

    def __post_init__(self) -> None:
        if not _PERIOD.fullmatch(self.period):
            raise ValueError(f"period must be YYYY-MM, got {self.period!r}")
        for name in (
            "opening_balance_fen",
            "fees_billed_fen",
            "fees_collected_fen",
            "collection_rate_bps",
            "remuneration_fen",
            "donation_fen",
            "closing_balance_fen",
            "surplus_year_to_date_fen",
        ):
            _require_int(name, getattr(self, name))
        known = {key for key, _, _ in COMMON_INCOME_KINDS}
        unknown = set(self.common_income_by_kind) - known
        if unknown:
            raise ValueError(f"unknown kinds of common income: {sorted(unknown)}")
        for kind, fen in self.common_income_by_kind.items():
            _require_int(f"common income {kind}", fen)
        for code, (_, fen) in self.expenses_by_budget_line.items():
            _require_int(f"expense {code}", fen)


def cjk_font() -> str:
    """The registered name of the font the statement is set in (embedded TrueType, else the CID fallback)."""
    return _register_font()


@functools.cache
def _register_font() -> str:
    for path in EMBEDDED_FONT_FILES:
        if not path.is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(_EMBEDDED_FONT_NAME, str(path), subfontIndex=0))
        except (TTFError, OSError):
            continue
        return _EMBEDDED_FONT_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FALLBACK_FONT))
    return _CID_FALLBACK_FONT


def render_statement_pdf(view: StatementView) -> bytes:
    """The statement as the bytes of an A4 PDF."""
    font = cjk_font()
    styles = _Styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=24 * mm,
        title=f"{view.estate_name} 信托制物业 月度收支公示 {view.period}",
        author="Xinyi",
        subject=f"Monthly trust statement of estate {view.estate_code} for {view.period}"
        + ("" if view.closed else " (provisional)"),
        creator="Xinyi ledger",
        keywords=["信托制物业", "trust-based property service", view.estate_code, view.period],
        lang="zh-CN",
        displayDocTitle=True,
        initialFontName=font,
    )

    story: list[object] = [
        Paragraph(escape(f"{view.estate_name} 信托制物业 月度收支公示"), styles.title),
        Paragraph("Monthly trust statement", styles.subtitle),
        _header_table(view, styles, document.width),
        Spacer(1, 4 * mm),
    ]
    if not view.closed:
        story += [_provisional_banner(styles, document.width), Spacer(1, 4 * mm)]
    story.append(_amounts_table(view, styles, document.width))
    story += [Spacer(1, 6 * mm), _budget_heading(view, styles)]
    if view.budget_rows:
        story.append(_budget_table(view, styles, document.width))
    if view.open_questions:
        story += [
            Spacer(1, 6 * mm),
            _bilingual("待答复的质疑", "Questions awaiting the firm's answer", styles.section, beside=True),
            _questions_table(view, styles, document.width),
        ]

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        _draw_page_furniture(canvas, doc, view, font)

    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


class _Styles:
    def __init__(self, font: str) -> None:
        self.title = ParagraphStyle(
            "title", fontName=font, fontSize=17, leading=22, alignment=TA_CENTER, textColor=_INK, wordWrap="CJK"
        )
        self.subtitle = ParagraphStyle(
            "subtitle", fontName=font, fontSize=11, leading=14, alignment=TA_CENTER, textColor=_MUTED, spaceAfter=6
        )
        self.label = ParagraphStyle("label", fontName=font, fontSize=10.5, leading=13, textColor=_INK, wordWrap="CJK")
        self.sublabel = ParagraphStyle("sublabel", parent=self.label, leftIndent=6 * mm)
        self.amount = ParagraphStyle("amount", parent=self.label, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.label, fontSize=9.5, leading=12, textColor=_MUTED)
        self.head_right = ParagraphStyle("head_right", parent=self.head, alignment=TA_RIGHT)
        self.section = ParagraphStyle("section", parent=self.label, fontSize=12, leading=16, spaceAfter=3)
        self.cell = ParagraphStyle("cell", parent=self.label, fontSize=9, leading=11)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.banner = ParagraphStyle(
            "banner", fontName=font, fontSize=11, leading=15, alignment=TA_CENTER, textColor=_WARN, wordWrap="CJK"
        )


def _bilingual(chinese: str, english: str, style: ParagraphStyle, *, beside: bool = False) -> Paragraph:
    """Chinese first, English in small grey type under it (or beside it, to keep long tables on one page)."""
    gap = "&nbsp;&nbsp;" if beside else "<br/>"
    return Paragraph(
        f'{escape(chinese)}{gap}<font size="8" color="{_MUTED.hexval()}">{escape(english)}</font>',
        style,
    )


def _header_table(view: StatementView, styles: _Styles, width: float) -> Table:
    status = ("已结账", "Closed period") if view.closed else ("未结账", "Provisional, period not closed")
    cells = [
        [
            _bilingual("期间", "Period", styles.head),
            _bilingual("小区编码", "Estate code", styles.head),
            _bilingual("状态", "Status", styles.head),
        ],
        [
            Paragraph(escape(view.period), styles.label),
            Paragraph(escape(view.estate_code), styles.label),
            _bilingual(*status, styles.label),
        ],
    ]
    table = Table(cells, colWidths=[width * 0.25, width * 0.4, width * 0.35])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, _RULE),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
            ]
        )
    )
    return table


def _provisional_banner(styles: _Styles, width: float) -> Table:
    text = "未结账 · 数字为临时数，结账后可能变动<br/>PROVISIONAL · the period is not closed; figures may still change"
    table = Table([[Paragraph(text, styles.banner)]], colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, _WARN),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff4f2")),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _amounts_table(view: StatementView, styles: _Styles, width: float) -> Table:
    rows: list[list[object]] = [
        [_bilingual("项目", "Item", styles.head), _bilingual("金额（元）", "Amount (CNY)", styles.head_right)]
    ]
    section_rows: list[int] = []
    emphasised_rows: list[int] = []

    def line(chinese: str, english: str, text: str, *, sub: bool = False) -> int:
        rows.append(
            [
                _bilingual(chinese, english, styles.sublabel if sub else styles.label, beside=True),
                Paragraph(text, styles.amount),
            ]
        )
        return len(rows) - 1

    line("期初余额", "Opening balance", format_cny(view.opening_balance_fen))
    line("物业费应收", "Property fees billed", format_cny(view.fees_billed_fen))
    line("物业费实收", "Property fees collected", format_cny(view.fees_collected_fen))
    line("收缴率", "Collection rate", format_rate(view.collection_rate_bps))

    income = view.common_income_by_kind
    section_rows.append(line("公共收益", "Common income", format_cny(sum(income.values()))))
    for key, chinese, english in COMMON_INCOME_KINDS:
        line(chinese, english, format_cny(income.get(key, 0)), sub=True)

    expenses = view.expenses_by_budget_line
    section_rows.append(line("支出", "Expenses", format_cny(sum(fen for _, fen in expenses.values()))))
    for code in sorted(expenses):
        name, fen = expenses[code]
        line(name, f"Budget line {code}", format_cny(fen), sub=True)
    if not expenses:
        line("本月无支出", "No expenses this period", "", sub=True)

    line("物业酬金", "Firm remuneration", format_cny(view.remuneration_fen))
    line("捐赠社区微基金", "Donation to the community micro-fund", format_cny(view.donation_fen))
    emphasised_rows.append(line("期末余额", "Closing balance", format_cny(view.closing_balance_fen)))
    emphasised_rows.append(
        line("本年累计结余", "Surplus of the year so far", format_cny(view.surplus_year_to_date_fen))
    )

    table = Table(rows, colWidths=[width * 0.68, width * 0.32], repeatRows=1)
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
        ("LINEABOVE", (0, emphasised_rows[0]), (-1, emphasised_rows[0]), 0.8, _INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, _INK),
    ]
    commands += [("BACKGROUND", (0, row), (-1, row), _SHADE) for row in section_rows + emphasised_rows]
    table.setStyle(TableStyle(commands))
    return table


def _budget_heading(view: StatementView, styles: _Styles) -> Paragraph:
    year = view.period[:4]
    if view.budget_plan is None:
        return _bilingual(
            f"预算执行：{year} 年尚无经业主表决通过的预算",
            f"Budget vs actual: no budget adopted by the owners for {year}",
            styles.section,
        )
    return _bilingual(
        f"预算执行（{year} 年，业主表决通过的方案：{view.budget_plan}）",
        f"Budget vs actual ({year}, plan adopted by ballot: {view.budget_plan})",
        styles.section,
    )


def _budget_table(view: StatementView, styles: _Styles, width: float) -> Table:
    heads = [
        ("预算科目", "Budget line"),
        ("年度预算", "Adopted"),
        ("本月支出", "This month"),
        ("本年累计", "Year to date"),
        ("其中未付", "Of which unpaid"),
        ("剩余", "Remaining"),
    ]
    rows: list[list[object]] = [
        [_bilingual(zh, en, styles.head if i == 0 else styles.head_right) for i, (zh, en) in enumerate(heads)]
    ]
    for row in view.budget_rows:
        rows.append(
            [
                Paragraph(escape(f"{row.account} {row.name}"), styles.cell),
                *(
                    Paragraph(format_cny(fen), styles.cell_right)
                    for fen in (
                        row.adopted_fen,
                        row.booked_in_period_fen,
                        row.booked_year_to_date_fen,
                        row.committed_fen,
                        row.remaining_fen,
                    )
                ),
            ]
        )
    table = Table(rows, colWidths=[width * 0.28] + [width * 0.144] * 5, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
            ]
        )
    )
    return table


def _questions_table(view: StatementView, styles: _Styles, width: float) -> Table:
    rows: list[list[object]] = [
        [
            _bilingual("支出编号", "Expense", styles.head),
            _bilingual("质疑", "Question", styles.head),
            _bilingual("提出日期", "Asked on", styles.head),
        ]
    ]
    for question in view.open_questions:
        rows.append(
            [
                Paragraph(f"#{question.expense_number}", styles.cell),
                Paragraph(escape(question.question), styles.cell),
                Paragraph(escape(question.asked_on), styles.cell),
            ]
        )
    table = Table(rows, colWidths=[width * 0.14, width * 0.66, width * 0.2], repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK)]))
    return table


def _format_generated_at(moment: datetime) -> str:
    text = f"{moment:%Y-%m-%d %H:%M}"
    offset = moment.strftime("%z")
    if offset:
        text += f" UTC{offset[:3]}:{offset[3:]}"
    return text


def _draw_page_furniture(canvas: Canvas, doc: SimpleDocTemplate, view: StatementView, font: str) -> None:
    page_width, page_height = doc.pagesize
    if not view.closed:  # a stamp on every page, so a loose page still says it is provisional
        canvas.saveState()
        stamp = "未结账 PROVISIONAL"
        canvas.setFont(font, 9)
        stamp_width = canvas.stringWidth(stamp, font, 9) + 4 * mm
        right = page_width - doc.rightMargin
        top = page_height - 7 * mm
        canvas.setStrokeColor(_WARN)
        canvas.setFillColor(_WARN)
        canvas.setLineWidth(0.8)
        canvas.rect(right - stamp_width, top - 6 * mm, stamp_width, 6 * mm)
        canvas.drawCentredString(right - stamp_width / 2, top - 4.2 * mm, stamp)
        canvas.restoreState()

    canvas.saveState()
    footer_top = doc.bottomMargin - 6 * mm
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(0.5)
    canvas.line(doc.leftMargin, footer_top, page_width - doc.rightMargin, footer_top)
    canvas.setFillColor(_MUTED)
    canvas.setFont(font, 8)
    canvas.drawString(
        doc.leftMargin, footer_top - 4 * mm, f"生成时间 Generated at {_format_generated_at(view.generated_at)}"
    )
    canvas.drawRightString(page_width - doc.rightMargin, footer_top - 4 * mm, f"第 {doc.page} 页 / Page {doc.page}")
    canvas.setFillColor(_INK)
    canvas.setFont(font, 9)
    canvas.drawCentredString(page_width / 2, footer_top - 9 * mm, _FOOTER_SENTENCE)
    canvas.restoreState()
