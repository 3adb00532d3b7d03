#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, headless.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest tests "$@"
