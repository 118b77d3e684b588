import pytest

from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.events import CloudEvent
from xinyi_shared.logs import request_id_var


def onboarded(code: str) -> tenant_events.EstateOnboarded:
    return tenant_events.EstateOnboarded(estate=tenant_pb2.Estate(code=code, name="金河绿洲"))


def test_an_event_survives_the_trip_through_kafka_headers() -> None:
    token = request_id_var.set("req-42")
    try:
        event = CloudEvent.from_message("xinyi/tenant", "jinhe-lvzhou", onboarded("jinhe-lvzhou"))
    finally:
        request_id_var.reset(token)

    received = CloudEvent.from_kafka(event.kafka_headers(), event.data)

    assert received == event
    assert received.type == "xinyi.tenant.v1.EstateOnboarded"
    assert received.subject == "jinhe-lvzhou"
    assert received.request_id == "req-42"
    assert received.parse(tenant_events.EstateOnboarded).estate.name == "金河绿洲"
    assert ("content-type", b"application/protobuf") in event.kafka_headers()


def test_each_event_gets_its_own_id() -> None:
    first = CloudEvent.from_message("xinyi/tenant", "a-estate", onboarded("a-estate"))
    second = CloudEvent.from_message("xinyi/tenant", "a-estate", onboarded("a-estate"))
    assert first.id != second.id


def test_a_record_without_cloudevent_headers_is_rejected() -> None:
    with pytest.raises(ValueError, match="missing"):
        CloudEvent.from_kafka([("ce_type", b"x")], b"")


def test_parsing_as_the_wrong_type_is_refused() -> None:
    event = CloudEvent.from_message("xinyi/tenant", "a-estate", onboarded("a-estate"))
    with pytest.raises(ValueError, match="not a"):
        event.parse(ledger_events.TrustBooksOpened)
