from decimal import Decimal

import pytest

from tenant_service.domain.estate import Estate, EstateProfile, EstateStatus, parse_fee_rate
from xinyi_shared.errors import Conflict, InvalidInput


def profile(**overrides: object) -> EstateProfile:
    values: dict[str, object] = {
        "code": "jinhe-lvzhou",
        "name": "金河绿洲",
        "district_code": "shuangliu",
        "community_code": "jinhe",
    }
    values.update(overrides)
    return EstateProfile(**values)  # type: ignore[arg-type]


def test_defaults_follow_the_model() -> None:
    p = profile()
    assert p.fee_rate_fen_per_sqm_month == Decimal("35")
    assert p.remuneration_share_bps == 1500
    assert p.donation_share_bps == 3000
    assert p.time_zone == "Asia/Shanghai"


@pytest.mark.parametrize("code", ["", "ab", "Jinhe", "-jinhe", "jinhe-", "jin he", "金河", "a" * 64])
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput, match="estate code"):
        profile(code=code)


@pytest.mark.parametrize("rate", ["0", "-1", "abc", "35.00001", "NaN", "Infinity"])
def test_bad_fee_rates_are_refused(rate: str) -> None:
    with pytest.raises(InvalidInput, match="fee rate"):
        parse_fee_rate(rate)


def test_fee_rates_keep_fractions_of_a_fen() -> None:
    assert parse_fee_rate("35.5") == Decimal("35.5")
    assert parse_fee_rate("35.1234") == Decimal("35.1234")


@pytest.mark.parametrize("field", ["remuneration_share_bps", "donation_share_bps"])
@pytest.mark.parametrize("bps", [-1, 10001])
def test_shares_are_bounded(field: str, bps: int) -> None:
    with pytest.raises(InvalidInput, match="basis points"):
        profile(**{field: bps})


def test_a_retry_must_state_the_same_estate() -> None:
    estate = Estate(profile(), EstateStatus.ACTIVE, "org-1")
    estate.check_same_request(profile())
    with pytest.raises(Conflict, match="different details"):
        estate.check_same_request(profile(name="别的小区"))


def test_activation_records_the_directory_id() -> None:
    estate = Estate(profile(), EstateStatus.PROVISIONING).activated("org-1")
    assert estate.status is EstateStatus.ACTIVE
    assert estate.directory_id == "org-1"


@pytest.mark.parametrize(("raw", "shown"), [("40.0000", "40"), ("35.5000", "35.5"), ("100", "100"), ("0.3500", "0.35")])
def test_fee_rates_read_back_as_people_write_them(raw: str, shown: str) -> None:
    assert str(parse_fee_rate(raw)) == shown
