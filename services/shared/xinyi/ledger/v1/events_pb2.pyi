from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TrustBooksOpened(_message.Message):
    __slots__ = ("estate_code", "account_count")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_COUNT_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    account_count: int
    def __init__(self, estate_code: _Optional[str] = ..., account_count: _Optional[int] = ...) -> None: ...

class PeriodClosed(_message.Message):
    __slots__ = ("estate_code", "period", "fees_billed_fen", "fees_collected_fen", "collection_rate_bps", "remuneration_fen", "donation_fen", "closing_balance_fen", "surplus_year_to_date_fen")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FEES_BILLED_FEN_FIELD_NUMBER: _ClassVar[int]
    FEES_COLLECTED_FEN_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_FEN_FIELD_NUMBER: _ClassVar[int]
    DONATION_FEN_FIELD_NUMBER: _ClassVar[int]
    CLOSING_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_YEAR_TO_DATE_FEN_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    period: str
    fees_billed_fen: int
    fees_collected_fen: int
    collection_rate_bps: int
    remuneration_fen: int
    donation_fen: int
    closing_balance_fen: int
    surplus_year_to_date_fen: int
    def __init__(self, estate_code: _Optional[str] = ..., period: _Optional[str] = ..., fees_billed_fen: _Optional[int] = ..., fees_collected_fen: _Optional[int] = ..., collection_rate_bps: _Optional[int] = ..., remuneration_fen: _Optional[int] = ..., donation_fen: _Optional[int] = ..., closing_balance_fen: _Optional[int] = ..., surplus_year_to_date_fen: _Optional[int] = ...) -> None: ...

class DonationDeclared(_message.Message):
    __slots__ = ("estate_code", "community_code", "period", "amount_fen", "transaction_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    community_code: str
    period: str
    amount_fen: int
    transaction_id: str
    def __init__(self, estate_code: _Optional[str] = ..., community_code: _Optional[str] = ..., period: _Optional[str] = ..., amount_fen: _Optional[int] = ..., transaction_id: _Optional[str] = ...) -> None: ...
