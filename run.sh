#!/bin/sh
# Install what zhi-gui needs and start it on the embedded default store.
# Usage: ./run.sh [zhi-gui options]   (./run.sh --help lists them)
. "$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)/scripts/setup.sh"
check_python
apt_install $QT_PACKAGES
make_venv ""
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
    say "no display found: starting zhi-gui on a virtual X display (xvfb-run)"
    exec xvfb-run -a -s "-screen 0 1600x1000x24" "$VENV/bin/zhi-gui" "$@"
fi
exec "$VENV/bin/zhi-gui" "$@"
