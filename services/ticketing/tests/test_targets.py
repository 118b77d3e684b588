import pytest

from ticketing_service.domain.targets import ServiceTargets
from xinyi_shared.errors import InvalidInput


def test_defaults_promise_a_fix_within_the_hour() -> None:
    targets = ServiceTargets("jinhe-lvzhou", "Asia/Shanghai")
    assert targets.resolution_minutes == 60
    assert targets.first_response_minutes <= targets.resolution_minutes


@pytest.mark.parametrize(("first", "resolution"), [(0, 60), (30, -1), (90, 60)])
def test_impossible_targets_are_refused(first: int, resolution: int) -> None:
    with pytest.raises(InvalidInput):
        ServiceTargets("jinhe-lvzhou", "Asia/Shanghai", first, resolution)
