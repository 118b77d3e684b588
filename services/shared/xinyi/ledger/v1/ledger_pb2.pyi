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

class PostingLine(_message.Message):
    __slots__ = ("account", "amount_fen", "household_id")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    account: str
    amount_fen: int
    household_id: str
    def __init__(self, account: _Optional[str] = ..., amount_fen: _Optional[int] = ..., household_id: _Optional[str] = ...) -> None: ...

class PostTransactionRequest(_message.Message):
    __slots__ = ("estate_code", "book", "idempotency_key", "kind", "memo", "lines", "community_code")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOK_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    book: str
    idempotency_key: str
    kind: str
    memo: str
    lines: _containers.RepeatedCompositeFieldContainer[PostingLine]
    community_code: str
    def __init__(self, estate_code: _Optional[str] = ..., book: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., kind: _Optional[str] = ..., memo: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[PostingLine, _Mapping]]] = ..., community_code: _Optional[str] = ...) -> None: ...

class PostedTransaction(_message.Message):
    __slots__ = ("transaction_id", "period", "replayed")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    period: str
    replayed: bool
    def __init__(self, transaction_id: _Optional[str] = ..., period: _Optional[str] = ..., replayed: _Optional[bool] = ...) -> None: ...

class PostTransactionsRequest(_message.Message):
    __slots__ = ("estate_code", "book", "transactions", "community_code")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOK_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    book: str
    transactions: _containers.RepeatedCompositeFieldContainer[PostTransactionItem]
    community_code: str
    def __init__(self, estate_code: _Optional[str] = ..., book: _Optional[str] = ..., transactions: _Optional[_Iterable[_Union[PostTransactionItem, _Mapping]]] = ..., community_code: _Optional[str] = ...) -> None: ...

class PostTransactionItem(_message.Message):
    __slots__ = ("idempotency_key", "kind", "memo", "lines")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    kind: str
    memo: str
    lines: _containers.RepeatedCompositeFieldContainer[PostingLine]
    def __init__(self, idempotency_key: _Optional[str] = ..., kind: _Optional[str] = ..., memo: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[PostingLine, _Mapping]]] = ...) -> None: ...

class PostTransactionResult(_message.Message):
    __slots__ = ("idempotency_key", "transaction_id", "period", "replayed", "error_code", "error_reason")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    transaction_id: str
    period: str
    replayed: bool
    error_code: str
    error_reason: str
    def __init__(self, idempotency_key: _Optional[str] = ..., transaction_id: _Optional[str] = ..., period: _Optional[str] = ..., replayed: _Optional[bool] = ..., error_code: _Optional[str] = ..., error_reason: _Optional[str] = ...) -> None: ...

class PostTransactionsResponse(_message.Message):
    __slots__ = ("results", "posted", "replayed", "refused")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    POSTED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[PostTransactionResult]
    posted: int
    replayed: int
    refused: int
    def __init__(self, results: _Optional[_Iterable[_Union[PostTransactionResult, _Mapping]]] = ..., posted: _Optional[int] = ..., replayed: _Optional[int] = ..., refused: _Optional[int] = ...) -> None: ...

class GetBalancesRequest(_message.Message):
    __slots__ = ("estate_code", "book", "community_code")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOK_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    book: str
    community_code: str
    def __init__(self, estate_code: _Optional[str] = ..., book: _Optional[str] = ..., community_code: _Optional[str] = ...) -> None: ...

class OpenFundBookRequest(_message.Message):
    __slots__ = ("community_code", "name")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    name: str
    def __init__(self, community_code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class FundBook(_message.Message):
    __slots__ = ("community_code", "name", "accounts", "opened_now")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    OPENED_NOW_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    name: str
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    opened_now: bool
    def __init__(self, community_code: _Optional[str] = ..., name: _Optional[str] = ..., accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., opened_now: _Optional[bool] = ...) -> None: ...

class PublishFundCheckpointRequest(_message.Message):
    __slots__ = ("community_code",)
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    def __init__(self, community_code: _Optional[str] = ...) -> None: ...

class FundCheckpoint(_message.Message):
    __slots__ = ("community_code", "tree_size", "note")
    COMMUNITY_CODE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    community_code: str
    tree_size: int
    note: str
    def __init__(self, community_code: _Optional[str] = ..., tree_size: _Optional[int] = ..., note: _Optional[str] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("account", "balance_fen")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    account: str
    balance_fen: int
    def __init__(self, account: _Optional[str] = ..., balance_fen: _Optional[int] = ...) -> None: ...

class Balances(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("estate_code", "period")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    period: str
    def __init__(self, estate_code: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("estate_code", "period", "closed", "opening_balance_fen", "fees_billed_fen", "fees_collected_fen", "collection_rate_bps", "common_income_by_kind", "expenses_by_budget_line", "remuneration_fen", "donation_fen", "closing_balance_fen", "surplus_year_to_date_fen")
    class CommonIncomeByKindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ExpensesByBudgetLineEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    OPENING_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    FEES_BILLED_FEN_FIELD_NUMBER: _ClassVar[int]
    FEES_COLLECTED_FEN_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    COMMON_INCOME_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    EXPENSES_BY_BUDGET_LINE_FIELD_NUMBER: _ClassVar[int]
    REMUNERATION_FEN_FIELD_NUMBER: _ClassVar[int]
    DONATION_FEN_FIELD_NUMBER: _ClassVar[int]
    CLOSING_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_YEAR_TO_DATE_FEN_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    period: str
    closed: bool
    opening_balance_fen: int
    fees_billed_fen: int
    fees_collected_fen: int
    collection_rate_bps: int
    common_income_by_kind: _containers.ScalarMap[str, int]
    expenses_by_budget_line: _containers.ScalarMap[str, int]
    remuneration_fen: int
    donation_fen: int
    closing_balance_fen: int
    surplus_year_to_date_fen: int
    def __init__(self, estate_code: _Optional[str] = ..., period: _Optional[str] = ..., closed: _Optional[bool] = ..., opening_balance_fen: _Optional[int] = ..., fees_billed_fen: _Optional[int] = ..., fees_collected_fen: _Optional[int] = ..., collection_rate_bps: _Optional[int] = ..., common_income_by_kind: _Optional[_Mapping[str, int]] = ..., expenses_by_budget_line: _Optional[_Mapping[str, int]] = ..., remuneration_fen: _Optional[int] = ..., donation_fen: _Optional[int] = ..., closing_balance_fen: _Optional[int] = ..., surplus_year_to_date_fen: _Optional[int] = ...) -> None: ...

class UploadVoucherRequest(_message.Message):
    __slots__ = ("estate_code", "content", "file_name", "uploaded_by")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    UPLOADED_BY_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    content: bytes
    file_name: str
    uploaded_by: str
    def __init__(self, estate_code: _Optional[str] = ..., content: _Optional[bytes] = ..., file_name: _Optional[str] = ..., uploaded_by: _Optional[str] = ...) -> None: ...

class VoucherRef(_message.Message):
    __slots__ = ("sha256", "size", "media_type")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    size: int
    media_type: str
    def __init__(self, sha256: _Optional[str] = ..., size: _Optional[int] = ..., media_type: _Optional[str] = ...) -> None: ...

class ProposeExpenseRequest(_message.Message):
    __slots__ = ("estate_code", "idempotency_key", "payee", "amount_fen", "account", "description", "vouchers", "proposed_by", "proposed_by_name", "ticket_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PAYEE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VOUCHERS_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_NAME_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    idempotency_key: str
    payee: str
    amount_fen: int
    account: str
    description: str
    vouchers: _containers.RepeatedScalarFieldContainer[str]
    proposed_by: str
    proposed_by_name: str
    ticket_id: str
    def __init__(self, estate_code: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., payee: _Optional[str] = ..., amount_fen: _Optional[int] = ..., account: _Optional[str] = ..., description: _Optional[str] = ..., vouchers: _Optional[_Iterable[str]] = ..., proposed_by: _Optional[str] = ..., proposed_by_name: _Optional[str] = ..., ticket_id: _Optional[str] = ...) -> None: ...

class ProposedExpense(_message.Message):
    __slots__ = ("expense_id", "status", "escalation", "replayed", "ticket_id")
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    expense_id: str
    status: str
    escalation: str
    replayed: bool
    ticket_id: str
    def __init__(self, expense_id: _Optional[str] = ..., status: _Optional[str] = ..., escalation: _Optional[str] = ..., replayed: _Optional[bool] = ..., ticket_id: _Optional[str] = ...) -> None: ...
