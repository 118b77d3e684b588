"""Topic names and their creation (the broker does not auto-create topics)."""

from __future__ import annotations

import contextlib

from kafka.admin import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError

from xinyi_shared.settings import ServiceSettings

TENANT_EVENTS = "xinyi.tenant.events.v1"
LEDGER_EVENTS = "xinyi.ledger.events.v1"
TICKETING_EVENTS = "xinyi.ticketing.events.v1"
MICROFUND_EVENTS = "xinyi.microfund.events.v1"


def ensure_topics(settings: ServiceSettings, topics: list[str]) -> None:
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"{settings.service_name}-admin",
        request_timeout_ms=10000,
    )
    try:
        existing = set(admin.list_topics())
        missing = [name for name in topics if name not in existing]
        if not missing:
            return
        for name in missing:
            spec = {
                "num_partitions": settings.kafka_topic_partitions,
                "replication_factor": settings.kafka_topic_replication,
            }
            with contextlib.suppress(TopicAlreadyExistsError):  # another service created it meanwhile
                admin.create_topics({name: spec}, wait_for_metadata=True)
    finally:
        admin.close()


class KafkaProbe:
    """Readiness check: a metadata request to the cluster (not just an open port)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._admin: KafkaAdminClient | None = None

    def __call__(self) -> None:
        try:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    bootstrap_servers=self._settings.kafka_bootstrap,
                    client_id=f"{self._settings.service_name}-probe",
                    request_timeout_ms=3000,
                )
            self._admin.describe_cluster()
        except Exception:
            if self._admin is not None:
                self._admin.close()
                self._admin = None
            raise
