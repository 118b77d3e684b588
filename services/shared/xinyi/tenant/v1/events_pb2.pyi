from xinyi.tenant.v1 import tenant_pb2 as _tenant_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EstateOnboarded(_message.Message):
    __slots__ = ("estate",)
    ESTATE_FIELD_NUMBER: _ClassVar[int]
    estate: _tenant_pb2.Estate
    def __init__(self, estate: _Optional[_Union[_tenant_pb2.Estate, _Mapping]] = ...) -> None: ...
