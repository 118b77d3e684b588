from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EstateStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ESTATE_STATUS_UNSPECIFIED: _ClassVar[EstateStatus]
    ESTATE_STATUS_PROVISIONING: _ClassVar[EstateStatus]
    ESTATE_STATUS_ACTIVE: _ClassVar[EstateStatus]
    ESTATE_STATUS_SUSPENDED: _ClassVar[EstateStatus]
    ESTATE_STATUS_OFFBOARDED: _ClassVar[EstateStatus]
ESTATE_STATUS_UNSPECIFIED: EstateStatus
ESTATE_STATUS_PROVISIONING: EstateStatus
ESTATE_STATUS_ACTIVE: EstateStatus
ESTATE_STATUS_SUSPENDED: EstateStatus
ESTATE_STATUS_OFFBOARDED: EstateStatus

class Estate(_message.Message):
    __slots__ = ("code", "name", "district_code", "community_code", "fee_rate_fen_per_sqm_month", "remuneration_share_bps", "donation_share_bps", "status", "time_zone")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_CODE_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_FEN_PER_SQM_MONTH_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    DONATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    district_code: str
    community_code: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    status: EstateStatus
    time_zone: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., district_code: _Optional[str] = ..., community_code: _Optional[str] = ..., fee_rate_fen_per_sqm_month: _Optional[str] = ..., remuneration_share_bps: _Optional[int] = ..., donation_share_bps: _Optional[int] = ..., status: _Optional[_Union[EstateStatus, str]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class GetEstateRequest(_message.Message):
    __slots__ = ("estate_code",)
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    def __init__(self, estate_code: _Optional[str] = ...) -> None: ...
