"""When a consumer looks whether it is stuck, and what counts as events waiting for it."""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition

from xinyi_shared.consumer import StallWatch, events_waiting


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


A, B = TopicPartition("t", 0), TopicPartition("t", 1)


def test_it_looks_once_per_period_whatever_the_polls_bring() -> None:
    clock = Clock()
    watch = StallWatch(20, clock)
    clock.now += 19.9
    assert not watch.polled({A: ["record"]})
    clock.now += 0.2
    assert watch.polled({})
    clock.now += 0.5
    assert not watch.polled({}), "the next look comes a whole period later"
    clock.now += 20
    assert watch.polled({A: ["record"]})


def look(watch: StallWatch, clock: Clock, batches: dict, waiting: dict) -> dict:
    clock.now += 21
    assert watch.polled(batches)
    return watch.stuck(waiting)


def test_a_partition_waiting_at_two_looks_without_records_between_is_stuck() -> None:
    clock = Clock()
    watch = StallWatch(20, clock)
    assert look(watch, clock, {}, {A: 3}) == {}, "waiting at one look only"
    assert look(watch, clock, {}, {A: 5}) == {A: 5}


def test_a_partition_that_brought_records_is_not_stuck_though_more_wait() -> None:
    clock = Clock()
    watch = StallWatch(20, clock)
    look(watch, clock, {}, {A: 400, B: 2})
    # A flows (a busy consumer working through a backlog); B brought nothing: it alone is stuck.
    assert look(watch, clock, {A: ["record"], B: []}, {A: 300, B: 2}) == {B: 2}


def test_a_partition_that_caught_up_in_between_is_not_stuck() -> None:
    clock = Clock()
    watch = StallWatch(20, clock)
    look(watch, clock, {}, {A: 3})
    assert look(watch, clock, {}, {}) == {}
    assert look(watch, clock, {}, {A: 1}) == {}, "waiting again, but not at the last look"


class FakeConsumer:
    """What events_waiting asks of a KafkaConsumer: its assignment, positions and end offsets."""

    def __init__(self, positions: dict[TopicPartition, int | None], ends: dict[TopicPartition, int]) -> None:
        self.positions = positions
        self.ends = ends

    def assignment(self) -> set[TopicPartition]:
        return set(self.positions)

    def position(self, partition: TopicPartition, timeout_ms: int) -> int | None:
        return self.positions[partition]

    def end_offsets(self, partitions: list[TopicPartition], timeout_ms: int) -> dict[TopicPartition, int]:
        if partitions[0] not in self.ends:
            raise KeyError(partitions[0])  # as kafka-python does for an answer it lost
        return {partition: self.ends[partition] for partition in partitions}


def test_events_wait_where_the_end_is_past_the_position() -> None:
    a, b, c, d = (TopicPartition("t", n) for n in range(4))
    consumer: Any = FakeConsumer({a: 5, b: 7, c: None, d: 3}, {a: 9, b: 7, c: 4})
    # a is 4 behind; b is at its end; c is not positioned yet; d's end is not known.
    assert events_waiting(consumer) == {a: 4}


def test_nothing_assigned_nothing_waits() -> None:
    consumer: Any = FakeConsumer({}, {})
    assert events_waiting(consumer) == {}
