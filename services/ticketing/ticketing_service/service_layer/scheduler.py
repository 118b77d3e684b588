"""The service's own clockwork: the breach scheduler and the notification sender.

Both run in every replica and share the work through the database, never through memory:

- :class:`TimerScheduler` takes the tickets whose ``next_timer_at`` has come, by index, locked with
  ``FOR UPDATE SKIP LOCKED`` (a ticket another replica holds is skipped: it is working on it), runs
  :func:`~ticketing_service.domain.sla.run_due` on each, and saves the outcome, its events and
  notifications and the ticket's next timer in the same transaction. A ticket's step is also guarded
  by its version and the history's primary key, so a timer fires once however many replicas run.
- :class:`Notifier` delivers the notifications outbox the same way, with a growing pause between
  attempts; a message that still fails after the last attempt is kept, marked, never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from prometheus_client import Counter, Histogram

from ticketing_service.adapters.codec import ticket_from_json
from ticketing_service.adapters.tickets import Notification, TicketRepository
from ticketing_service.domain import sla
from ticketing_service.domain.tickets import Action, Outcome
from ticketing_service.service_layer.announce import announce
from ticketing_service.service_layer.unit_of_work import EVENT_SOURCE
from xinyi_shared.clock import Clock
from xinyi_shared.db import Database
from xinyi_shared.kafka_topics import TICKETING_EVENTS
from xinyi_shared.outbox import publish

log = logging.getLogger(__name__)

TIMERS_FIRED = Counter("xinyi_ticketing_timers_fired_total", "Tickets whose due timers this replica ran")
BREACHES = Counter("xinyi_ticketing_breaches_total", "Breaches and escalations recorded", ["kind", "level"])
DETECTION_LAG = Histogram(
    "xinyi_ticketing_breach_detection_seconds",
    "From a breach's deadline to its recording",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300),
)
TIMER_FAILURES = Counter("xinyi_ticketing_timer_failures_total", "Due timers that failed and were put back")
RETRY_FAILED_TIMER = timedelta(minutes=5)
NOTIFICATIONS = Counter("xinyi_ticketing_notifications_total", "Notifications handled", ["outcome"])


def run_due_timers(database: Database, clock: Clock, batch: int) -> int:
    """One pass: the due tickets (at most ``batch``) in one transaction; returns how many ran."""
    with database.system_session() as session:
        repository = TicketRepository(session)
        now = clock.now()
        due = repository.lock_due(now, batch)
        for ticket_id, state in due:
            try:
                with session.begin_nested():  # a savepoint: one ticket's failure undoes only its own step
                    ticket = ticket_from_json(state)
                    outcome = sla.run_due(ticket, now)
                    # Nothing due after all (its timer moved meanwhile): only the timer is refreshed.
                    if outcome.transitions:
                        repository.save(outcome, ticket.version, sla.next_timer(outcome.ticket))
                        _announce(repository, session, outcome)
                    else:
                        repository.refresh_timer(ticket.id, sla.next_timer(ticket))
            except Exception:  # a ticket that cannot be stepped must not hold up the others
                log.exception("ticket %s: its due timer failed; retried in %s", ticket_id, RETRY_FAILED_TIMER)
                TIMER_FAILURES.inc()
                repository.refresh_timer(ticket_id, now + RETRY_FAILED_TIMER)
    TIMERS_FIRED.inc(len(due))
    return len(due)


def _announce(repository: TicketRepository, session: object, outcome: Outcome) -> None:
    announcement = announce(outcome)
    for message in announcement.events:
        publish(session, TICKETING_EVENTS, EVENT_SOURCE, outcome.ticket.estate_code, message)  # type: ignore[arg-type]
    repository.notify(announcement.notifications)
    for transition in outcome.transitions:
        breach = transition.breach
        if transition.action is Action.BREACH and breach is not None:
            BREACHES.labels(breach.kind.value, breach.level.value).inc()
            DETECTION_LAG.observe(max(0.0, (breach.detected_at - breach.deadline).total_seconds()))


class _Loop:
    """A daemon thread that calls ``work`` until it returns less than a full batch, then waits."""

    def __init__(self, name: str, poll_seconds: float, work: Callable[[], bool]) -> None:
        self._poll = poll_seconds
        self._work = work
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self._work()
            except Exception:  # a database or network hiccup: log it and try again at the next poll
                log.exception("%s failed; retrying", self._thread.name)
                more = False
            if not more:
                self._stop.wait(self._poll)


class TimerScheduler(_Loop):
    def __init__(self, database: Database, clock: Clock, *, batch: int, poll_seconds: float) -> None:
        super().__init__("ticket-timers", poll_seconds, lambda: run_due_timers(database, clock, batch) >= batch)


# Notifications -------------------------------------------------------------------------------------


class Sender(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver, or raise."""
        ...


class LogSender:
    """Writes each message to the service's log (the default: a deployment without a webhook)."""

    def send(self, notification: Notification) -> None:
        log.info(
            "notification to %s %s: %s",
            notification.recipient_kind,
            notification.recipient,
            notification.message.get("text", ""),
        )


class WebhookSender:
    """POSTs each message as JSON to a URL (a bridge to the estate's WeChat group, say); any answer
    but 2xx is a failure, retried later."""

    def __init__(self, url: str, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.url = url
        self._client = client or httpx.Client(timeout=timeout)

    def send(self, notification: Notification) -> None:
        response = self._client.post(
            self.url,
            json={
                "id": notification.id,
                "estate_code": notification.estate_code,
                "ticket_id": notification.ticket_id,
                "recipient_kind": notification.recipient_kind,
                "recipient": notification.recipient,
                "kind": notification.kind,
                "message": notification.message,
            },
            headers={"Idempotency-Key": f"xinyi-notification-{notification.id}"},
        )
        response.raise_for_status()


def retry_pause(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … at most an hour: a webhook that is down is not hammered."""
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts)))


class NotificationBox(Protocol):
    """The notifications outbox as the sender sees it (``TicketRepository`` on the system role)."""

    def lock_pending_notifications(self, now: datetime, limit: int) -> list[Notification]: ...

    def delivered(self, ids: Sequence[int], at: datetime) -> None: ...

    def failed(self, notification_id: int, retry_at: datetime | None, error: str) -> None: ...


def deliver_batch(box: NotificationBox, sender: Sender, now: datetime, batch: int, max_attempts: int) -> int:
    """Send the pending notifications (at most ``batch``); a failure is kept with its error and
    retried after :func:`retry_pause`, and after ``max_attempts`` it stays, marked, for an operator."""
    pending = box.lock_pending_notifications(now, batch)
    delivered = []
    for notification in pending:
        try:
            sender.send(notification)
        except (httpx.HTTPError, OSError) as error:  # the receiver's failure is recorded and retried
            attempts = notification.attempts + 1
            retry = now + retry_pause(notification.attempts) if attempts < max_attempts else None
            box.failed(notification.id, retry, f"{type(error).__name__}: {error}")
            NOTIFICATIONS.labels("failed" if retry else "given_up").inc()
        else:
            delivered.append(notification.id)
    box.delivered(delivered, now)
    NOTIFICATIONS.labels("delivered").inc(len(delivered))
    return len(pending)


def deliver_notifications(database: Database, sender: Sender, clock: Clock, batch: int, max_attempts: int) -> int:
    with database.system_session() as session:
        return deliver_batch(TicketRepository(session), sender, clock.now(), batch, max_attempts)


class Notifier(_Loop):
    def __init__(
        self, database: Database, sender: Sender, clock: Clock, *, poll_seconds: float, max_attempts: int
    ) -> None:
        batch = 100
        super().__init__(
            "ticket-notifications",
            poll_seconds,
            lambda: deliver_notifications(database, sender, clock, batch, max_attempts) >= batch,
        )
