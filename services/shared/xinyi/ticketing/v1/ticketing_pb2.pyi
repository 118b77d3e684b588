from xinyi.ticketing.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TicketSummary(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "category", "urgency", "status", "grid_code", "common_area", "reported_at", "first_response_due_at", "resolution_due_at", "escalation_level", "complaint", "complaint_escalated", "materials_fen", "figures", "rating")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    COMMON_AREA_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ESCALATED_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FEN_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    category: str
    urgency: str
    status: str
    grid_code: str
    common_area: bool
    reported_at: str
    first_response_due_at: str
    resolution_due_at: str
    escalation_level: str
    complaint: bool
    complaint_escalated: bool
    materials_fen: int
    figures: _events_pb2.TicketFigures
    rating: int
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., category: _Optional[str] = ..., urgency: _Optional[str] = ..., status: _Optional[str] = ..., grid_code: _Optional[str] = ..., common_area: _Optional[bool] = ..., reported_at: _Optional[str] = ..., first_response_due_at: _Optional[str] = ..., resolution_due_at: _Optional[str] = ..., escalation_level: _Optional[str] = ..., complaint: _Optional[bool] = ..., complaint_escalated: _Optional[bool] = ..., materials_fen: _Optional[int] = ..., figures: _Optional[_Union[_events_pb2.TicketFigures, _Mapping]] = ..., rating: _Optional[int] = ...) -> None: ...

class GetTicketRequest(_message.Message):
    __slots__ = ("estate_code", "ticket_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ...) -> None: ...

class ListTicketsRequest(_message.Message):
    __slots__ = ("estate_code", "status", "limit", "after_ticket_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AFTER_TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    status: str
    limit: int
    after_ticket_id: str
    def __init__(self, estate_code: _Optional[str] = ..., status: _Optional[str] = ..., limit: _Optional[int] = ..., after_ticket_id: _Optional[str] = ...) -> None: ...

class ListTicketsResponse(_message.Message):
    __slots__ = ("tickets", "next_after")
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_AFTER_FIELD_NUMBER: _ClassVar[int]
    tickets: _containers.RepeatedCompositeFieldContainer[TicketSummary]
    next_after: str
    def __init__(self, tickets: _Optional[_Iterable[_Union[TicketSummary, _Mapping]]] = ..., next_after: _Optional[str] = ...) -> None: ...
