from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AccountType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_TYPE_UNSPECIFIED: _ClassVar[AccountType]
    ACCOUNT_TYPE_ASSET: _ClassVar[AccountType]
    ACCOUNT_TYPE_LIABILITY: _ClassVar[AccountType]
    ACCOUNT_TYPE_EQUITY: _ClassVar[AccountType]
    ACCOUNT_TYPE_INCOME: _ClassVar[AccountType]
    ACCOUNT_TYPE_EXPENSE: _ClassVar[AccountType]
ACCOUNT_TYPE_UNSPECIFIED: AccountType
ACCOUNT_TYPE_ASSET: AccountType
ACCOUNT_TYPE_LIABILITY: AccountType
ACCOUNT_TYPE_EQUITY: AccountType
ACCOUNT_TYPE_INCOME: AccountType
ACCOUNT_TYPE_EXPENSE: AccountType

class Account(_message.Message):
    __slots__ = ("code", "name", "name_zh", "type")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_ZH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    name_zh: str
    type: AccountType
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., name_zh: _Optional[str] = ..., type: _Optional[_Union[AccountType, str]] = ...) -> None: ...

class GetChartOfAccountsRequest(_message.Message):
    __slots__ = ("estate_code",)
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    def __init__(self, estate_code: _Optional[str] = ...) -> None: ...

class ChartOfAccounts(_message.Message):
    __slots__ = ("estate_code", "accounts", "fee_rate_fen_per_sqm_month", "remuneration_share_bps", "donation_share_bps")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_FEN_PER_SQM_MONTH_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    DONATION_SHARE_BPS_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    def __init__(self, estate_code: _Optional[str] = ..., accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., fee_rate_fen_per_sqm_month: _Optional[str] = ..., remuneration_share_bps: _Optional[int] = ..., donation_share_bps: _Optional[int] = ...) -> None: ...
