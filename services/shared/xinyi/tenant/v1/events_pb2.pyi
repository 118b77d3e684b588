from xinyi.tenant.v1 import tenant_pb2 as _tenant_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EstateOnboarded(_message.Message):
    __slots__ = ("estate", "rules")
    ESTATE_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    estate: _tenant_pb2.Estate
    rules: _tenant_pb2.EstateRules
    def __init__(self, estate: _Optional[_Union[_tenant_pb2.Estate, _Mapping]] = ..., rules: _Optional[_Union[_tenant_pb2.EstateRules, _Mapping]] = ...) -> None: ...

class EstateSuspended(_message.Message):
    __slots__ = ("estate_code", "reason")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    reason: str
    def __init__(self, estate_code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EstateResumed(_message.Message):
    __slots__ = ("estate_code",)
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    def __init__(self, estate_code: _Optional[str] = ...) -> None: ...

class EstateOffboarded(_message.Message):
    __slots__ = ("estate_code", "archive_sha256")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_SHA256_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    archive_sha256: str
    def __init__(self, estate_code: _Optional[str] = ..., archive_sha256: _Optional[str] = ...) -> None: ...

class EstateRulesChanged(_message.Message):
    __slots__ = ("estate_code", "rules")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    rules: _tenant_pb2.EstateRules
    def __init__(self, estate_code: _Optional[str] = ..., rules: _Optional[_Union[_tenant_pb2.EstateRules, _Mapping]] = ...) -> None: ...

class HouseholdsImported(_message.Message):
    __slots__ = ("estate_code", "household_ids")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_IDS_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    household_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, estate_code: _Optional[str] = ..., household_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class HouseholdChanged(_message.Message):
    __slots__ = ("household",)
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    household: _tenant_pb2.Household
    def __init__(self, household: _Optional[_Union[_tenant_pb2.Household, _Mapping]] = ...) -> None: ...

class BallotOpened(_message.Message):
    __slots__ = ("estate_code", "ballot_id", "question", "options", "closes_at", "electorate_size", "subject")
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BALLOT_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CLOSES_AT_FIELD_NUMBER: _ClassVar[int]
    ELECTORATE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ballot_id: str
    question: str
    options: _containers.RepeatedScalarFieldContainer[str]
    closes_at: str
    electorate_size: int
    subject: str
    def __init__(self, estate_code: _Optional[str] = ..., ballot_id: _Optional[str] = ..., question: _Optional[str] = ..., options: _Optional[_Iterable[str]] = ..., closes_at: _Optional[str] = ..., electorate_size: _Optional[int] = ..., subject: _Optional[str] = ...) -> None: ...

class BallotClosed(_message.Message):
    __slots__ = ("estate_code", "ballot_id", "tally", "electorate_size", "votes_cast", "quorum_met", "adopted_option", "subject")
    class TallyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ESTATE_CODE_FIELD_NUMBER: _ClassVar[int]
    BALLOT_ID_FIELD_NUMBER: _ClassVar[int]
    TALLY_FIELD_NUMBER: _ClassVar[int]
    ELECTORATE_SIZE_FIELD_NUMBER: _ClassVar[int]
    VOTES_CAST_FIELD_NUMBER: _ClassVar[int]
    QUORUM_MET_FIELD_NUMBER: _ClassVar[int]
    ADOPTED_OPTION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    estate_code: str
    ballot_id: str
    tally: _containers.ScalarMap[str, int]
    electorate_size: int
    votes_cast: int
    quorum_met: bool
    adopted_option: str
    subject: str
    def __init__(self, estate_code: _Optional[str] = ..., ballot_id: _Optional[str] = ..., tally: _Optional[_Mapping[str, int]] = ..., electorate_size: _Optional[int] = ..., votes_cast: _Optional[int] = ..., quorum_met: _Optional[bool] = ..., adopted_option: _Optional[str] = ..., subject: _Optional[str] = ...) -> None: ...
