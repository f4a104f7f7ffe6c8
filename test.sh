#!/bin/sh
# Install what the tests need and run all of them: lint, types, and pytest
# (real plugin processes, real SQLite files, real Qt widgets offscreen).
# Usage: ./test.sh [pytest options]
. "$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)/scripts/setup.sh"
check_python
# A real Secret Service (gnome-keyring in dbus-run-session) for the keyring tests.
# etcd-server: the real etcd the etcd store tests start (tests/etcd_server.py).
apt_install $QT_PACKAGES gnome-keyring dbus dbus-x11 etcd-server
make_venv "[test]"
cd "$ROOT"
# The Go interop peers (a real go-plugin host and plugin) come from
# ../shared/interop when this checkout has it; their tests skip otherwise.
INTEROP="${ZHI_INTEROP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zhi-interop}/bin"
if [ ! -x "$INTEROP/zhi-host-probe" ] && [ -x "$ROOT/../shared/interop/build.sh" ]; then
    say "building the Go interop peers (../shared/interop/build.sh)"
    "$ROOT/../shared/interop/build.sh" >/dev/null || say "interop build failed: interop tests will skip"
fi
say "ruff"
"$VENV/bin/ruff" check .
say "mypy"
"$VENV/bin/mypy"
say "pytest"
unset PYTHONUNBUFFERED
export QT_QPA_PLATFORM=offscreen
exec "$VENV/bin/python" -m pytest -q "$@"
