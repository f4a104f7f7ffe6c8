"""The states of a supervised plugin process, in a module of their own: the window and
the session read them before the first paint, when the supervisor (asyncio, the
launcher, gRPC) is not loaded yet (issue 14, cold start)."""

from __future__ import annotations

import enum


class PluginState(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"  # died; waiting for the next attempt
    FAILED = "failed"  # gave up: too many deaths, or it cannot start
