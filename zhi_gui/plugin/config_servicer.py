"""Put a ``ConfigPlugin`` on the wire as ``zhiplugin.v1.ConfigService``.

Like the store servicer: each handler converts the request, awaits the plugin,
converts the answer, and turns a ``StoreError`` into a status with zhi's
ErrorInfo marker (``servicers.guarded``). Paths and JSON given to Set are
checked here once for every Python config plugin. Validate's tree is passed
on as it came (zhi does not re-validate tree paths either).
"""

from __future__ import annotations

from typing import Any

from zhi_gui.core import errors as E
from zhi_gui.core.jsonvalues import check_metadata_json, check_value_json
from zhi_gui.core.paths import validate_path
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, ValidationResult
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2 as cfg_pb
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2_grpc as cfg_grpc
from zhi_gui.plugin.servicers import guarded


class ConfigServicer:
    """Duck-typed ConfigServiceServicer (the generated base class is untyped)."""

    def __init__(self, plugin: ConfigPlugin) -> None:
        self.plugin = plugin

    def add_to_server(self, server: Any) -> None:
        cfg_grpc.add_ConfigServiceServicer_to_server(self, server)

    async def List(self, request: cfg_pb.ListRequest, context: Any) -> cfg_pb.ListResponse:
        return cfg_pb.ListResponse(paths=await guarded(context, "List", self.plugin.list))

    async def Get(self, request: cfg_pb.GetRequest, context: Any) -> cfg_pb.GetResponse:
        value: ConfigValue = await guarded(context, "Get", lambda: self.plugin.get(request.path))
        if not value.found:
            return cfg_pb.GetResponse(found=False)
        return cfg_pb.GetResponse(found=True, value_json=value.value_json, metadata_json=value.metadata_json)

    async def Set(self, request: cfg_pb.SetRequest, context: Any) -> cfg_pb.SetResponse:
        async def call() -> None:
            validate_path(request.path)
            try:
                check_value_json(request.value_json)
                check_metadata_json(request.metadata_json)
            except E.InvalidArgument as exc:
                raise E.InvalidArgument(f"{request.path}: {exc.message}", {"path": request.path}) from None
            await self.plugin.set(request.path, request.value_json, request.metadata_json)

        await guarded(context, "Set", call)
        return cfg_pb.SetResponse()

    async def Validate(self, request: cfg_pb.ValidateRequest, context: Any) -> cfg_pb.ValidateResponse:
        async def call() -> list[ValidationResult]:
            return await self.plugin.validate(request.path, cv.entries_from_pb(request.tree))

        results = await guarded(context, "Validate", call)
        return cfg_pb.ValidateResponse(results=[
            cfg_pb.ValidationResultMsg(severity=int(r.severity), message=r.message, metadata_json=r.metadata_json)
            for r in results
        ])
