from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetFundRequest(_message.Message):
    __slots__ = ("community_code",)
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    def __init__(self, community_code: _Optional[str] = ...) -> None: ...

class FundSummary(_message.Message):
    __slots__ = ("community_code", "name", "estate_codes", "balance_fen", "pledged_fen", "received_from_firms_fen", "other_donations_fen", "granted_fen", "disbursed_fen", "grants_open")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ESTATE_CODES_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    PLEDGED_FEN_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FROM_FIRMS_FEN_FIELD_NUMBER: _ClassVar[int]
    OTHER_DONATIONS_FEN_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FEN_FIELD_NUMBER: _ClassVar[int]
    DISBURSED_FEN_FIELD_NUMBER: _ClassVar[int]
    GRANTS_OPEN_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    name: str
    estate_codes: _containers.RepeatedScalarFieldContainer[str]
    balance_fen: int
    pledged_fen: int
    received_from_firms_fen: int
    other_donations_fen: int
    granted_fen: int
    disbursed_fen: int
    grants_open: int
    def __init__(self, community_code: _Optional[str] = ..., name: _Optional[str] = ..., estate_codes: _Optional[_Iterable[str]] = ..., balance_fen: _Optional[int] = ..., pledged_fen: _Optional[int] = ..., received_from_firms_fen: _Optional[int] = ..., other_donations_fen: _Optional[int] = ..., granted_fen: _Optional[int] = ..., disbursed_fen: _Optional[int] = ..., grants_open: _Optional[int] = ...) -> None: ...
