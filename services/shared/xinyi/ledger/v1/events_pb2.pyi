from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Approval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPROVAL_UNSPECIFIED: _ClassVar[Approval]
    APPROVAL_SUPERVISOR: _ClassVar[Approval]
    APPROVAL_SECOND_SUPERVISOR: _ClassVar[Approval]
    APPROVAL_BALLOT: _ClassVar[Approval]
APPROVAL_UNSPECIFIED: Approval
APPROVAL_SUPERVISOR: Approval
APPROVAL_SECOND_SUPERVISOR: Approval
APPROVAL_BALLOT: Approval

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

class BooksMoved(_message.Message):
    __slots__ = ("estate_code", "period", "fees_billed_fen", "fees_collected_fen", "income_fen", "expenses_fen", "budget_lines", "transactions")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FEES_BILLED_FEN_FIELD_NUMBER: _ClassVar[int]
    FEES_COLLECTED_FEN_FIELD_NUMBER: _ClassVar[int]
    INCOME_FEN_FIELD_NUMBER: _ClassVar[int]
    EXPENSES_FEN_FIELD_NUMBER: _ClassVar[int]
    BUDGET_LINES_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    period: str
    fees_billed_fen: int
    fees_collected_fen: int
    income_fen: int
    expenses_fen: int
    budget_lines: _containers.RepeatedCompositeFieldContainer[BudgetLineAmount]
    transactions: int
    def __init__(self, estate_code: _Optional[str] = ..., period: _Optional[str] = ..., fees_billed_fen: _Optional[int] = ..., fees_collected_fen: _Optional[int] = ..., income_fen: _Optional[int] = ..., expenses_fen: _Optional[int] = ..., budget_lines: _Optional[_Iterable[_Union[BudgetLineAmount, _Mapping]]] = ..., transactions: _Optional[int] = ...) -> None: ...

class BudgetAdopted(_message.Message):
    __slots__ = ("estate_code", "year", "draft_id", "plan_name", "ballot_id", "fee_income_fen", "lines")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    DRAFT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_NAME_FIELD_NUMBER: _ClassVar[int]
    BALLOT_ID_FIELD_NUMBER: _ClassVar[int]
    FEE_INCOME_FEN_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    year: int
    draft_id: str
    plan_name: str
    ballot_id: str
    fee_income_fen: int
    lines: _containers.RepeatedCompositeFieldContainer[BudgetLineAmount]
    def __init__(self, estate_code: _Optional[str] = ..., year: _Optional[int] = ..., draft_id: _Optional[str] = ..., plan_name: _Optional[str] = ..., ballot_id: _Optional[str] = ..., fee_income_fen: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[BudgetLineAmount, _Mapping]]] = ...) -> None: ...

class BudgetLineAmount(_message.Message):
    __slots__ = ("account", "name", "amount_fen")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    account: str
    name: str
    amount_fen: int
    def __init__(self, account: _Optional[str] = ..., name: _Optional[str] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class ExpenseProposed(_message.Message):
    __slots__ = ("estate_code", "expense_id", "account", "amount_fen", "escalation", "ticket_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    account: str
    amount_fen: int
    escalation: str
    ticket_id: str
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., account: _Optional[str] = ..., amount_fen: _Optional[int] = ..., escalation: _Optional[str] = ..., ticket_id: _Optional[str] = ...) -> None: ...

class ExpenseApproved(_message.Message):
    __slots__ = ("estate_code", "expense_id", "account", "amount_fen", "period", "transaction_id", "approval")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    account: str
    amount_fen: int
    period: str
    transaction_id: str
    approval: Approval
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., account: _Optional[str] = ..., amount_fen: _Optional[int] = ..., period: _Optional[str] = ..., transaction_id: _Optional[str] = ..., approval: _Optional[_Union[Approval, str]] = ...) -> None: ...

class ExpenseRejected(_message.Message):
    __slots__ = ("estate_code", "expense_id", "account", "amount_fen", "by_ballot")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    BY_BALLOT_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    account: str
    amount_fen: int
    by_ballot: bool
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., account: _Optional[str] = ..., amount_fen: _Optional[int] = ..., by_ballot: _Optional[bool] = ...) -> None: ...

class ExpensePaid(_message.Message):
    __slots__ = ("estate_code", "expense_id", "amount_fen", "period", "transaction_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    amount_fen: int
    period: str
    transaction_id: str
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., period: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class ExpenseQuestioned(_message.Message):
    __slots__ = ("estate_code", "expense_id", "question_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    question_id: str
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., question_id: _Optional[str] = ...) -> None: ...

class ExpenseQuestionAnswered(_message.Message):
    __slots__ = ("estate_code", "expense_id", "question_id")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPENSE_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    expense_id: str
    question_id: str
    def __init__(self, estate_code: _Optional[str] = ..., expense_id: _Optional[str] = ..., question_id: _Optional[str] = ...) -> None: ...

class CheckpointPublished(_message.Message):
    __slots__ = ("estate_code", "period", "origin", "tree_size", "root_hash")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    period: str
    origin: str
    tree_size: int
    root_hash: bytes
    def __init__(self, estate_code: _Optional[str] = ..., period: _Optional[str] = ..., origin: _Optional[str] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ...) -> None: ...

class CheckpointCosigned(_message.Message):
    __slots__ = ("estate_code", "origin", "tree_size", "witness_key_name")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    WITNESS_KEY_NAME_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    origin: str
    tree_size: int
    witness_key_name: str
    def __init__(self, estate_code: _Optional[str] = ..., origin: _Optional[str] = ..., tree_size: _Optional[int] = ..., witness_key_name: _Optional[str] = ...) -> None: ...
