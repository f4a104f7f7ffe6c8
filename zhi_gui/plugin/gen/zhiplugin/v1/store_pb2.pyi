from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VersioningMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERSIONING_NONE: _ClassVar[VersioningMode]
    VERSIONING_TREE: _ClassVar[VersioningMode]
    VERSIONING_VALUE: _ClassVar[VersioningMode]

class ActionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_READ: _ClassVar[ActionType]
    ACTION_WRITE: _ClassVar[ActionType]
    ACTION_DELETE: _ClassVar[ActionType]
VERSIONING_NONE: VersioningMode
VERSIONING_TREE: VersioningMode
VERSIONING_VALUE: VersioningMode
ACTION_READ: ActionType
ACTION_WRITE: ActionType
ACTION_DELETE: ActionType

class StoreCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StoreCapabilitiesResponse(_message.Message):
    __slots__ = ("versioning", "encryption", "auth", "access_control")
    VERSIONING_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    ACCESS_CONTROL_FIELD_NUMBER: _ClassVar[int]
    versioning: VersioningMode
    encryption: int
    auth: bool
    access_control: bool
    def __init__(self, versioning: _Optional[_Union[VersioningMode, str]] = ..., encryption: _Optional[int] = ..., auth: _Optional[bool] = ..., access_control: _Optional[bool] = ...) -> None: ...

class AuthFieldMsg(_message.Message):
    __slots__ = ("name", "description", "required", "secret")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    required: bool
    secret: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ..., secret: _Optional[bool] = ...) -> None: ...

class AuthMethodMsg(_message.Message):
    __slots__ = ("type", "description", "fields")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    type: str
    description: str
    fields: _containers.RepeatedCompositeFieldContainer[AuthFieldMsg]
    def __init__(self, type: _Optional[str] = ..., description: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[AuthFieldMsg, _Mapping]]] = ...) -> None: ...

class AuthMethodsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuthMethodsResponse(_message.Message):
    __slots__ = ("methods",)
    METHODS_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedCompositeFieldContainer[AuthMethodMsg]
    def __init__(self, methods: _Optional[_Iterable[_Union[AuthMethodMsg, _Mapping]]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("method", "credentials")
    class CredentialsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    method: str
    credentials: _containers.ScalarMap[str, str]
    def __init__(self, method: _Optional[str] = ..., credentials: _Optional[_Mapping[str, str]] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("token", "expires_at", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, token: _Optional[str] = ..., expires_at: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListTreesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTreesResponse(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteTreeRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteTreeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetValuesRequest(_message.Message):
    __slots__ = ("id", "paths")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    id: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class GetValuesResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_config_pb2.TreeEntry]
    def __init__(self, values: _Optional[_Iterable[_Union[_config_pb2.TreeEntry, _Mapping]]] = ...) -> None: ...

class PutValuesRequest(_message.Message):
    __slots__ = ("id", "values", "cas_version", "cas_versions")
    class CasVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CAS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAS_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    values: _containers.RepeatedCompositeFieldContainer[_config_pb2.TreeEntry]
    cas_version: str
    cas_versions: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., values: _Optional[_Iterable[_Union[_config_pb2.TreeEntry, _Mapping]]] = ..., cas_version: _Optional[str] = ..., cas_versions: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PutValuesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteValuesRequest(_message.Message):
    __slots__ = ("id", "paths")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    id: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteValuesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTreeVersionsRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListTreeVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, versions: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTreeVersionRequest(_message.Message):
    __slots__ = ("id", "version", "paths")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTreeVersionResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_config_pb2.TreeEntry]
    def __init__(self, values: _Optional[_Iterable[_Union[_config_pb2.TreeEntry, _Mapping]]] = ...) -> None: ...

class RollbackTreeRequest(_message.Message):
    __slots__ = ("id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class RollbackTreeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteTreeVersionRequest(_message.Message):
    __slots__ = ("id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class DeleteTreeVersionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListValueVersionsRequest(_message.Message):
    __slots__ = ("id", "path")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ListValueVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, versions: _Optional[_Iterable[str]] = ...) -> None: ...

class GetValueVersionRequest(_message.Message):
    __slots__ = ("id", "path", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    version: str
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class GetValueVersionResponse(_message.Message):
    __slots__ = ("found", "value_json", "metadata_json")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    found: bool
    value_json: bytes
    metadata_json: bytes
    def __init__(self, found: _Optional[bool] = ..., value_json: _Optional[bytes] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...

class RollbackValueRequest(_message.Message):
    __slots__ = ("id", "path", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    version: str
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class RollbackValueResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteValueVersionRequest(_message.Message):
    __slots__ = ("id", "path", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    version: str
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class DeleteValueVersionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class InitEncryptionRequest(_message.Message):
    __slots__ = ("passphrase",)
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    passphrase: bytes
    def __init__(self, passphrase: _Optional[bytes] = ...) -> None: ...

class InitEncryptionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RotateEncryptionRequest(_message.Message):
    __slots__ = ("old_passphrase", "new_passphrase")
    OLD_PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    old_passphrase: bytes
    new_passphrase: bytes
    def __init__(self, old_passphrase: _Optional[bytes] = ..., new_passphrase: _Optional[bytes] = ...) -> None: ...

class RotateEncryptionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PermissionMsg(_message.Message):
    __slots__ = ("path", "actions")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    path: str
    actions: _containers.RepeatedScalarFieldContainer[ActionType]
    def __init__(self, path: _Optional[str] = ..., actions: _Optional[_Iterable[_Union[ActionType, str]]] = ...) -> None: ...

class GrantAccessRequest(_message.Message):
    __slots__ = ("id", "user", "permissions")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    user: str
    permissions: _containers.RepeatedCompositeFieldContainer[PermissionMsg]
    def __init__(self, id: _Optional[str] = ..., user: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[PermissionMsg, _Mapping]]] = ...) -> None: ...

class GrantAccessResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RevokeAccessRequest(_message.Message):
    __slots__ = ("id", "user", "paths")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    id: str
    user: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., user: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...

class RevokeAccessResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAccessRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class UserPermissions(_message.Message):
    __slots__ = ("permissions",)
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    permissions: _containers.RepeatedCompositeFieldContainer[PermissionMsg]
    def __init__(self, permissions: _Optional[_Iterable[_Union[PermissionMsg, _Mapping]]] = ...) -> None: ...

class ListAccessResponse(_message.Message):
    __slots__ = ("access",)
    class AccessEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: UserPermissions
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[UserPermissions, _Mapping]] = ...) -> None: ...
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    access: _containers.MessageMap[str, UserPermissions]
    def __init__(self, access: _Optional[_Mapping[str, UserPermissions]] = ...) -> None: ...
