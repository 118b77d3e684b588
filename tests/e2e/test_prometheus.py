"""The platform's own Prometheus (Debian's package, started by deploy/prometheus.sh with `make up`
and the tests): its configuration and rules pass promtool (and the rules their unit tests), every
service and Keycloak is a target it scrapes successfully, as its HTTP API says, and the services'
platform metrics are there: database pools, Kafka consumer lag, the outbox's oldest event. A service of
several worker processes (the ledger) answers each scrape for all of them: its counters never go back."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.harness import PORTS, REPO_DIR, SERVICES, STATE_DIR, eventually, http_url
from xinyi_shared.kafka_topics import LEDGER_EVENTS, MICROFUND_EVENTS, TENANT_EVENTS, TICKETING_EVENTS

pytestmark = pytest.mark.e2e

PROMETHEUS = f"http://127.0.0.1:{PORTS['PROMETHEUS_PORT']}"
T = TypeVar("T")

# Each service's consumer groups and the topics they read (service, group, topic).
CONSUMER_GROUPS = {
    ("ledger", "ledger.tenant-events", TENANT_EVENTS),
    ("ticketing", "ticketing.tenant-events", TENANT_EVENTS),
    ("ticketing", "ticketing.ledger-events", LEDGER_EVENTS),
    ("microfund", "microfund.tenant-events", TENANT_EVENTS),
    ("microfund", "microfund.ledger-events", LEDGER_EVENTS),
    # The committee's read side reads all four topics.
    ("tenant", "tenant.governance", TENANT_EVENTS),
    ("tenant", "tenant.governance", LEDGER_EVENTS),
    ("tenant", "tenant.governance", TICKETING_EVENTS),
    ("tenant", "tenant.governance", MICROFUND_EVENTS),
}


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", "deploy/prometheus/prometheus-local.yml"],
        ["check", "config", "deploy/prometheus/prometheus.yml"],
        ["check", "rules", "deploy/prometheus/alerts.yml"],
        ["test", "rules", "deploy/prometheus/alerts.test.yml"],
    ],
    ids=["local config", "container config", "alert rules", "alert rules' unit tests"],
)
def test_promtool_accepts_the_files_in_deploy(command: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is installed by deploy/prometheus.sh"
    checked = subprocess.run([promtool, *command], cwd=REPO_DIR, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_service_and_keycloak_is_scraped_and_up() -> None:
    wanted = {f"127.0.0.1:{PORTS[f'{service.upper()}_HTTP_PORT']}" for service in SERVICES}
    wanted.add(f"127.0.0.1:{PORTS['KEYCLOAK_MANAGEMENT_PORT']}")

    def all_up() -> dict[str, str] | None:
        targets = httpx.get(f"{PROMETHEUS}/api/v1/targets", params={"state": "active"}, timeout=10).json()
        health = {t["labels"]["instance"]: t["health"] for t in targets["data"]["activeTargets"]}
        return health if wanted <= health.keys() and all(health[i] == "up" for i in wanted) else None

    health = eventually(all_up, timeout=90, what="every target up in Prometheus")
    assert wanted <= health.keys()
    # And the services' own series are there to query.
    answer = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": 'up{job="xinyi"}'}, timeout=10).json()
    assert {r["metric"]["instance"] for r in answer["data"]["result"] if r["value"][1] == "1"} >= wanted - {
        f"127.0.0.1:{PORTS['KEYCLOAK_MANAGEMENT_PORT']}"
    }
    rules = httpx.get(f"{PROMETHEUS}/api/v1/rules", timeout=10).json()
    loaded = {rule["name"] for group in rules["data"]["groups"] for rule in group["rules"]}
    assert {
        "XinyiOutboxStuck",
        "XinyiServiceDown",
        "XinyiSlaBreachRate",
        "XinyiHttpErrors",
        "XinyiGrpcErrors",
        "XinyiConsumerLag",
        "XinyiConsumerStalled",
        "XinyiDatabasePoolSaturated",
    } <= loaded


def query(expr: str) -> list[dict[str, Any]]:
    """The instant vector ``expr`` evaluates to now."""
    answer = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def scraped(expr: str, labels: tuple[str, ...], wanted: set[tuple[str, ...]], what: str) -> set[tuple[str, ...]]:
    """Waits until ``expr`` has a series for each of ``wanted`` (its ``labels``' values), as the
    services' series appear at their first scrape (up to 15 s) after a start."""

    def found() -> set[tuple[str, ...]] | None:
        series = {tuple(r["metric"].get(label, "") for label in labels) for r in query(expr)}
        return series if wanted <= series else None

    return eventually(found, timeout=60, what=what)


def test_every_service_reports_both_of_its_database_pools() -> None:
    wanted = {(service, engine) for service in SERVICES for engine in ("app", "system")}
    scraped('xinyi_db_pool_checked_out{job="xinyi"}', ("service", "engine"), wanted, "every pool's connections in use")
    scraped('xinyi_db_pool_size{job="xinyi"} > 0', ("service", "engine"), wanted, "every pool's size")
    limit = "(xinyi_db_pool_size + xinyi_db_pool_max_overflow)"
    assert query(f'xinyi_db_pool_checked_out{{job="xinyi"}} > {limit}') == [], "more in use than a pool allows"


def test_every_consumer_group_reports_its_lag_and_polls() -> None:
    scraped(
        'xinyi_kafka_consumer_lag{job="xinyi"}',
        ("service", "consumer", "topic"),
        CONSUMER_GROUPS,
        "every consumer group's lag per topic",
    )
    # The ledger's group in particular (two worker processes share its partitions; each reports).
    assert {r["metric"]["topic"] for r in query('xinyi_kafka_consumer_lag{service="ledger"}')} == {TENANT_EVENTS}
    # Each consumer polled within the last minute (a stalled one stops advancing its timestamp).
    groups = {(service, group) for service, group, _ in CONSUMER_GROUPS}
    scraped(
        'time() - xinyi_kafka_consumer_last_poll_timestamp_seconds{job="xinyi"} < 60',
        ("service", "consumer"),
        groups,
        "every consumer polling",
    )


def test_every_service_reports_its_outbox_backlog_and_oldest_event() -> None:
    wanted = {(service,) for service in SERVICES}
    scraped('xinyi_outbox_pending{job="xinyi"}', ("service",), wanted, "every outbox's backlog")
    ages = scraped(
        'xinyi_outbox_oldest_event_age_seconds{job="xinyi"} < 60', ("service",), wanted, "every outbox draining"
    )
    assert ages >= wanted


def test_the_committees_figures_reach_prometheus(tenant_api, admin_token) -> None:
    """An estate onboarded now is in the current month's figures that the committee's dashboard reads
    (`xinyi_governance_*`, refreshed at most once a minute): its district has a households series."""
    from tests.e2e.conftest import onboard
    from tests.harness import DISTRICT, unique_code

    assert onboard(tenant_api, admin_token, unique_code("prom-gov")).status_code == 201

    def district_series() -> list[dict[str, Any]] | None:
        return query(f'xinyi_governance_households{{job="xinyi",level="district",area="{DISTRICT}"}}') or None

    eventually(district_series, timeout=150, what="the district's figures in Prometheus")


# --- a service of several workers: counters summed over them ------------------------------------------

LEDGER_PIDFILE = STATE_DIR / "services" / "ledger.pid"
Series = tuple[tuple[str, str], ...]


def ledger_start() -> tuple[str, float]:
    """The ledger's current start: its master's pid and when it started (deploy/services.sh writes the
    pid file at each start, supervisord's restarts included)."""
    return LEDGER_PIDFILE.read_text().strip(), LEDGER_PIDFILE.stat().st_mtime


def within_one_start(measure: Callable[[], T]) -> T:
    """``measure``'s answer, taken while the ledger did not restart (a restart — another test killing
    it, a crash — starts its counters from 0, rightly); measured again if it did."""
    for _ in range(3):
        before = ledger_start()
        answer = measure()
        if ledger_start() == before:
            return answer
    raise AssertionError("the ledger kept restarting")


def request_counters(text: str) -> dict[Series, float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "xinyi_http_requests"
        for sample in family.samples
        if sample.name == "xinyi_http_requests_total"
    }


def test_the_ledgers_request_counters_never_go_back_from_one_scrape_to_the_next() -> None:
    """The ledger runs two worker processes (deploy/services.sh), and each scrape reaches one of them:
    the one that accepts the connection (a new one each time here). Each answers for both."""

    def scrapes() -> list[dict[Series, float]]:
        return [request_counters(httpx.get(f"{http_url('ledger')}/metrics", timeout=10).text) for _ in range(12)]

    answers = within_one_start(scrapes)
    own: Series = (("method", "GET"), ("route", "/metrics"), ("service", "ledger"), ("status", "200"))
    for before, after in itertools.pairwise(answers):
        went_back = {
            series: (value, after.get(series)) for series, value in before.items() if after.get(series, 0) < value
        }
        assert went_back == {}, "a counter went back between two scrapes"
    # Each scrape is counted by the worker that answered it; all are in the total (but the last one's
    # count may land just after the next answer, if the other worker gave it).
    assert answers[-1][own] >= answers[0][own] + len(answers) - 2


def test_prometheus_sees_no_reset_of_the_ledgers_request_counters() -> None:
    """Over the last five minutes, or since the ledger started when that is later (a restart resets
    its counters, rightly), no series of its request counter decreased between Prometheus's scrapes."""

    def since_start() -> str:
        return f"{min(300, int(time.time() - ledger_start()[1]) - 5)}s"

    def scraped_thrice() -> list[dict[str, Any]] | None:
        # A series appears at the scrape after its first request: the scrapes' own, at the second one.
        series = 'xinyi_http_requests_total{service="ledger",route="/metrics"}'
        return query(f"count_over_time({series}[{since_start()}]) >= 3") or None

    def resets() -> list[dict[str, Any]]:
        eventually(scraped_thrice, timeout=120, what="three scrapes of the ledger since it started")
        return query(f'resets(xinyi_http_requests_total{{service="ledger"}}[{since_start()}]) > 0')

    reset = within_one_start(resets)
    assert reset == [], [(r["metric"], r["value"][1]) for r in reset]
