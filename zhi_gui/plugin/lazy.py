"""Modules loaded on first attribute access (``importlib.util.LazyLoader``).

The window imports the plugin client at start-up (the session holds one), but
needs gRPC and the generated protobuf modules only when it opens a store, and
it paints first. Loading them lazily keeps about 60 ms out of the cold start.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """``name``, imported now if it already is, else executed when first used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
