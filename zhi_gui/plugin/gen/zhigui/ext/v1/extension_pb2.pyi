from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DescribeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeResponse(_message.Message):
    __slots__ = ("api_version", "store_kind", "location", "features", "locked")
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    STORE_KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    api_version: int
    store_kind: str
    location: str
    features: _containers.RepeatedScalarFieldContainer[str]
    locked: bool
    def __init__(self, api_version: _Optional[int] = ..., store_kind: _Optional[str] = ..., location: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., locked: _Optional[bool] = ...) -> None: ...

class ListPathsRequest(_message.Message):
    __slots__ = ("id", "prefix", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    prefix: str
    version: str
    def __init__(self, id: _Optional[str] = ..., prefix: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ListPathsChunk(_message.Message):
    __slots__ = ("paths",)
    PATHS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, paths: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamTreeRequest(_message.Message):
    __slots__ = ("id", "version", "prefix", "chunk_size")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    prefix: str
    chunk_size: int
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ..., prefix: _Optional[str] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class StreamTreeChunk(_message.Message):
    __slots__ = ("values", "version", "total")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_config_pb2.TreeEntry]
    version: str
    total: int
    def __init__(self, values: _Optional[_Iterable[_Union[_config_pb2.TreeEntry, _Mapping]]] = ..., version: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class VersionInfo(_message.Message):
    __slots__ = ("id", "time", "author", "message", "changed_paths", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_PATHS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    time: str
    author: str
    message: str
    changed_paths: int
    kind: str
    def __init__(self, id: _Optional[str] = ..., time: _Optional[str] = ..., author: _Optional[str] = ..., message: _Optional[str] = ..., changed_paths: _Optional[int] = ..., kind: _Optional[str] = ...) -> None: ...

class DescribeVersionsRequest(_message.Message):
    __slots__ = ("id", "offset", "limit", "versions")
    ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    offset: int
    limit: int
    versions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ..., versions: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeVersionsResponse(_message.Message):
    __slots__ = ("versions", "total")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[VersionInfo]
    total: int
    def __init__(self, versions: _Optional[_Iterable[_Union[VersionInfo, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class WriteValuesRequest(_message.Message):
    __slots__ = ("id", "values", "delete_paths", "cas_version", "cas_versions", "message", "author")
    class CasVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    DELETE_PATHS_FIELD_NUMBER: _ClassVar[int]
    CAS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAS_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    values: _containers.RepeatedCompositeFieldContainer[_config_pb2.TreeEntry]
    delete_paths: _containers.RepeatedScalarFieldContainer[str]
    cas_version: str
    cas_versions: _containers.ScalarMap[str, str]
    message: str
    author: str
    def __init__(self, id: _Optional[str] = ..., values: _Optional[_Iterable[_Union[_config_pb2.TreeEntry, _Mapping]]] = ..., delete_paths: _Optional[_Iterable[str]] = ..., cas_version: _Optional[str] = ..., cas_versions: _Optional[_Mapping[str, str]] = ..., message: _Optional[str] = ..., author: _Optional[str] = ...) -> None: ...

class WriteValuesResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    def __init__(self, version: _Optional[str] = ...) -> None: ...

class UnlockRequest(_message.Message):
    __slots__ = ("passphrase",)
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    passphrase: bytes
    def __init__(self, passphrase: _Optional[bytes] = ...) -> None: ...

class UnlockResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LockResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchTreeRequest(_message.Message):
    __slots__ = ("id", "after_version")
    ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    after_version: str
    def __init__(self, id: _Optional[str] = ..., after_version: _Optional[str] = ...) -> None: ...

class WatchTreeEvent(_message.Message):
    __slots__ = ("version", "changed_paths")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_PATHS_FIELD_NUMBER: _ClassVar[int]
    version: str
    changed_paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[str] = ..., changed_paths: _Optional[_Iterable[str]] = ...) -> None: ...

class DiffVersionsRequest(_message.Message):
    __slots__ = ("id", "from_version", "to_version", "prefix", "chunk_size")
    ID_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    id: str
    from_version: str
    to_version: str
    prefix: str
    chunk_size: int
    def __init__(self, id: _Optional[str] = ..., from_version: _Optional[str] = ..., to_version: _Optional[str] = ..., prefix: _Optional[str] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class DiffEntry(_message.Message):
    __slots__ = ("path", "old", "new")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OLD_FIELD_NUMBER: _ClassVar[int]
    NEW_FIELD_NUMBER: _ClassVar[int]
    path: str
    old: _config_pb2.TreeEntry
    new: _config_pb2.TreeEntry
    def __init__(self, path: _Optional[str] = ..., old: _Optional[_Union[_config_pb2.TreeEntry, _Mapping]] = ..., new: _Optional[_Union[_config_pb2.TreeEntry, _Mapping]] = ...) -> None: ...

class DiffVersionsChunk(_message.Message):
    __slots__ = ("entries", "from_total", "to_total")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    FROM_TOTAL_FIELD_NUMBER: _ClassVar[int]
    TO_TOTAL_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[DiffEntry]
    from_total: int
    to_total: int
    def __init__(self, entries: _Optional[_Iterable[_Union[DiffEntry, _Mapping]]] = ..., from_total: _Optional[int] = ..., to_total: _Optional[int] = ...) -> None: ...

class ListChildrenRequest(_message.Message):
    __slots__ = ("id", "prefix", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    prefix: str
    version: str
    def __init__(self, id: _Optional[str] = ..., prefix: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ChildInfo(_message.Message):
    __slots__ = ("name", "values", "has_children", "entry")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    HAS_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    name: str
    values: int
    has_children: bool
    entry: _config_pb2.TreeEntry
    def __init__(self, name: _Optional[str] = ..., values: _Optional[int] = ..., has_children: _Optional[bool] = ..., entry: _Optional[_Union[_config_pb2.TreeEntry, _Mapping]] = ...) -> None: ...

class ListChildrenResponse(_message.Message):
    __slots__ = ("children", "version")
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[ChildInfo]
    version: str
    def __init__(self, children: _Optional[_Iterable[_Union[ChildInfo, _Mapping]]] = ..., version: _Optional[str] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("id", "query", "version", "limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    query: str
    version: str
    limit: int
    def __init__(self, id: _Optional[str] = ..., query: _Optional[str] = ..., version: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("paths", "total", "version")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    total: int
    version: str
    def __init__(self, paths: _Optional[_Iterable[str]] = ..., total: _Optional[int] = ..., version: _Optional[str] = ...) -> None: ...
