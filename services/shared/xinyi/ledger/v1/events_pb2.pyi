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
