"""A broker outage loses nothing and duplicates nothing: the outbox keeps the event until Kafka is
back, and the ledger's consumer applies a redelivered event only once."""

from __future__ import annotations

import re
import subprocess

import httpx

from tests.e2e.conftest import OnboardedEstate, wait_for_books
from tests.harness import REPO_DIR, bearer, connect, eventually, http_url


def kafka(command: str) -> None:
    subprocess.run([str(REPO_DIR / "deploy" / "kafka.sh"), command], check=True, timeout=300)


def books_rows(code: str) -> tuple[int, int]:
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM trust_books WHERE estate_code = %s", (code,))
        books = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM accounts WHERE estate_code = %s", (code,))
        return books, cursor.fetchone()[0]


def duplicates_seen_by_ledger() -> float:
    metrics = httpx.get(f"{http_url('ledger')}/metrics", timeout=10).text
    pattern = r'xinyi_events_consumed_total\{consumer="ledger.tenant-events",outcome="duplicate",service="ledger",type="xinyi.tenant.v1.EstateOnboarded"\} (\S+)'
    total = 0.0
    for line in metrics.splitlines():
        match = re.match(pattern, line)
        if match:
            total += float(match.group(1))
    return total


def test_an_estate_onboarded_while_kafka_is_down_gets_its_books_exactly_once(make_estate) -> None:
    kafka("down")
    try:
        estate: OnboardedEstate = make_estate("outage")  # the HTTP call succeeds: the event waits in the outbox
        with connect("tenant", "system") as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM outbox WHERE estate_code = %s AND published_at IS NULL", (estate.code,)
            )
            assert cursor.fetchone()[0] == 1, "the event is held in the outbox while Kafka is down"
        missing = httpx.get(
            f"{http_url('ledger')}/v1/estates/{estate.code}/accounts", headers=bearer(estate.manager_token), timeout=10
        )
        assert missing.status_code == 404
    finally:
        kafka("up")

    wait_for_books(estate.code, estate.manager_token, timeout=180)
    assert books_rows(estate.code) == (1, 13)

    # Redeliver the very same event, as a relay crash between Kafka's ack and the row update would.
    duplicates_before = duplicates_seen_by_ledger()
    with connect("tenant", "system") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE outbox SET published_at = NULL WHERE estate_code = %s", (estate.code,))
        assert cursor.rowcount == 1
        connection.commit()
    eventually(
        lambda: True if duplicates_seen_by_ledger() > duplicates_before else None,
        timeout=60,
        what="the ledger to receive the redelivered event",
    )
    assert books_rows(estate.code) == (1, 13), "the redelivered event opened nothing twice"
