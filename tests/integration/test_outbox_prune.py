"""The relay deletes relayed events once they are older than ``outbox_keep_hours``, against real
PostgreSQL: never a pending one, never the seq the relay counts from (just below the first pending
event), and at most a batch of the lowest seqs per prune.

Each test runs in one transaction of the ticketing database's owner, rolled back at its end, on a
temporary ``outbox`` built like the real one: temporary tables come first in PostgreSQL's search
path, so the relay's SQL meets exactly the rows the test wrote, and nothing the services relay.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import xinyi_shared.outbox as outbox_module
from tests.harness import service_settings
from xinyi_shared.db import Database
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.settings import ServiceSettings

OLD = "30 days"
RECENT = "10 minutes"


def settings() -> ServiceSettings:
    return service_settings("ticketing", outbox_keep_hours=1, outbox_prune_seconds=60)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine(settings().database_url("owner"))
    try:
        with Session(engine) as session:
            session.execute(text("CREATE TEMP TABLE outbox (LIKE public.outbox INCLUDING ALL) ON COMMIT DROP"))
            yield session
            session.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def relay() -> Iterator[OutboxRelay]:
    database = Database(settings())
    yield OutboxRelay(settings(), database, topics=[])
    database.dispose()


def add(session: Session, seq: int, published_ago: str | None) -> None:
    session.execute(
        text(
            "INSERT INTO outbox (id, seq, estate_code, topic, event_type, attributes, payload, created_at, published_at) "
            "OVERRIDING SYSTEM VALUE VALUES (gen_random_uuid(), :seq, 'prune', 'xinyi.test.prune.v1', 'test', "
            "'{}'::jsonb, '\\x00', now() - interval '31 days', now() - CAST(:ago AS interval))"
        ),
        {"seq": seq, "ago": published_ago},
    )


def seqs(session: Session) -> list[int]:
    return list(session.execute(text("SELECT seq FROM outbox ORDER BY seq")).scalars())


def test_old_relayed_events_go_and_the_pending_the_recent_and_the_relays_edge_stay(
    session: Session, relay: OutboxRelay
) -> None:
    add(session, 1, OLD)
    add(session, 2, RECENT)  # relayed within the keep
    add(session, 3, OLD)
    add(session, 5, OLD)  # just below the first pending event: the relay counts from it (4 never committed)
    add(session, 6, None)  # pending
    add(session, 7, OLD)  # relayed past a gap, above the pending one

    assert relay.prune(session) == 2
    assert seqs(session) == [2, 5, 6, 7]
    assert relay.prune(session) == 0


def test_without_pending_events_the_newest_relayed_event_stays(session: Session, relay: OutboxRelay) -> None:
    for seq in (1, 2, 3):
        add(session, seq, OLD)

    assert relay.prune(session) == 2
    assert seqs(session) == [3]


def test_a_prune_looks_at_a_batch_of_the_lowest_seqs_and_the_next_comes_at_once_when_it_filled_it(
    session: Session, relay: OutboxRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "PRUNE_BATCH", 2)
    for seq in range(1, 7):
        add(session, seq, OLD)

    assert relay.prune(session) == 2
    assert seqs(session) == [3, 4, 5, 6]
    assert relay._prune_due <= outbox_module.time.monotonic()  # a full batch: more may wait
    assert relay.prune(session) == 2
    assert relay.prune(session) == 1  # 6 stays: the newest relayed event
    assert seqs(session) == [6]
    assert relay._prune_due > outbox_module.time.monotonic() + 30  # caught up: next in a minute


def test_a_prune_that_fails_is_put_off_and_leaves_the_relays_round_usable(
    session: Session, relay: OutboxRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(session, 1, OLD)
    add(session, 2, OLD)

    def failing(session: Session) -> int:
        session.execute(text("DELETE FROM outbox"))
        session.execute(text("SELECT 1 / 0"))  # the database refuses the statement
        return 0

    monkeypatch.setattr(relay, "prune", failing)
    relay._prune_aside(session)

    assert seqs(session) == [1, 2]  # the savepoint is undone, and the round's transaction goes on
    assert relay._prune_due > outbox_module.time.monotonic() + 30
