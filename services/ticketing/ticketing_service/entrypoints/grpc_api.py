"""gRPC API of ticketing for the platform's other services (thin: authorise, read, map). Tickets
cross it in their public form only: no person, household, description or note."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from ticketing_service.domain import sla
from ticketing_service.domain.tickets import Status, Ticket
from ticketing_service.service_layer.unit_of_work import TicketingUnitOfWork
from xinyi.ticketing.v1 import events_pb2, ticketing_pb2, ticketing_pb2_grpc
from xinyi_shared.auth import Role, require_estate_access
from xinyi_shared.errors import InvalidInput, NotFound
from xinyi_shared.grpc_server import current_principal

MAX_LIST = 500


def _estate(code: str) -> str:
    if not code:
        raise InvalidInput("estate_code is required")
    require_estate_access(current_principal(), code, Role.SERVICE)
    return code


def summary(ticket: Ticket) -> ticketing_pb2.TicketSummary:
    figures = sla.figures(ticket)
    measured = events_pb2.TicketFigures(reopen_count=figures.reopen_count)
    for name in ("first_response_seconds", "resolution_seconds", "first_response_met", "resolution_met"):
        value = getattr(figures, name)
        if value is not None:
            setattr(measured, name, value)
    complaint = ticket.complaint
    return ticketing_pb2.TicketSummary(
        estate_code=ticket.estate_code,
        ticket_id=ticket.id,
        category=ticket.category,
        urgency=ticket.urgency.value,
        status=ticket.status.value,
        grid_code=ticket.grid_code or "",
        common_area=ticket.location.area is not None,
        reported_at=ticket.reported_at.isoformat(),
        first_response_due_at=ticket.first_response_due_at.isoformat(),
        resolution_due_at=ticket.resolution_due_at.isoformat(),
        escalation_level=ticket.escalation_level.value if ticket.escalation_level else "",
        complaint=complaint is not None,
        complaint_escalated=complaint is not None and complaint.escalated,
        materials_fen=ticket.materials_fen,
        figures=measured,
        rating=ticket.rating.score if ticket.rating else 0,
    )


class TicketingServicer(ticketing_pb2_grpc.TicketingServiceServicer):
    def __init__(self, unit_of_work: Callable[[str], TicketingUnitOfWork]) -> None:
        self._uow = unit_of_work

    def GetTicket(
        self, request: ticketing_pb2.GetTicketRequest, context: grpc.ServicerContext
    ) -> ticketing_pb2.TicketSummary:
        code = _estate(request.estate_code)
        if not request.ticket_id:
            raise InvalidInput("ticket_id is required")
        with self._uow(code) as uow:
            ticket = uow.tickets.get(request.ticket_id)
        if ticket is None:
            raise NotFound("no such ticket in this estate")
        return summary(ticket)

    def ListTickets(
        self, request: ticketing_pb2.ListTicketsRequest, context: grpc.ServicerContext
    ) -> ticketing_pb2.ListTicketsResponse:
        code = _estate(request.estate_code)
        limit = request.limit or 100
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
        status = request.status or None
        if status is not None and status not in {s.value for s in Status}:
            raise InvalidInput(f"status must be one of {', '.join(s.value for s in Status)}")
        with self._uow(code) as uow:
            tickets = uow.tickets.all_in_estate(code, limit, request.after_ticket_id or None, status)
        return ticketing_pb2.ListTicketsResponse(
            tickets=[summary(t) for t in tickets],
            next_after=tickets[-1].id if len(tickets) == limit else "",
        )


def register(unit_of_work: Callable[[str], TicketingUnitOfWork]) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        ticketing_pb2_grpc.add_TicketingServiceServicer_to_server(TicketingServicer(unit_of_work), server)

    return add
