"""``zhi-gui`` and ``python -m zhi_gui``: the window, or ``zhi-gui export|import ...``
(command line, no Qt)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("export", "import"):
        from zhi_gui.transfer.cli import main as transfer_main

        return transfer_main(args)
    from zhi_gui.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
