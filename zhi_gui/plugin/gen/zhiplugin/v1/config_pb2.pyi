from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("paths",)
    PATHS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, paths: _Optional[_Iterable[str]] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("found", "value_json", "metadata_json")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    found: bool
    value_json: bytes
    metadata_json: bytes
    def __init__(self, found: _Optional[bool] = ..., value_json: _Optional[bytes] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...

class SetRequest(_message.Message):
    __slots__ = ("path", "value_json", "metadata_json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    value_json: bytes
    metadata_json: bytes
    def __init__(self, path: _Optional[str] = ..., value_json: _Optional[bytes] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...

class SetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TreeEntry(_message.Message):
    __slots__ = ("path", "value_json", "metadata_json", "version")
    PATH_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    path: str
    value_json: bytes
    metadata_json: bytes
    version: str
    def __init__(self, path: _Optional[str] = ..., value_json: _Optional[bytes] = ..., metadata_json: _Optional[bytes] = ..., version: _Optional[str] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ("path", "tree")
    PATH_FIELD_NUMBER: _ClassVar[int]
    TREE_FIELD_NUMBER: _ClassVar[int]
    path: str
    tree: _containers.RepeatedCompositeFieldContainer[TreeEntry]
    def __init__(self, path: _Optional[str] = ..., tree: _Optional[_Iterable[_Union[TreeEntry, _Mapping]]] = ...) -> None: ...

class ValidationResultMsg(_message.Message):
    __slots__ = ("severity", "message", "metadata_json")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    severity: int
    message: str
    metadata_json: bytes
    def __init__(self, severity: _Optional[int] = ..., message: _Optional[str] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ValidationResultMsg]
    def __init__(self, results: _Optional[_Iterable[_Union[ValidationResultMsg, _Mapping]]] = ...) -> None: ...
