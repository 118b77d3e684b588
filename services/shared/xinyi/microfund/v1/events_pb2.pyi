from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DonationPledged(_message.Message):
    __slots__ = ("community_code", "estate_code", "period", "amount_fen", "pledge_id")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PLEDGE_ID_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    estate_code: str
    period: str
    amount_fen: int
    pledge_id: str
    def __init__(self, community_code: _Optional[str] = ..., estate_code: _Optional[str] = ..., period: _Optional[str] = ..., amount_fen: _Optional[int] = ..., pledge_id: _Optional[str] = ...) -> None: ...

class DonationReceived(_message.Message):
    __slots__ = ("community_code", "donation_id", "source", "estate_code", "amount_fen", "anonymous")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    DONATION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    donation_id: str
    source: str
    estate_code: str
    amount_fen: int
    anonymous: bool
    def __init__(self, community_code: _Optional[str] = ..., donation_id: _Optional[str] = ..., source: _Optional[str] = ..., estate_code: _Optional[str] = ..., amount_fen: _Optional[int] = ..., anonymous: _Optional[bool] = ...) -> None: ...

class GrantApplied(_message.Message):
    __slots__ = ("community_code", "grant_id", "amount_fen", "benefiting_estates")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    BENEFITING_ESTATES_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    grant_id: str
    amount_fen: int
    benefiting_estates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, community_code: _Optional[str] = ..., grant_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., benefiting_estates: _Optional[_Iterable[str]] = ...) -> None: ...

class GrantDecided(_message.Message):
    __slots__ = ("community_code", "grant_id", "approved", "amount_fen", "decided_by", "ballot_id")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVED_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    BALLOT_ID_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    grant_id: str
    approved: bool
    amount_fen: int
    decided_by: str
    ballot_id: str
    def __init__(self, community_code: _Optional[str] = ..., grant_id: _Optional[str] = ..., approved: _Optional[bool] = ..., amount_fen: _Optional[int] = ..., decided_by: _Optional[str] = ..., ballot_id: _Optional[str] = ...) -> None: ...

class GrantDisbursed(_message.Message):
    __slots__ = ("community_code", "grant_id", "instalment", "amount_fen", "receipt_sha256")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTALMENT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    grant_id: str
    instalment: int
    amount_fen: int
    receipt_sha256: str
    def __init__(self, community_code: _Optional[str] = ..., grant_id: _Optional[str] = ..., instalment: _Optional[int] = ..., amount_fen: _Optional[int] = ..., receipt_sha256: _Optional[str] = ...) -> None: ...

class GrantClosed(_message.Message):
    __slots__ = ("community_code", "grant_id", "disbursed_fen")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    DISBURSED_FEN_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    grant_id: str
    disbursed_fen: int
    def __init__(self, community_code: _Optional[str] = ..., grant_id: _Optional[str] = ..., disbursed_fen: _Optional[int] = ...) -> None: ...
