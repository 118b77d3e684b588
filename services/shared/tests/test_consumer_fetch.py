"""How a subscription's consumer asks the broker for events."""

from xinyi_shared.consumer import GATHER_BYTES, _fetch_settings


def test_a_subscription_awaited_by_someone_gets_each_event_at_once() -> None:
    assert _fetch_settings(0) == {"fetch_min_bytes": 1}


def test_a_gathering_subscription_lets_the_broker_hold_the_fetch_for_its_wait() -> None:
    assert _fetch_settings(200) == {"fetch_min_bytes": GATHER_BYTES, "fetch_max_wait_ms": 200}
