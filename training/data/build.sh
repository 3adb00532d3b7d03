#!/usr/bin/env bash
# Build more color + exact line-art training pairs, mostly characters, from Debian
# packages and ../shared/data (see training/data/README.md).
#
# Usage: training/data/build.sh [--out DIR] [build_data.py options]
#   default OUT: ../data-built beside the repository (colorpaint-train --data OUT)
#   env PYTHON: the Python to run (default: the repository's .venv, else python3);
#       it needs numpy, Pillow, OpenCV and PySide6 (ColorPaint's own dependencies)
#
# Installs what is missing (Debian bookworm): librsvg2-bin openclipart-svg
# tuxpaint-stamps-default gcompris-qt-data ktuberling-data synfig.
# One process, at nice 10. Re-running rebuilds OUT the same way.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PKGS="librsvg2-bin openclipart-svg tuxpaint-stamps-default gcompris-qt-data ktuberling-data synfig"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
  echo "installing:$missing"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q || true
  # shellcheck disable=SC2086
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $missing
fi

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PYTHON=$REPO/.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -c "import numpy, PIL, cv2, PySide6.QtCore" || {
  echo "$PYTHON lacks numpy, Pillow, OpenCV or PySide6: run scripts/bootstrap.sh or set PYTHON" >&2; exit 1; }

export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1
exec nice -n 10 "$PYTHON" "$HERE/build_data.py" "$@"
