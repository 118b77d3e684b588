"""An estate's month of tickets in figures (domain/figures.py), computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.figures import month_figures, nearest_rank
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import ServiceTargets, Urgency
from ticketing_service.domain.tickets import Actor, ActorRole, Location, Report, Ticket, report

TARGETS = ServiceTargets("jinhe-lvzhou", "Asia/Shanghai")
RESIDENT = Actor("r-1", ActorRole.RESIDENT, households=frozenset({"h-1"}))
STAFF = Actor("s-1", ActorRole.FIRM_STAFF)
START = datetime(2031, 2, 28, 16, 0, tzinfo=UTC)  # 2031-03-01 00:00 in Shanghai
END = datetime(2031, 3, 31, 16, 0, tzinfo=UTC)


def ticket(n: int, at: datetime) -> Ticket:
    draft = Report("lighting", Urgency.NORMAL, Location.household("h-1"), f"灯 {n}", household_id="h-1")
    return report(f"t-{n}", RESIDENT, draft, TARGETS, at).ticket


def fixed(n: int, at: datetime, answer: int, fix: int, score: int | None) -> Ticket:
    t = ticket(n, at)
    t = lifecycle.acknowledge(t, STAFF, at + timedelta(minutes=answer)).ticket
    t = lifecycle.resolve(t, STAFF, "换灯", at + timedelta(minutes=fix)).ticket
    if score is not None:
        t = lifecycle.confirm(t, RESIDENT, Rating(score), at + timedelta(minutes=fix + 1)).ticket
    return t


def test_a_month_in_figures() -> None:
    day = START + timedelta(days=3)
    tickets = [
        fixed(1, day, 5, 40, 5),
        fixed(2, day, 10, 50, 4),
        fixed(3, day, 45, 90, 2),  # both targets missed
        fixed(4, day, 20, 55, None),  # not rated yet
        ticket(5, day),  # open
        fixed(6, START - timedelta(seconds=1), 1, 2, 1),  # last month's (23:59:59 on Feb 28th in Shanghai)
    ]
    tickets[4] = sla.run_due(tickets[4], day + timedelta(minutes=31)).ticket  # its response is late
    complaint = lifecycle.file_complaint(tickets[5], RESIDENT, "态度差", START + timedelta(days=1)).ticket
    tickets[5] = lifecycle.escalate_complaint(complaint, RESIDENT, START + timedelta(days=2)).ticket
    figures = month_figures(tickets, START, END, households=3000)
    assert figures.reported == 5 and figures.resolved == 4 and figures.withdrawn == 0
    assert figures.first_response_median_seconds == 10 * 60  # 5, 10, 20, 45 minutes
    assert figures.first_response_p90_seconds == 45 * 60
    assert figures.resolution_median_seconds == 50 * 60  # 40, 50, 55, 90
    assert figures.first_response_within_target_bps == 7500  # 3 of 4 within 30 minutes
    assert figures.resolution_within_target_bps == 7500  # 3 of 4 within 60 minutes
    assert figures.breached == 2  # ticket 3 (answered late) and ticket 5 (still open)
    assert figures.ratings == 3 and figures.satisfaction_rate_bps == 6666  # 5 and 4 of 5, 4, 2
    assert figures.complaints == 0  # ticket 6 was reported last month
    assert figures.petitions == 1 and figures.petition_rate_bps == 4  # 1 of 3,000 households, rounded up


def test_nothing_to_measure_is_none_not_zero() -> None:
    empty = month_figures([], START, END, households=0)
    assert empty.reported == 0 and empty.first_response_median_seconds is None
    assert empty.satisfaction_rate_bps is None and empty.petition_rate_bps is None
    assert nearest_rank([7], 0.9) == 7 and nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
