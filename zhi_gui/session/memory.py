"""What the application remembers about the stores a user opens: the recent
list (settings), and per store the tree last worked in, for stores that
cannot list their keys the paths known for it, and which subtree each file
exported from it came from (per-plugin state).

Failures to remember are reported, never raised: losing a "last tree" must not
stop a save or an open.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zhi_gui.services import settings as S
from zhi_gui.services.plugin_state import PluginState as PluginStateStore
from zhi_gui.services.plugin_state import PluginStateError, plugin_dir_name
from zhi_gui.session.target import StoreTarget

MAX_EXPORTS = 50  # files remembered per store, the most recent


class SessionMemory:
    def __init__(self, settings: S.Settings, state_root: Path | None = None) -> None:
        self.settings = settings
        self.state_root = state_root

    def _state(self, target: StoreTarget) -> PluginStateStore:
        return PluginStateStore(self.state_root, plugin_dir_name(target.plugin.name))

    @staticmethod
    def _key(what: str, target: StoreTarget) -> str:
        return f"{what}.{target.store_key()[:16]}"

    def recall(self, target: StoreTarget) -> tuple[StoreTarget, str]:
        """The target with its remembered tree (unless one was asked for) and known paths;
        plus a warning ('' when all went well)."""
        try:
            state = self._state(target)
            known = state.get(self._key("known-paths", target), [])
            last_tree = state.get(self._key("last-tree", target), "")
        except PluginStateError as exc:
            return target, str(exc)
        paths = tuple(sorted(set(target.known_paths) | {p for p in known if isinstance(p, str)}))
        tree = target.tree_id or (last_tree if isinstance(last_tree, str) else "")
        return replace(target, known_paths=paths, tree_id=tree), ""

    def remember_tree(self, target: StoreTarget, tree_id: str) -> str:
        """The store was opened or another tree shown: recent list, last store, last tree."""
        # "create" was a one-time answer ("yes, make a new store there"), not part of the store:
        # reopening it from the recent list must ask again if the file is gone by then.
        options = {k: v for k, v in target.options.items() if k != "create"}
        try:
            self.settings.remember_opened_store(
                S.StoreIdentity(str(target.plugin), options, tree_id, target.display_name))
            self._state(target).set(self._key("last-tree", target), tree_id)
        except (S.SettingsError, PluginStateError) as exc:
            return f"Could not remember this store: {exc}"
        return ""

    def remember_known_paths(self, target: StoreTarget, paths: list[str]) -> str:
        try:
            self._state(target).set(self._key("known-paths", target), sorted(paths))
        except PluginStateError as exc:
            return str(exc)
        return ""

    def remember_export(self, target: StoreTarget, file: Path, tree_id: str, prefix: str) -> str:
        """``file`` was exported from ``prefix`` ('' the whole tree) of ``tree_id``: an
        import of it is offered that subtree again (an exported subtree's paths are
        relative to it, and the file does not say where it came from)."""
        key = self._key("exports", target)
        try:
            state = self._state(target)
            try:
                others = [e for e in self._exports(state, key) if e["file"] != str(file)]
            except PluginStateError:  # an unreadable record (only ever a hint): started again
                others = []
            state.set(key, [{"file": str(file), "tree": tree_id, "prefix": prefix}, *others][:MAX_EXPORTS])
        except PluginStateError as exc:
            return str(exc)
        return ""

    def export_of(self, target: StoreTarget, file: Path) -> tuple[str, str] | None:
        """The tree and subtree ``file`` was last exported from, of this store; None if unknown."""
        try:
            exports = self._exports(self._state(target), self._key("exports", target))
        except PluginStateError:
            return None  # nothing to offer: the import starts at the whole tree, as without memory
        return next(((e["tree"], e["prefix"]) for e in exports if e["file"] == str(file)), None)

    @staticmethod
    def _exports(state: PluginStateStore, key: str) -> list[dict[str, str]]:
        """The remembered exports, newest first; records not of the expected shape skipped."""
        known = state.get(key, [])
        return [e for e in known if isinstance(e, dict) and all(isinstance(e.get(f), str) for f in
                                                                  ("file", "tree", "prefix"))] \
            if isinstance(known, list) else []

    def recent(self) -> list[S.StoreIdentity]:
        return self.settings.recent_stores()
