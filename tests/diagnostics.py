"""What the platform looked like when a test run failed, in a few lines for CI's output: the consumer
groups behind the end of their topics (and their state), and the services' own warnings.

Written by ``tests/conftest.py`` while the platform still runs, to the file ``XINYI_TEST_DIAGNOSTICS``
names (``deploy/test.sh`` sets it, and prints the file at the very end, where CI's output keeps it). A failure that waits in vain for an event (a stalled consumer,
a relay that does not relay) otherwise leaves nothing to tell which part stopped."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from tests.harness import PORTS, STATE_DIR

# Warnings of the platform's own code (not the Kafka client's reconnect chatter during an outage test).
OWN_LOGGERS = ("xinyi_shared", "tenant_service", "ledger_service", "ticketing_service", "microfund_service")
MESSAGE_WIDTH = 160


def consumer_lag_lines() -> list[str]:
    """One line per consumer group that has not committed up to its topics' end offsets."""
    from kafka import KafkaAdminClient, KafkaConsumer

    bootstrap = f"127.0.0.1:{PORTS['KAFKA_PORT']}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    reader = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    lines = []
    try:
        for group in sorted(admin.list_groups(), key=lambda g: g["group_id"]):
            name = group["group_id"]
            if name.split(".")[0] not in ("tenant", "ledger", "ticketing", "microfund"):
                continue  # the tests' and benchmarks' own groups
            committed = admin.list_group_offsets({name: None})[name]
            behind = {}
            for tp, meta in committed.items():
                # One partition a call: kafka-python 3.0.12 loses some answers of a many-partition call.
                end = reader.end_offsets([tp])[tp]
                if end > meta.offset:
                    behind[tp.partition] = end - meta.offset
            if behind:
                lines.append(f"consumer group {name} ({group.get('group_state')}) behind by {behind}")
    finally:
        reader.close()
        admin.close()
    return lines or ["every consumer group is at the end of its topics"]


def warning_lines(since: datetime, logs: Path = STATE_DIR / "services") -> list[str]:
    """Per service log, how often each of the platform's own warnings occurred since ``since``, the
    most frequent three with their last text."""
    lines = []
    for path in sorted(logs.glob("*.log")):
        seen: Counter[str] = Counter()
        last: dict[str, str] = {}
        with path.open(errors="replace") as log:
            for raw in log:
                try:
                    entry = json.loads(raw)
                    stamp = datetime.strptime(entry["time"], "%Y-%m-%d %H:%M:%S,%f")
                except (ValueError, KeyError, TypeError):
                    continue
                if stamp < since or entry.get("level") not in ("WARNING", "ERROR", "CRITICAL"):
                    continue
                if not str(entry.get("logger", "")).startswith(OWN_LOGGERS):
                    continue
                message = str(entry.get("message"))
                seen[message] += 1
                last[message] = f"{message} {entry.get('error', '')}".strip()
        for message, count in seen.most_common(3):
            lines.append(f"{path.stem}: {count}× {last[message][:MESSAGE_WIDTH]}")
    return lines


def write_diagnostics(path: Path, since: datetime) -> None:
    lines = ["--- the platform when the tests ended (tests/diagnostics.py) ---"]
    for part in (consumer_lag_lines, lambda: warning_lines(since)):
        try:
            lines.extend(part())
        except Exception as error:  # noqa: BLE001 - a diagnosis must not hide the tests' own outcome
            lines.append(f"(not diagnosed: {error!r})")
    path.write_text("\n".join(lines) + "\n")
