"""``MergedConfig``: several config plugins mounted under distinct prefixes.

    merged = MergedConfig({"app/": app_plugin, "db/": db_plugin})

- a prefix is a valid zhi path followed by ``/`` (``"app"`` is accepted and
  means ``"app/"``); two prefixes where one contains the other (``"a/"`` and
  ``"a/b/"``), an empty prefix, no plugins at all, or a missing plugin
  (``None``) are refused at construction with a ValueError/TypeError that
  names them;
- List asks every plugin in parallel and returns their paths with the
  plugin's prefix in front (mount order, then each plugin's order); if a
  plugin fails, List fails naming it;
- Get, Set and Validate go to the plugin whose prefix the path starts with,
  with the prefix removed. Validate passes the plugin only its own part of
  the tree, prefixes removed, so a plugin sees exactly the namespace it
  would see mounted alone;
- a path under no prefix: Get answers "not found", Validate has no
  findings (no plugin owns the path), and Set fails with NotFound naming the
  mounts (as zhi's own merged config plugin does).

``close()`` closes every mounted plugin.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Mapping, Sequence

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import path_problem
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, ValidationResult

log = logging.getLogger("zhi_gui.plugin.composition.merged")


def normalise_prefix(prefix: str) -> str:
    """``"app"`` / ``"app/"`` -> ``"app/"``; ValueError for anything that is no path prefix."""
    if not isinstance(prefix, str):
        raise TypeError(f"MergedConfig: a prefix must be a string, not {type(prefix).__name__}")
    if not prefix or prefix == "/":
        raise ValueError("MergedConfig: empty prefix: every plugin needs its own non-empty prefix such as 'app/'")
    body = prefix[:-1] if prefix.endswith("/") else prefix
    problem = path_problem(body)
    if problem:
        raise ValueError(f"MergedConfig: invalid prefix {prefix!r}: {problem}")
    return body + "/"


class MergedConfig(ConfigPlugin):
    def __init__(self, mounts: Mapping[str, ConfigPlugin]) -> None:
        if mounts is None or not isinstance(mounts, Mapping):
            raise TypeError("MergedConfig needs a mapping {prefix: config plugin}")
        if not mounts:
            raise ValueError("MergedConfig needs at least one config plugin")
        normalised: list[tuple[str, ConfigPlugin]] = []
        for raw, plugin in mounts.items():
            prefix = normalise_prefix(raw)
            if plugin is None:
                raise ValueError(f"MergedConfig: no plugin given for prefix {prefix!r}")
            if not isinstance(plugin, ConfigPlugin):
                raise TypeError(f"MergedConfig: the plugin for prefix {prefix!r} is a {type(plugin).__name__}, "
                                "not a ConfigPlugin")
            normalised.append((prefix, plugin))
        for i, (a, _) in enumerate(normalised):
            for b, _ in normalised[i + 1:]:
                if a.startswith(b) or b.startswith(a):
                    what = "the same prefix twice" if a == b else "overlapping prefixes"
                    raise ValueError(f"MergedConfig: {what} {a!r} and {b!r}: each path must belong to exactly "
                                     "one plugin")
        self.mounts: list[tuple[str, ConfigPlugin]] = normalised

    def route(self, path: str) -> tuple[str, ConfigPlugin] | None:
        """(prefix, plugin) owning ``path``, or None."""
        for prefix, plugin in self.mounts:
            if path.startswith(prefix):
                return prefix, plugin
        return None

    async def list(self) -> list[str]:
        async def one(prefix: str, plugin: ConfigPlugin) -> list[str]:
            try:
                paths = await plugin.list()
            except E.StoreError as exc:
                raise type(exc)(f"listing the config plugin mounted at {prefix!r}: {exc.message}",
                                {**exc.details, "prefix": prefix}) from None
            except E.PluginError as exc:
                raise type(exc)(f"listing the config plugin mounted at {prefix!r}: {exc}") from None
            return [prefix + p for p in paths]

        results = await asyncio.gather(*(one(p, c) for p, c in self.mounts))
        return [path for paths in results for path in paths]

    async def get(self, path: str) -> ConfigValue:
        owner = self.route(path)
        if owner is None:
            return ConfigValue(False)
        prefix, plugin = owner
        return await plugin.get(path[len(prefix):])

    async def set(self, path: str, value_json: bytes, metadata_json: bytes = b"") -> None:
        owner = self.route(path)
        if owner is None:
            mounted = ", ".join(p for p, _ in self.mounts)
            raise E.NotFound(f"no config plugin manages {path!r} (mounted: {mounted})", {"tree_id": "", "path": path})
        prefix, plugin = owner
        await plugin.set(path[len(prefix):], value_json, metadata_json)

    async def validate(self, path: str, tree: Sequence[Entry]) -> builtins.list[ValidationResult]:
        owner = self.route(path)
        if owner is None:
            return []
        prefix, plugin = owner
        scoped = [e._replace(path=e.path[len(prefix):]) for e in tree if e.path.startswith(prefix)]
        return await plugin.validate(path[len(prefix):], scoped)

    async def close(self) -> None:
        results = await asyncio.gather(*(plugin.close() for _, plugin in self.mounts), return_exceptions=True)
        for (prefix, _), result in zip(self.mounts, results, strict=True):
            if isinstance(result, Exception):
                log.warning("closing the config plugin mounted at %r failed: %s", prefix, result)
