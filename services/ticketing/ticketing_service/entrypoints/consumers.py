"""Events ticketing reacts to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticketing_service.service_layer.targets import adopt_default_targets
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi_shared.consumer import Subscription
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import TENANT_EVENTS


def on_estate_onboarded(session: Session, event: CloudEvent) -> None:
    estate = event.parse(tenant_events.EstateOnboarded).estate
    adopt_default_targets(session, estate.code, estate.time_zone)


TENANT_SUBSCRIPTION = Subscription(
    name="ticketing.tenant-events",
    topics=[TENANT_EVENTS],
    handlers={tenant_events.EstateOnboarded.DESCRIPTOR.full_name: on_estate_onboarded},
)
