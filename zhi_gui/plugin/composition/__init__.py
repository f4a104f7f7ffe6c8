"""Plugin composition (product.md 4): the Python counterpart of zhi's meta-plugin SDK.

- ``launch_store_client``, ``launch_config``, ``launch_transform``: start a
  plugin of each kind, get a typed async client and a cleanup
  (``zhi_gui.plugin.composition.launch``);
- ``DelegatingStore`` / ``DelegatingConfig``: forward everything to a base,
  override by subclassing;
- ``MirroredStore``: writes to a primary, then to mirrors without CAS;
  reads from the primary; most restrictive capabilities;
- ``MergedConfig``: config plugins mounted under distinct prefixes.

``zhi_gui.stores.mirror`` (plugins/zhi-store-mirror) is a meta-plugin built
from these.
"""

from zhi_gui.plugin.composition.delegating import DelegatingConfig, DelegatingStore
from zhi_gui.plugin.composition.launch import (
    Launched,
    launch_config,
    launch_store_client,
    launch_transform,
    log_forwarder,
)
from zhi_gui.plugin.composition.merged import MergedConfig
from zhi_gui.plugin.composition.mirrored import MirroredStore, MirrorFailure, combine_capabilities, strip_cas

__all__ = [
    "DelegatingConfig",
    "DelegatingStore",
    "Launched",
    "MergedConfig",
    "MirrorFailure",
    "MirroredStore",
    "combine_capabilities",
    "launch_config",
    "launch_store_client",
    "launch_transform",
    "log_forwarder",
    "strip_cas",
]
