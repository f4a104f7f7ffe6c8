"""The plugin layer loaded ahead of the first store open, in a worker thread.

The window paints before the plugin layer is imported, and gRPC and the generated
protobuf modules are ``lazy.lazy_module``s, executed when first used. The first
store open then ran all of them on the UI thread: one turn of 20-30 ms of CPU. The
app calls :func:`load_plugin_layer` in a worker thread once the window is complete,
and opens the store when it has returned.

Thread safety: ``importlib.util.LazyLoader`` modules are not safe to load from two
threads at once (before Python 3.12). Nothing on the UI thread uses them before the
first store opens, and the app opens it only after this has returned.
"""

from __future__ import annotations

from types import ModuleType


def load_plugin_layer() -> list[ModuleType]:
    """Import the modules a store open uses and execute the lazily loaded ones."""
    from zhi_gui.plugin import channel, client, launcher, supervisor

    names = {client: ("grpc", "cv", "ext_pb", "ext_grpc", "pb", "pb_grpc"),
             channel: ("health_pb2", "health_pb2_grpc", "controller_pb", "controller_grpc", "stdio_grpc")}
    lazy: list[ModuleType] = [getattr(module, name) for module, each in names.items() for name in each]
    for module in lazy:
        vars(module)  # the first attribute access executes a lazy module
    return [launcher, supervisor, *lazy]
