"""Tickets and their history to JSON and back, as the repository stores them (``tickets.state``,
``ticket_transitions.record``). Moments are RFC 3339 in UTC, quantities decimal strings; rebuilding
goes through the domain's constructors, so a row that could not have been produced is refused."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ticketing_service.domain.materials import MaterialLine, MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import SlaTerms, Urgency
from ticketing_service.domain.tickets import (
    Action,
    ActorRole,
    Breach,
    Complaint,
    EscalationLevel,
    Location,
    ReporterKind,
    SlaKind,
    Status,
    Ticket,
    Transition,
    Visibility,
)

Json = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _required(value: str) -> datetime:
    return datetime.fromisoformat(value)


def rating_json(rating: Rating | None) -> Json | None:
    return None if rating is None else {"score": rating.score, "comment": rating.comment}


def _rating(data: Json | None) -> Rating | None:
    return None if data is None else Rating(data["score"], data.get("comment", ""))


def breach_json(breach: Breach) -> Json:
    return {
        "kind": breach.kind.value,
        "level": breach.level.value,
        "deadline": breach.deadline.isoformat(),
        "detected_at": breach.detected_at.isoformat(),
    }


def _breach(data: Json) -> Breach:
    return Breach(
        SlaKind(data["kind"]),
        EscalationLevel(data["level"]),
        _required(data["deadline"]),
        _required(data["detected_at"]),
    )


def purchase_json(purchase: MaterialPurchase) -> Json:
    return {
        "supplier": purchase.supplier,
        "budget_line": purchase.budget_line,
        "receipts": list(purchase.receipts),
        "total_fen": purchase.total_fen,
        "lines": [
            {
                "item": line.item,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price_fen": line.unit_price_fen,
                "total_fen": line.total_fen,
            }
            for line in purchase.lines
        ],
    }


def _quantity(text: str) -> int | Decimal:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else value


def purchase_from_json(data: Json) -> MaterialPurchase:
    return MaterialPurchase(
        supplier=data["supplier"],
        lines=tuple(
            MaterialLine(line["item"], _quantity(line["quantity"]), line["unit_price_fen"], line.get("unit", ""))
            for line in data["lines"]
        ),
        budget_line=data["budget_line"],
        receipts=tuple(data["receipts"]),
    )


def _terms_json(terms: SlaTerms) -> Json:
    return {
        "first_response_minutes": terms.first_response_minutes,
        "resolution_minutes": terms.resolution_minutes,
        "first_response_grace_minutes": terms.first_response_grace_minutes,
        "resolution_grace_minutes": terms.resolution_grace_minutes,
        "auto_confirm_minutes": terms.auto_confirm_minutes,
        "reopen_window_minutes": terms.reopen_window_minutes,
    }


def _complaint_json(complaint: Complaint | None) -> Json | None:
    if complaint is None:
        return None
    return {
        "reason": complaint.reason,
        "filed_at": complaint.filed_at.isoformat(),
        "filed_by": complaint.filed_by,
        "escalated_at": _moment(complaint.escalated_at),
        "escalated_by": complaint.escalated_by,
        "escalated_by_role": complaint.escalated_by_role.value if complaint.escalated_by_role else None,
    }


def _complaint(data: Json | None) -> Complaint | None:
    if data is None:
        return None
    role = data.get("escalated_by_role")
    return Complaint(
        reason=data["reason"],
        filed_at=_required(data["filed_at"]),
        filed_by=data["filed_by"],
        escalated_at=_parse(data.get("escalated_at")),
        escalated_by=data.get("escalated_by"),
        escalated_by_role=ActorRole(role) if role else None,
    )


def ticket_json(ticket: Ticket) -> Json:
    return {
        "id": ticket.id,
        "estate_code": ticket.estate_code,
        "category": ticket.category,
        "urgency": ticket.urgency.value,
        "location": {"household_id": ticket.location.household_id, "area": ticket.location.area},
        "household_id": ticket.household_id,
        "grid_code": ticket.grid_code,
        "description": ticket.description,
        "photos": list(ticket.photos),
        "visibility": ticket.visibility.value,
        "reporter_subject": ticket.reporter_subject,
        "reporter_role": ticket.reporter_role.value,
        "reporter_kind": ticket.reporter_kind.value,
        "reported_at": ticket.reported_at.isoformat(),
        "terms": _terms_json(ticket.terms),
        "updated_at": ticket.updated_at.isoformat(),
        "status": ticket.status.value,
        "version": ticket.version,
        "assignee": ticket.assignee,
        "acknowledged_at": _moment(ticket.acknowledged_at),
        "first_resolved_at": _moment(ticket.first_resolved_at),
        "resolved_at": _moment(ticket.resolved_at),
        "confirmed_at": _moment(ticket.confirmed_at),
        "auto_confirmed": ticket.auto_confirmed,
        "closed_at": _moment(ticket.closed_at),
        "withdrawn_at": _moment(ticket.withdrawn_at),
        "reopened_at": _moment(ticket.reopened_at),
        "reopen_count": ticket.reopen_count,
        "resolution_note": ticket.resolution_note,
        "resolution_photos": list(ticket.resolution_photos),
        "rating": rating_json(ticket.rating),
        "breaches": [breach_json(breach) for breach in ticket.breaches],
        "complaint": _complaint_json(ticket.complaint),
        "materials_fen": ticket.materials_fen,
    }


def ticket_from_json(data: Json) -> Ticket:
    location = data["location"]
    return Ticket(
        id=data["id"],
        estate_code=data["estate_code"],
        category=data["category"],
        urgency=Urgency(data["urgency"]),
        location=Location(household_id=location.get("household_id"), area=location.get("area")),
        household_id=data.get("household_id"),
        grid_code=data.get("grid_code"),
        description=data["description"],
        photos=tuple(data.get("photos", ())),
        visibility=Visibility(data["visibility"]),
        reporter_subject=data["reporter_subject"],
        reporter_role=ActorRole(data["reporter_role"]),
        reporter_kind=ReporterKind(data["reporter_kind"]),
        reported_at=_required(data["reported_at"]),
        terms=SlaTerms(**data["terms"]),
        updated_at=_required(data["updated_at"]),
        status=Status(data["status"]),
        version=data["version"],
        assignee=data.get("assignee"),
        acknowledged_at=_parse(data.get("acknowledged_at")),
        first_resolved_at=_parse(data.get("first_resolved_at")),
        resolved_at=_parse(data.get("resolved_at")),
        confirmed_at=_parse(data.get("confirmed_at")),
        auto_confirmed=bool(data.get("auto_confirmed", False)),
        closed_at=_parse(data.get("closed_at")),
        withdrawn_at=_parse(data.get("withdrawn_at")),
        reopened_at=_parse(data.get("reopened_at")),
        reopen_count=data.get("reopen_count", 0),
        resolution_note=data.get("resolution_note", ""),
        resolution_photos=tuple(data.get("resolution_photos", ())),
        rating=_rating(data.get("rating")),
        breaches=tuple(_breach(breach) for breach in data.get("breaches", ())),
        complaint=_complaint(data.get("complaint")),
        materials_fen=data.get("materials_fen", 0),
    )


def transition_json(transition: Transition) -> Json:
    return {
        "ticket_id": transition.ticket_id,
        "seq": transition.seq,
        "action": transition.action.value,
        "actor_subject": transition.actor_subject,
        "actor_role": transition.actor_role.value,
        "at": transition.at.isoformat(),
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value,
        "note": transition.note,
        "internal": transition.internal,
        "assignee": transition.assignee,
        "rating": rating_json(transition.rating),
        "breach": breach_json(transition.breach) if transition.breach else None,
        "photos": list(transition.photos),
        "purchase": purchase_json(transition.purchase) if transition.purchase else None,
        "category": transition.category,
        "urgency": transition.urgency.value if transition.urgency else None,
    }


def transition_from_json(data: Json) -> Transition:
    return Transition(
        ticket_id=data["ticket_id"],
        seq=data["seq"],
        action=Action(data["action"]),
        actor_subject=data["actor_subject"],
        actor_role=ActorRole(data["actor_role"]),
        at=_required(data["at"]),
        from_status=Status(data["from_status"]) if data.get("from_status") else None,
        to_status=Status(data["to_status"]),
        note=data.get("note", ""),
        internal=bool(data.get("internal", False)),
        assignee=data.get("assignee"),
        rating=_rating(data.get("rating")),
        breach=_breach(data["breach"]) if data.get("breach") else None,
        photos=tuple(data.get("photos", ())),
        purchase=purchase_from_json(data["purchase"]) if data.get("purchase") else None,
        category=data.get("category"),
        urgency=Urgency(data["urgency"]) if data.get("urgency") else None,
    )
