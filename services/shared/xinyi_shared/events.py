"""CloudEvents (binary content mode of the Kafka protocol binding) carrying protobuf payloads.

The event's ``type`` is the protobuf message's full name, its ``subject`` the estate code, and the
Kafka record key the estate code too, so one estate's events keep their order within a partition.

Each event carries the W3C trace context of its creation as the attributes ``traceparent`` and
``tracestate`` (the CloudEvents distributed tracing extension), so its consumers continue the trace of
the request that caused it (:mod:`xinyi_shared.tracing`); only an event made without a trace context
carries the request id itself (``requestid``).
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message

from xinyi_shared import tracing

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
HEADER_PREFIX = "ce_"
# CloudEvents extension attribute carrying the request id across Kafka hops, for events made without
# a trace context (whose trace id is the request id).
REQUEST_ID_ATTRIBUTE = "requestid"
TRACEPARENT_ATTRIBUTE = "traceparent"

M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    subject: str
    time: str
    data: bytes
    extensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_message(cls, source: str, estate_code: str, message: Message) -> CloudEvent:
        extensions = tracing.outgoing_context(REQUEST_ID_ATTRIBUTE)
        return cls(
            id=str(uuid.uuid4()),
            source=source,
            type=message.DESCRIPTOR.full_name,
            subject=estate_code,
            time=datetime.now(UTC).isoformat(),
            data=message.SerializeToString(),
            extensions=extensions,
        )

    @property
    def request_id(self) -> str:
        """The request id of the request that caused the event: its trace id, else ``requestid``."""
        return tracing.trace_id_of_traceparent(self.extensions.get(TRACEPARENT_ATTRIBUTE, "")) or self.extensions.get(
            REQUEST_ID_ATTRIBUTE, ""
        )

    def attributes(self) -> dict[str, str]:
        return {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            **self.extensions,
        }

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [(HEADER_PREFIX + name, value.encode()) for name, value in self.attributes().items()]
        headers.append(("content-type", CONTENT_TYPE.encode()))
        return headers

    @classmethod
    def from_attributes(cls, attributes: dict[str, str], data: bytes) -> CloudEvent:
        known = {"specversion", "id", "source", "type", "subject", "time"}
        missing = {"id", "source", "type", "subject"} - attributes.keys()
        if missing:
            raise ValueError(f"not a CloudEvent: missing {sorted(missing)}")
        return cls(
            id=attributes["id"],
            source=attributes["source"],
            type=attributes["type"],
            subject=attributes["subject"],
            time=attributes.get("time", ""),
            data=data,
            extensions={k: v for k, v in attributes.items() if k not in known},
        )

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]], value: bytes) -> CloudEvent:
        attributes = {
            name[len(HEADER_PREFIX) :]: raw.decode()
            for name, raw in headers
            if name.startswith(HEADER_PREFIX) and raw is not None
        }
        return cls.from_attributes(attributes, value)

    def parse(self, message_type: builtins.type[M]) -> M:
        expected: str = message_type.DESCRIPTOR.full_name
        if expected != self.type:
            raise ValueError(f"event {self.id} is a {self.type}, not a {expected}")
        message = message_type()
        message.ParseFromString(self.data)
        return message
