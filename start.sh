#!/usr/bin/env bash
# Set up (first run only) and start ColorPaint on the bundled sample shot.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "no display found: starting under a virtual X server (xvfb-run)"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/colorpaint --sample "$@"
fi
exec .venv/bin/colorpaint --sample "$@"
