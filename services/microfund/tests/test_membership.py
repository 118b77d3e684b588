import pytest

from microfund_service.domain.membership import FundMembership
from xinyi_shared.errors import InvalidInput


def test_an_estate_joins_its_community_fund() -> None:
    assert FundMembership("jinhe-lvzhou", "jinhe").community_code == "jinhe"


def test_a_community_is_required() -> None:
    with pytest.raises(InvalidInput):
        FundMembership("jinhe-lvzhou", "")
