"""The notification sender: the webhook's request, and what happens when the receiver fails."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx

from ticketing_service.adapters.tickets import Notification
from ticketing_service.service_layer.scheduler import LogSender, WebhookSender, deliver_batch, retry_pause

NOW = datetime(2031, 3, 14, 2, 0, tzinfo=UTC)


def note(number: int, attempts: int = 0) -> Notification:
    return Notification(
        number,
        "jinhe-lvzhou",
        f"ticket-{number}",
        "person",
        "resident-1",
        "acknowledge",
        {"text": "报修工单 已受理", "status": "acknowledged"},
        attempts,
    )


class Box:
    def __init__(self, pending: list[Notification]) -> None:
        self.pending = pending
        self.sent: list[int] = []
        self.failures: list[tuple[int, datetime | None, str]] = []

    def lock_pending_notifications(self, now: datetime, limit: int) -> list[Notification]:
        return self.pending[:limit]

    def delivered(self, ids: Sequence[int], at: datetime) -> None:
        self.sent.extend(ids)

    def failed(self, notification_id: int, retry_at: datetime | None, error: str) -> None:
        self.failures.append((notification_id, retry_at, error))


def test_the_webhook_receives_each_message_as_json_with_an_idempotency_key() -> None:
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    sender = WebhookSender("http://bridge.example/wechat", client=httpx.Client(transport=httpx.MockTransport(handler)))
    box = Box([note(1), note(2)])
    assert deliver_batch(box, sender, NOW, 100, 12) == 2
    assert box.sent == [1, 2] and box.failures == []
    body = json.loads(received[0].content)
    assert body["ticket_id"] == "ticket-1" and body["recipient"] == "resident-1"
    assert body["message"]["text"] == "报修工单 已受理"
    assert received[0].headers["Idempotency-Key"] == "xinyi-notification-1"


def test_a_failing_receiver_is_retried_later_and_given_up_on_only_after_the_last_attempt() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    sender = WebhookSender("http://bridge.example/wechat", client=httpx.Client(transport=httpx.MockTransport(handler)))
    box = Box([note(1, attempts=0), note(2, attempts=11)])
    deliver_batch(box, sender, NOW, 100, 12)
    assert box.sent == []
    (first, retry, error), (last, given_up, _) = box.failures
    assert (first, retry) == (1, NOW + timedelta(seconds=5)) and "503" in error
    assert (last, given_up) == (2, None)


def test_the_pause_grows_to_an_hour() -> None:
    assert [retry_pause(n).total_seconds() for n in range(4)] == [5, 10, 20, 40]
    assert retry_pause(30) == timedelta(hours=1)


def test_without_a_webhook_messages_go_to_the_log(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("INFO")
    box = Box([note(3)])
    deliver_batch(box, LogSender(), NOW, 100, 12)
    assert box.sent == [3] and "报修工单 已受理" in caplog.text
