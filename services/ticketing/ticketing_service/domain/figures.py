"""An estate's service figures for a month (每月服务报告): what residents and the committee read of
how fast and how well the firm answered. Plain arithmetic over tickets, no I/O.

A ticket counts in the month it was reported (in the estate's time zone), whatever happened to it
later; a petition counts in the month its complaint was taken beyond the estate. Durations are whole
seconds of wall time; the median and the 90th percentile are nearest-rank (a value some ticket
really had). Rates are basis points (10000 = 100%), rounded as :mod:`.satisfaction` rounds them;
a figure with nothing to measure is None, never 0."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ticketing_service.domain import sla
from ticketing_service.domain.satisfaction import petition_rate_bps, satisfaction_rate_bps, share_bps
from ticketing_service.domain.tickets import Status, Ticket


@dataclass(frozen=True)
class MonthFigures:
    reported: int
    resolved: int  # resolved, confirmed or closed now
    withdrawn: int
    first_response_median_seconds: int | None
    first_response_p90_seconds: int | None
    resolution_median_seconds: int | None
    resolution_p90_seconds: int | None
    first_response_within_target_bps: int | None  # of the tickets answered
    resolution_within_target_bps: int | None  # of the tickets resolved
    breached: int  # tickets that missed a target (recorded, or answered or fixed late)
    ratings: int
    satisfaction_rate_bps: int | None
    complaints: int
    petitions: int  # complaints taken beyond the estate in the month
    petition_rate_bps: int | None


def nearest_rank(values: Sequence[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _missed(ticket: Ticket) -> bool:
    """A target missed: recorded by the scheduler, or shown by a step that came after its deadline."""
    return bool(ticket.breaches) or sla.first_response_met(ticket) is False or sla.resolution_met(ticket) is False


def month_figures(tickets: Iterable[Ticket], start: datetime, end: datetime, households: int) -> MonthFigures:
    """Figures of the tickets reported in ``[start, end)``; ``tickets`` may hold others (those whose
    complaint was escalated in the month are counted as petitions)."""
    chosen: list[Ticket] = []
    petitions = 0
    for ticket in tickets:
        complaint = ticket.complaint
        if complaint is not None and complaint.escalated_at is not None and start <= complaint.escalated_at < end:
            petitions += 1
        if start <= ticket.reported_at < end:
            chosen.append(ticket)
    first = [s for t in chosen if (s := sla.first_response_seconds(t)) is not None]
    resolution = [s for t in chosen if (s := sla.resolution_seconds(t)) is not None]
    first_met = [m for t in chosen if (m := sla.first_response_met(t)) is not None]
    resolution_met = [m for t in chosen if (m := sla.resolution_met(t)) is not None]
    ratings = [t.rating for t in chosen if t.rating is not None]
    return MonthFigures(
        reported=len(chosen),
        resolved=sum(t.status in (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED) for t in chosen),
        withdrawn=sum(t.status is Status.WITHDRAWN for t in chosen),
        first_response_median_seconds=nearest_rank(first, 0.5),
        first_response_p90_seconds=nearest_rank(first, 0.9),
        resolution_median_seconds=nearest_rank(resolution, 0.5),
        resolution_p90_seconds=nearest_rank(resolution, 0.9),
        first_response_within_target_bps=share_bps(sum(first_met), len(first_met)),
        resolution_within_target_bps=share_bps(sum(resolution_met), len(resolution_met)),
        breached=sum(_missed(t) for t in chosen),
        ratings=len(ratings),
        satisfaction_rate_bps=satisfaction_rate_bps(ratings),
        complaints=sum(t.complaint is not None for t in chosen),
        petitions=petitions,
        petition_rate_bps=petition_rate_bps(petitions, households),
    )
