"""A desktop-sized offscreen screen for the benchmarks' windows.

Qt's offscreen platform has one 800x800 screen unless told otherwise, and a window
is kept within its screen: the benchmarks' 1400x900 windows were 796x796, with the
value tree 70 px wide between its docks. They measured a window nobody uses, and one
where a filter's match count (a label growing from nothing) pushed the docks aside:
a relayout and repaint of the whole window in that keystroke's turn. The offscreen
platform reads its screens from a JSON file (``offscreen:configfile=...``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

WIDTH, HEIGHT = 1920, 1080


def offscreen_platform() -> str:
    """A QT_QPA_PLATFORM value: offscreen, with one WIDTH x HEIGHT screen at 96 dpi."""
    path = Path(tempfile.gettempdir()) / f"zhi-bench-offscreen-{WIDTH}x{HEIGHT}.json"
    if not path.exists():
        screen = {"name": "bench", "x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "dpi": 96, "dpr": 1}
        path.write_text(json.dumps({"screens": [screen]}))
    return f"offscreen:configfile={path}"
