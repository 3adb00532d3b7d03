#!/usr/bin/env bash
# Build the standalone ColorPaint bundle into dist/colorpaint/ and smoke-test it.
#
#   packaging/build.sh              build (PyInstaller, packaging/colorpaint.spec), then smoke-test
#   packaging/build.sh --test-only  smoke-test an existing dist/colorpaint/
#   packaging/build.sh --install    also install a menu entry and icon for this user (~/.local)
#
# PYTHON picks the interpreter whose packages are bundled (default: .venv/bin/python, else
# python3); PyInstaller is installed into it when missing. The smoke test runs the bundle,
# never the source tree: `colorpaint-cli models`, a one-frame colorization of the sample
# with each bundled model (or, without bundled weights, with untrained weights made by
# PYTHON), a bad input that must give exit status 2, the trainer entry, and the window
# started offscreen on the sample for a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD=1 INSTALL=0
for arg in "$@"; do
    case "$arg" in
        --test-only) BUILD=0 ;;
        --install) INSTALL=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
BUNDLE="$ROOT/dist/colorpaint"
say() { printf '\n== %s\n' "$*"; }

if [ "$BUILD" = 1 ]; then
    "$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || "$PYTHON" -m pip install pyinstaller
    [ -f resources/icons/colorpaint.png ] || "$PYTHON" packaging/make_icon.py
    say "building with PyInstaller $("$PYTHON" -m PyInstaller --version) ($PYTHON)"
    start=$(date +%s)
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/colorpaint.spec
    # the three programs are the same launcher: hard links save two copies (~80 MB)
    for name in colorpaint-cli colorpaint-train; do
        if cmp -s "$BUNDLE/colorpaint" "$BUNDLE/$name"; then ln -f "$BUNDLE/colorpaint" "$BUNDLE/$name"; fi
    done
    # the menu entry and icon travel with the bundle (see --install)
    mkdir -p "$BUNDLE/share/applications" "$BUNDLE/share/icons/hicolor/256x256/apps" "$BUNDLE/share/icons/hicolor/scalable/apps"
    cp packaging/colorpaint.desktop "$BUNDLE/share/applications/"
    cp resources/icons/colorpaint.png "$BUNDLE/share/icons/hicolor/256x256/apps/colorpaint.png"
    cp resources/icons/colorpaint.svg "$BUNDLE/share/icons/hicolor/scalable/apps/colorpaint.svg"
    echo "built in $(( $(date +%s) - start )) s: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
fi

[ -x "$BUNDLE/colorpaint-cli" ] || { echo "build.sh: no bundle at $BUNDLE" >&2; exit 1; }

# ------------------------------------------------------------------ smoke test
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
USER_DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
# keep the smoke test's settings, autosaves and model store out of the user's folders
export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" XDG_CACHE_HOME="$TMP/cache" XDG_STATE_HOME="$TMP/state"
export COLORPAINT_DEVICE=cpu
RES="$BUNDLE/_internal/resources"

say "colorpaint-cli models"
"$BUNDLE/colorpaint-cli" models

SAMPLE="$(find "$RES/samples" -type f \( -name '*.png' -o -name '*.jpg' \) 2>/dev/null | sort | head -n 1)"
if [ -z "$SAMPLE" ]; then
    SAMPLE="$TMP/sample.png"
    "$PYTHON" -c "import cv2, numpy as np; a = np.full((256, 320), 255, np.uint8); cv2.circle(a, (160, 128), 80, 0, 3); cv2.imwrite('$SAMPLE', a)"
    echo "no bundled sample: using a drawn circle"
fi

mapfile -t BUNDLED < <(find "$RES/models" -name '*.safetensors' 2>/dev/null | sort)
if [ "${#BUNDLED[@]}" -gt 0 ]; then
    for w in "${BUNDLED[@]}"; do
        m="$(basename "$w" .safetensors)"
        say "colorize the sample with bundled $m"
        "$BUNDLE/colorpaint-cli" colorize "$SAMPLE" -o "$TMP/out_$m" --model "$m"
        test -s "$TMP/out_$m/$(basename "${SAMPLE%.*}").png"
        BAD_ARGS=(--model "$m")
    done
else
    say "no bundled weights: colorize the sample with untrained weights made by $PYTHON"
    for m in $("$BUNDLE/colorpaint-cli" models --json | "$PYTHON" -c "import json, sys; print(' '.join(r['name'] for r in json.load(sys.stdin)))"); do
        "$PYTHON" -c "from colorpaint.models import registry; from colorpaint.engine.weights import save_weights; save_weights('$TMP/$m.safetensors', registry.build('$m', tiny=True))"
        "$BUNDLE/colorpaint-cli" colorize "$SAMPLE" -o "$TMP/out_$m" --model "$m" --weights "$TMP/$m.safetensors"
        test -s "$TMP/out_$m/$(basename "${SAMPLE%.*}").png"
        BAD_ARGS=(--model "$m" --weights "$TMP/$m.safetensors")
    done
fi

say "a bad input gives one line and exit status 2; the good one is still done"
: > "$TMP/empty.png"
set +e
"$BUNDLE/colorpaint-cli" colorize "$TMP/empty.png" "$SAMPLE" -o "$TMP/out_bad" "${BAD_ARGS[@]}" 2> "$TMP/bad.err"
rc=$?
set -e
cat "$TMP/bad.err"
[ "$rc" = 2 ] && [ "$(grep -c . "$TMP/bad.err")" = 1 ] && grep -q "empty.png" "$TMP/bad.err" \
    && test -s "$TMP/out_bad/$(basename "${SAMPLE%.*}").png" \
    || { echo "FAIL: expected exit 2, one line naming empty.png, and the good input done; got $rc" >&2; exit 1; }

say "trainer entries (colorpaint-train, and -m as the trainer tab starts it)"
"$BUNDLE/colorpaint-train" --help | head -n 2
"$BUNDLE/colorpaint" -m colorpaint.training.cli --help | head -n 2

if "$PYTHON" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('colorpaint.__main__') is None)" 2>/dev/null; then
    say "the window, offscreen, on the sample for 15 s"
    set +e
    QT_QPA_PLATFORM=offscreen timeout -s TERM 15 "$BUNDLE/colorpaint" "$(dirname "$SAMPLE")" > "$TMP/gui.log" 2>&1
    rc=$?
    set -e
    tail -n 5 "$TMP/gui.log"
    # 124: still running when timeout stopped it, which is what a healthy window does
    if [ "$rc" != 124 ] || grep -q "Traceback" "$TMP/gui.log"; then
        echo "FAIL: the window exited with status $rc" >&2
        exit 1
    fi
    echo "window ran for 15 s without error"
else
    echo "colorpaint/__main__.py is not there yet: window smoke test skipped"
fi

if [ "$INSTALL" = 1 ]; then
    say "installing the menu entry for $USER"
    apps="$USER_DATA"
    install -Dm644 resources/icons/colorpaint.png "$apps/icons/hicolor/256x256/apps/colorpaint.png"
    install -Dm644 resources/icons/colorpaint.svg "$apps/icons/hicolor/scalable/apps/colorpaint.svg"
    sed "s|^Exec=colorpaint|Exec=\"$BUNDLE/colorpaint\"|; s|^TryExec=colorpaint|TryExec=$BUNDLE/colorpaint|" \
        packaging/colorpaint.desktop > "$TMP/colorpaint.desktop"
    install -Dm644 "$TMP/colorpaint.desktop" "$apps/applications/colorpaint.desktop"
    echo "installed $apps/applications/colorpaint.desktop"
fi

say "smoke test passed: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
