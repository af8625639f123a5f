#!/usr/bin/env bash
# camtune's one entry for people and CI: set up what is missing, then run.
#   ./camtune.sh [ARGS...]   set up, then `python main.py ARGS...` (no ARGS: the demo capture)
#   ./camtune.sh test [ARGS] set up, then the whole test suite (pytest ARGS...)
# Idempotent: a second run with nothing missing only checks stamps (about a second).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
say() { printf 'camtune setup: %s\n' "$*" >&2; }

# --- Python 3.11 -------------------------------------------------------------------------
PY=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    PY=$(command -v "$candidate"); break
  fi
done
if [ -z "$PY" ]; then
  say "Python 3.11 is required (python3.11 or python3 must be 3.11)."; exit 1
fi

# --- System libraries Qt needs (Debian/Ubuntu names) ----------------------------------------
QT_LIBS="libEGL.so.1:libegl1 libGL.so.1:libgl1 libX11.so.6:libx11-6 libdbus-1.so.3:libdbus-1-3
libfontconfig.so.1:libfontconfig1 libfreetype.so.6:libfreetype6 libglib-2.0.so.0:libglib2.0-0
libxkbcommon.so.0:libxkbcommon0
libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 libxcb-image.so.0:libxcb-image0
libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-render-util.so.0:libxcb-render-util0
libxcb-shape.so.0:libxcb-shape0 libxcb-xkb.so.1:libxcb-xkb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0"
missing=()
for pair in $QT_LIBS; do
  lib=${pair%%:*}; pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system libraries for Qt: ${missing[*]}"
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
      say "could not install them (apt-get failed); the command line works without them, the window may not."
    fi
  else
    say "Qt needs these system packages, please install them (as root):"
    say "  apt-get install ${missing[*]}"
    say "continuing: the command line works without them, the window does not."
  fi
fi

# --- Virtual environment with the pinned dependencies ---------------------------------------
stamp_now=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment in .venv"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$VENV/.camtune-stamp" 2>/dev/null)" != "$stamp_now" ]; then
  say "installing pinned dependencies (requirements-dev.txt)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$stamp_now" > "$VENV/.camtune-stamp"
fi

# --- Numba kernels: compiled once into the on-disk cache ----------------------------------
"$VENV/bin/python" main.py warmup >&2

if [ "${1:-}" = "test" ]; then
  shift
  export QT_QPA_PLATFORM=offscreen
  exec "$VENV/bin/python" -m pytest -q "$@"
fi
exec "$VENV/bin/python" main.py "$@"
