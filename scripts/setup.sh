# Shared set-up for run.sh and test.sh (sourced, POSIX sh).
# Installs the Debian/Ubuntu packages Qt needs, makes .venv and installs zhi-gui.

set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
VENV="$ROOT/.venv"
# The interpreter of .venv: $PYTHON when set. Otherwise the distribution's
# /usr/bin/python3 when it is 3.11 or newer, even when another python3 (a pyenv
# shim, say) comes first on PATH: Debian's and Ubuntu's builds link libpython into
# the executable and are profile-optimized, pyenv's default build does neither, and
# on this project's 2-core machine that build was 25-35% slower at what zhi-gui does
# most (a plugin's start to its handshake 185 -> 137 ms, a json put of 100,000
# values 0.77 -> 0.62 s). A store plugin is a new interpreter each time it starts.
# It must also make virtualenvs already (python3-venv): a user without root keeps the
# python3 on PATH that can. Else python3 on PATH. (On a plain Debian/Ubuntu both are
# the same program.)
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys, venv, ensurepip
sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
        PYTHON=/usr/bin/python3
    fi
fi

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Qt offscreen + a real X window (Xvfb when there is no display) + fonts.
QT_PACKAGES="libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
fonts-dejavu-core xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
libxcb-shape0 libxkbcommon-x11-0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1"

apt_install() {
    missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        die "these system packages are missing and this is not a Debian/Ubuntu system:$missing"
    fi
    if [ "$(id -u)" = 0 ]; then SUDO=""
    elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
    else die "missing system packages; run as root: apt-get update && apt-get install -y$missing"
    fi
    say "installing system packages:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

check_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; zhi-gui needs Python 3.11 or newer (set PYTHON=...)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$("$PYTHON" --version 2>&1) is too old; zhi-gui needs Python 3.11 or newer (set PYTHON=...)"
    if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        apt_install python3-venv python3-pip
    fi
}

make_venv() {
    extras=$1
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when the project's requirements changed.
    stamp="$VENV/.zhi-gui-installed"
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$extras"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "installing zhi-gui$extras into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
        "$VENV/bin/python" -m pip install -q -e "$ROOT$extras" 2>&1 | grep -v '^WARNING: Location' || true
        "$VENV/bin/python" -c 'import zhi_gui, PySide6, grpc, qasync' || die "installing zhi-gui failed (see above)"
        echo "$want" > "$stamp"
    fi
}
