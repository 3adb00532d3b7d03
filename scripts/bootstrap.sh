#!/usr/bin/env bash
# Set up everything ColorPaint needs on a fresh Debian/Ubuntu machine: the system
# libraries Qt needs, a virtual environment in .venv, PyTorch (CPU build 2.13.0 unless a
# CUDA machine asks for more) and ColorPaint itself with its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_pkgs=()
# Qt 6.5+ needs the xcb-cursor, icccm and keysyms libraries for its X11 (xcb) plugin: the
# window under a display or xvfb-run; the tests run offscreen and need only the first five
for p in libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
         libxkbcommon-x11-0 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${need_pkgs[*]}"
  # another apt or unattended-upgrades may hold the lock: wait for it (up to 10 minutes
  # per command; apt-get update does not wait for the lists lock), trying again for 10 minutes
  apt() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  for try in $(seq 30); do
    if apt update -qq && apt install -y -qq "${need_pkgs[@]}" >/dev/null; then
      break
    fi
    [ "$try" = 30 ] && { echo "ColorPaint set-up: apt-get still failing after 10 minutes (see above)" >&2; exit 1; }
    echo "apt-get failed (busy lock?); trying again in 20 s" >&2
    sleep 20
  done
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# the pinned CPU wheel first, so no resolver ever pulls a multi-GB CUDA build
log=.venv/pip-install.log
if ! { .venv/bin/python -m pip install -q "torch==2.13.0" && .venv/bin/python -m pip install -q -e ".[dev]"; } >"$log" 2>&1; then
  cat "$log"
  echo "ColorPaint set-up failed: the pip output is above (and in $log)" >&2
  exit 1
fi
