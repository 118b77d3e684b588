from decimal import Decimal

import pytest

from ledger_service.adapters.tenant_client import EstateInfo, estate_terms
from ledger_service.domain.books import STANDARD_CHART, AccountType, EstateTerms, open_books
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.errors import InvalidInput


def terms(**overrides: object) -> EstateTerms:
    values: dict[str, object] = {
        "estate_code": "jinhe-lvzhou",
        "fee_rate_fen_per_sqm_month": Decimal("35"),
        "remuneration_share_bps": 1500,
        "donation_share_bps": 3000,
    }
    values.update(overrides)
    return EstateTerms(**values)  # type: ignore[arg-type]


def test_the_chart_has_unique_codes_numbered_by_type() -> None:
    codes = [account.code for account in STANDARD_CHART]
    assert len(codes) == len(set(codes))
    first_digit = {
        AccountType.ASSET: "1",
        AccountType.LIABILITY: "2",
        AccountType.EQUITY: "3",
        AccountType.INCOME: "4",
        AccountType.EXPENSE: "5",
    }
    for account in STANDARD_CHART:
        assert account.code.startswith(first_digit[account.type]), account


def test_the_chart_holds_what_the_trust_model_needs() -> None:
    names = {account.name for account in STANDARD_CHART}
    for needed in (
        "Trust fund cash",
        "Property fees receivable",
        "Prepaid property fees",
        "Property fee income",
        "Firm remuneration payable",
        "Donation payable to the community micro-fund",
        "Surplus carried forward",
    ):
        assert needed in names
    assert {"Common income: parking", "Common income: advertising", "Common income: venue rent"} <= names


def test_books_open_with_the_estate_terms() -> None:
    books = open_books(terms())
    assert books.terms.remuneration_share_bps == 1500
    assert books.accounts == STANDARD_CHART


@pytest.mark.parametrize(
    "overrides",
    [{"fee_rate_fen_per_sqm_month": Decimal("0")}, {"remuneration_share_bps": 10001}, {"donation_share_bps": -1}],
)
def test_impossible_terms_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        terms(**overrides)


def test_an_estate_message_states_the_terms_and_profile_the_books_open_with() -> None:
    # The onboarding event's estate and GetEstate's answer are read alike: the books open from the
    # event without asking the tenant service, with the same terms it would have answered.
    message = tenant_pb2.Estate(
        code="jinhe-lvzhou",
        name="金河绿洲",
        district_code="wuhou",
        community_code="jinhe",
        fee_rate_fen_per_sqm_month="35.5",
        remuneration_share_bps=1500,
        donation_share_bps=3000,
    )
    stated, info = estate_terms(message)
    assert stated == terms(fee_rate_fen_per_sqm_month=Decimal("35.5"))
    assert info == EstateInfo("jinhe-lvzhou", "金河绿洲", "jinhe", "Asia/Shanghai", "wuhou")
