from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EstateStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ESTATE_STATUS_UNSPECIFIED: _ClassVar[EstateStatus]
    ESTATE_STATUS_PROVISIONING: _ClassVar[EstateStatus]
    ESTATE_STATUS_ACTIVE: _ClassVar[EstateStatus]
    ESTATE_STATUS_SUSPENDED: _ClassVar[EstateStatus]
    ESTATE_STATUS_OFFBOARDED: _ClassVar[EstateStatus]

class RemunerationBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REMUNERATION_BASIS_UNSPECIFIED: _ClassVar[RemunerationBasis]
    REMUNERATION_BASIS_COLLECTED: _ClassVar[RemunerationBasis]
    REMUNERATION_BASIS_BILLED: _ClassVar[RemunerationBasis]
ESTATE_STATUS_UNSPECIFIED: EstateStatus
ESTATE_STATUS_PROVISIONING: EstateStatus
ESTATE_STATUS_ACTIVE: EstateStatus
ESTATE_STATUS_SUSPENDED: EstateStatus
ESTATE_STATUS_OFFBOARDED: EstateStatus
REMUNERATION_BASIS_UNSPECIFIED: RemunerationBasis
REMUNERATION_BASIS_COLLECTED: RemunerationBasis
REMUNERATION_BASIS_BILLED: RemunerationBasis

class Estate(_message.Message):
    __slots__ = ("code", "name", "district_code", "community_code", "fee_rate_fen_per_sqm_month", "remuneration_share_bps", "donation_share_bps", "status", "time_zone", "sub_district_code", "remuneration_basis", "billing_day", "firm_name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_CODE_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_FEN_PER_SQM_MONTH_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    DONATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    SUB_DISTRICT_CODE_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_BASIS_FIELD_NUMBER: _ClassVar[int]
    BILLING_DAY_FIELD_NUMBER: _ClassVar[int]
    FIRM_NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    district_code: str
    community_code: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    status: EstateStatus
    time_zone: str
    sub_district_code: str
    remuneration_basis: RemunerationBasis
    billing_day: int
    firm_name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., district_code: _Optional[str] = ..., community_code: _Optional[str] = ..., fee_rate_fen_per_sqm_month: _Optional[str] = ..., remuneration_share_bps: _Optional[int] = ..., donation_share_bps: _Optional[int] = ..., status: _Optional[_Union[EstateStatus, str]] = ..., time_zone: _Optional[str] = ..., sub_district_code: _Optional[str] = ..., remuneration_basis: _Optional[_Union[RemunerationBasis, str]] = ..., billing_day: _Optional[int] = ..., firm_name: _Optional[str] = ...) -> None: ...

class EstateRules(_message.Message):
    __slots__ = ("effective_from", "fee_rate_fen_per_sqm_month", "remuneration_share_bps", "donation_share_bps", "remuneration_basis", "billing_day")
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_FEN_PER_SQM_MONTH_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    DONATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_BASIS_FIELD_NUMBER: _ClassVar[int]
    BILLING_DAY_FIELD_NUMBER: _ClassVar[int]
    effective_from: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    remuneration_basis: RemunerationBasis
    billing_day: int
    def __init__(self, effective_from: _Optional[str] = ..., fee_rate_fen_per_sqm_month: _Optional[str] = ..., remuneration_share_bps: _Optional[int] = ..., donation_share_bps: _Optional[int] = ..., remuneration_basis: _Optional[_Union[RemunerationBasis, str]] = ..., billing_day: _Optional[int] = ...) -> None: ...

class Household(_message.Message):
    __slots__ = ("id", "estate_code", "building", "unit", "floor", "room", "area_centi_sqm", "grid_code", "occupied_from", "occupied_until")
    ID_FIELD_NUMBER: _ClassVar[int]
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    ROOM_FIELD_NUMBER: _ClassVar[int]
    AREA_CENTI_SQM_FIELD_NUMBER: _ClassVar[int]
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    OCCUPIED_FROM_FIELD_NUMBER: _ClassVar[int]
    OCCUPIED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    estate_code: str
    building: str
    unit: str
    floor: str
    room: str
    area_centi_sqm: int
    grid_code: str
    occupied_from: str
    occupied_until: str
    def __init__(self, id: _Optional[str] = ..., estate_code: _Optional[str] = ..., building: _Optional[str] = ..., unit: _Optional[str] = ..., floor: _Optional[str] = ..., room: _Optional[str] = ..., area_centi_sqm: _Optional[int] = ..., grid_code: _Optional[str] = ..., occupied_from: _Optional[str] = ..., occupied_until: _Optional[str] = ...) -> None: ...

class GetEstateRequest(_message.Message):
    __slots__ = ("estate_code", "rules_on")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    RULES_ON_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    rules_on: str
    def __init__(self, estate_code: _Optional[str] = ..., rules_on: _Optional[str] = ...) -> None: ...

class ListHouseholdsRequest(_message.Message):
    __slots__ = ("estate_code",)
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    def __init__(self, estate_code: _Optional[str] = ...) -> None: ...

class HouseholdPage(_message.Message):
    __slots__ = ("households",)
    HOUSEHOLDS_FIELD_NUMBER: _ClassVar[int]
    households: _containers.RepeatedCompositeFieldContainer[Household]
    def __init__(self, households: _Optional[_Iterable[_Union[Household, _Mapping]]] = ...) -> None: ...

class GetHouseholdRequest(_message.Message):
    __slots__ = ("estate_code", "household_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    household_id: str
    def __init__(self, estate_code: _Optional[str] = ..., household_id: _Optional[str] = ...) -> None: ...

class ResolveGridRequest(_message.Message):
    __slots__ = ("estate_code", "household_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    household_id: str
    def __init__(self, estate_code: _Optional[str] = ..., household_id: _Optional[str] = ...) -> None: ...

class Grid(_message.Message):
    __slots__ = ("estate_code", "code", "name", "leader_usernames")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEADER_USERNAMES_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    code: str
    name: str
    leader_usernames: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, estate_code: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., leader_usernames: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckMembershipRequest(_message.Message):
    __slots__ = ("estate_code", "user_id", "username")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    user_id: str
    username: str
    def __init__(self, estate_code: _Optional[str] = ..., user_id: _Optional[str] = ..., username: _Optional[str] = ...) -> None: ...

class Membership(_message.Message):
    __slots__ = ("member", "household_ids", "led_grid_codes")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_IDS_FIELD_NUMBER: _ClassVar[int]
    LED_GRID_CODES_FIELD_NUMBER: _ClassVar[int]
    member: bool
    household_ids: _containers.RepeatedScalarFieldContainer[str]
    led_grid_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, member: _Optional[bool] = ..., household_ids: _Optional[_Iterable[str]] = ..., led_grid_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListEstateStaffRequest(_message.Message):
    __slots__ = ("estate_code",)
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    def __init__(self, estate_code: _Optional[str] = ...) -> None: ...

class StaffAccount(_message.Message):
    __slots__ = ("account_id", "username", "display_name", "roles")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    username: str
    display_name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, account_id: _Optional[str] = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ...) -> None: ...

class EstateStaff(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[StaffAccount]
    def __init__(self, accounts: _Optional[_Iterable[_Union[StaffAccount, _Mapping]]] = ...) -> None: ...
