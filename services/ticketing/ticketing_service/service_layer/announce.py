"""What a ticket's steps announce: events on Kafka (no personal data) and notifications to people.

Events: ``TicketReported`` for the report, ``TicketTransitioned`` for every lifecycle step (not for
notes, whose content is private and which change nothing), ``TicketRated`` with a confirmation's
rating, ``SlaBreached`` per breach and escalation, ``ComplaintFiled``/``ComplaintEscalated``.

Notifications (status changes reach the reporter and the assignee): the report goes to the grid of
the household (its leaders) and to the firm's queue of its category; every step that changes the
status or the assignee goes to the reporter and the assignee, except to whoever took it; a breach
goes to the firm manager (level firm_manager) or the community officers (community_officer) and to
the assignee. Their text names the ticket, its category and status, never its description."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from ticketing_service.domain import sla
from ticketing_service.domain.tickets import Action, EscalationLevel, Outcome, Ticket, Transition
from xinyi.ticketing.v1 import events_pb2

STATUS_ZH = {
    "open": "待受理",
    "acknowledged": "已受理",
    "in_progress": "处理中",
    "resolved": "已解决，待确认",
    "confirmed": "已确认",
    "closed": "已关闭",
    "withdrawn": "已撤回",
}
ACTION_ZH = {
    Action.REPORT: "新报修",
    Action.ACKNOWLEDGE: "已受理",
    Action.START: "开始处理",
    Action.RESOLVE: "已解决",
    Action.CONFIRM: "住户已确认",
    Action.AUTO_CONFIRM: "超时自动确认",
    Action.CLOSE: "已关闭",
    Action.REOPEN: "住户要求重新处理",
    Action.WITHDRAW: "住户已撤回",
    Action.ASSIGN: "已派单",
    Action.RECLASSIFY: "已调整类别或紧急程度",
    Action.BREACH: "超时未处理，已升级",
    Action.COMPLAIN: "住户已正式投诉",
    Action.ESCALATE_COMPLAINT: "投诉已上报街道",
    Action.MATERIALS: "已登记材料费用",
}
LIFECYCLE = frozenset(
    {
        Action.ACKNOWLEDGE,
        Action.START,
        Action.RESOLVE,
        Action.CONFIRM,
        Action.AUTO_CONFIRM,
        Action.CLOSE,
        Action.REOPEN,
        Action.WITHDRAW,
        Action.ASSIGN,
        Action.RECLASSIFY,
    }
)


@dataclass(frozen=True)
class Announcement:
    events: list[Message]
    notifications: list[dict[str, Any]]


def _figures(ticket: Ticket) -> events_pb2.TicketFigures:
    figures = sla.figures(ticket)
    message = events_pb2.TicketFigures(reopen_count=figures.reopen_count)
    if figures.first_response_seconds is not None:
        message.first_response_seconds = figures.first_response_seconds
    if figures.resolution_seconds is not None:
        message.resolution_seconds = figures.resolution_seconds
    if figures.first_response_met is not None:
        message.first_response_met = figures.first_response_met
    if figures.resolution_met is not None:
        message.resolution_met = figures.resolution_met
    return message


def _note(ticket: Ticket, transition: Transition, recipient_kind: str, recipient: str) -> dict[str, Any]:
    category = ticket.category
    text = f"报修工单 {ticket.id[:8]}（{category}）：{ACTION_ZH.get(transition.action, transition.action.value)}"
    text += f"，当前状态：{STATUS_ZH[transition.to_status.value]}"
    return {
        "estate": ticket.estate_code,
        "ticket": ticket.id,
        "recipient_kind": recipient_kind,
        "recipient": recipient,
        "kind": transition.action.value,
        "message": {
            "estate_code": ticket.estate_code,
            "ticket_id": ticket.id,
            "category": category,
            "action": transition.action.value,
            "status": transition.to_status.value,
            "at": transition.at.isoformat(),
            "text": text,
        },
    }


def announce(outcome: Outcome) -> Announcement:
    """The events and notifications of ``outcome``'s transitions (the ticket as it ended up)."""
    ticket = outcome.ticket
    code = ticket.estate_code
    events: list[Message] = []
    notes: list[dict[str, Any]] = []
    for transition in outcome.transitions:
        at = transition.at.isoformat()
        action = transition.action
        if action is Action.REPORT:
            events.append(
                events_pb2.TicketReported(
                    estate_code=code,
                    ticket_id=ticket.id,
                    category=ticket.category,
                    urgency=ticket.urgency.value,
                    grid_code=ticket.grid_code or "",
                    reporter_kind=ticket.reporter_kind.value,
                    common_area=ticket.location.area is not None,
                    reported_at=at,
                    first_response_due_at=ticket.first_response_due_at.isoformat(),
                    resolution_due_at=ticket.resolution_due_at.isoformat(),
                    public=ticket.visibility.value == "public",
                )
            )
            if ticket.grid_code:
                notes.append(_note(ticket, transition, "grid", ticket.grid_code))
            notes.append(_note(ticket, transition, "firm_queue", ticket.category))
            continue
        if action in LIFECYCLE:
            events.append(
                events_pb2.TicketTransitioned(
                    estate_code=code,
                    ticket_id=ticket.id,
                    seq=transition.seq,
                    action=action.value,
                    from_status=transition.from_status.value if transition.from_status else "",
                    to_status=transition.to_status.value,
                    at=at,
                    actor_role=transition.actor_role.value,
                    category=transition.category or ticket.category,
                    urgency=(transition.urgency or ticket.urgency).value,
                    figures=_figures(ticket),
                )
            )
            if transition.rating is not None:
                events.append(
                    events_pb2.TicketRated(
                        estate_code=code,
                        ticket_id=ticket.id,
                        score=transition.rating.score,
                        at=at,
                        category=ticket.category,
                    )
                )
            people = {ticket.reporter_subject, ticket.assignee, transition.assignee} - {None, transition.actor_subject}
            for person in sorted(p for p in people if p):
                notes.append(_note(ticket, transition, "person", person))
        elif action is Action.BREACH and transition.breach is not None:
            breach = transition.breach
            events.append(
                events_pb2.SlaBreached(
                    estate_code=code,
                    ticket_id=ticket.id,
                    kind=breach.kind.value,
                    level=breach.level.value,
                    deadline=breach.deadline.isoformat(),
                    detected_at=breach.detected_at.isoformat(),
                    category=ticket.category,
                    urgency=ticket.urgency.value,
                )
            )
            role = "firm_manager" if breach.level is EscalationLevel.FIRM_MANAGER else "community_officer"
            notes.append(_note(ticket, transition, "role", role))
            if ticket.assignee:
                notes.append(_note(ticket, transition, "person", ticket.assignee))
        elif action is Action.COMPLAIN:
            events.append(
                events_pb2.ComplaintFiled(estate_code=code, ticket_id=ticket.id, at=at, category=ticket.category)
            )
            notes.append(_note(ticket, transition, "role", "firm_manager"))
        elif action is Action.ESCALATE_COMPLAINT:
            events.append(
                events_pb2.ComplaintEscalated(
                    estate_code=code,
                    ticket_id=ticket.id,
                    at=at,
                    category=ticket.category,
                    by_role=transition.actor_role.value,
                )
            )
            notes.append(_note(ticket, transition, "role", "community_officer"))
            notes.append(_note(ticket, transition, "role", "firm_manager"))
    return Announcement(events, notes)
