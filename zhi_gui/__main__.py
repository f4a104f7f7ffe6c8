"""``zhi-gui`` and ``python -m zhi_gui``."""

from __future__ import annotations

import sys


def main() -> int:
    from zhi_gui.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
