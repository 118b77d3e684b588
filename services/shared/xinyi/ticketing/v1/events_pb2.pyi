from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TicketFigures(_message.Message):
    __slots__ = ("first_response_seconds", "resolution_seconds", "first_response_met", "resolution_met", "reopen_count")
    FIRST_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_MET_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_MET_FIELD_NUMBER: _ClassVar[int]
    REOPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    first_response_seconds: int
    resolution_seconds: int
    first_response_met: bool
    resolution_met: bool
    reopen_count: int
    def __init__(self, first_response_seconds: _Optional[int] = ..., resolution_seconds: _Optional[int] = ..., first_response_met: _Optional[bool] = ..., resolution_met: _Optional[bool] = ..., reopen_count: _Optional[int] = ...) -> None: ...

class TicketReported(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "category", "urgency", "grid_code", "reporter_kind", "common_area", "reported_at", "first_response_due_at", "resolution_due_at", "public")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_KIND_FIELD_NUMBER: _ClassVar[int]
    COMMON_AREA_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    category: str
    urgency: str
    grid_code: str
    reporter_kind: str
    common_area: bool
    reported_at: str
    first_response_due_at: str
    resolution_due_at: str
    public: bool
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., category: _Optional[str] = ..., urgency: _Optional[str] = ..., grid_code: _Optional[str] = ..., reporter_kind: _Optional[str] = ..., common_area: _Optional[bool] = ..., reported_at: _Optional[str] = ..., first_response_due_at: _Optional[str] = ..., resolution_due_at: _Optional[str] = ..., public: _Optional[bool] = ...) -> None: ...

class TicketTransitioned(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "seq", "action", "from_status", "to_status", "at", "actor_role", "category", "urgency", "figures")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    seq: int
    action: str
    from_status: str
    to_status: str
    at: str
    actor_role: str
    category: str
    urgency: str
    figures: TicketFigures
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., seq: _Optional[int] = ..., action: _Optional[str] = ..., from_status: _Optional[str] = ..., to_status: _Optional[str] = ..., at: _Optional[str] = ..., actor_role: _Optional[str] = ..., category: _Optional[str] = ..., urgency: _Optional[str] = ..., figures: _Optional[_Union[TicketFigures, _Mapping]] = ...) -> None: ...

class TicketRated(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "score", "at", "category")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    score: int
    at: str
    category: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., score: _Optional[int] = ..., at: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class SlaBreached(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "kind", "level", "deadline", "detected_at", "category", "urgency")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    kind: str
    level: str
    deadline: str
    detected_at: str
    category: str
    urgency: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., kind: _Optional[str] = ..., level: _Optional[str] = ..., deadline: _Optional[str] = ..., detected_at: _Optional[str] = ..., category: _Optional[str] = ..., urgency: _Optional[str] = ...) -> None: ...

class ComplaintFiled(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "at", "category")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    at: str
    category: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., at: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class ComplaintEscalated(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "at", "category", "by_role")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BY_ROLE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    at: str
    category: str
    by_role: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., at: _Optional[str] = ..., category: _Optional[str] = ..., by_role: _Optional[str] = ...) -> None: ...

class MaterialsRecorded(_message.Message):
    __slots__ = ("estate_code", "ticket_id", "expense_id", "amount_fen", "account")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ticket_id: str
    expense_id: str
    amount_fen: int
    account: str
    def __init__(self, estate_code: _Optional[str] = ..., ticket_id: _Optional[str] = ..., expense_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., account: _Optional[str] = ...) -> None: ...
