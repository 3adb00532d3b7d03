#!/usr/bin/env bash
# Recipe for resources/models/color-apply.safetensors. Resumable: run it again to continue.
# The bundled file was trained in several resumed runs (phases, CIEDE2000 weights, averaging and
# learning rate per step range: training/README.md); LR, SIZE, BATCH, DE00, DE00_HINTED and HUE_JITTER
# set a phase's learning rate and loss settings; BUILT (the data build of training/data/), AUGMENT
# (e.g. studio), VERSION and INIT (the file to start from when OUT holds no checkpoint yet).
set -euo pipefail
# the phase's loss settings from DE00 (CIEDE2000 weight), DE00_HINTED (its factor on samples
# holding hints) and HUE_JITTER (share of line-art samples turned to a random hue); unset
# ones take the defaults
OBJECTIVE=$(python3 -c 'import json, os; print(json.dumps({k: float(os.environ[e]) for k, e in (("de00_weight", "DE00"), ("de00_hinted", "DE00_HINTED"), ("hue_jitter", "HUE_JITTER")) if os.environ.get(e)}))')
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/color-apply}
colorpaint-train --model color-apply --data "$DATA/stills" ${BUILT:+"$BUILT"} \
  --steps ${STEPS:-24000} --batch ${BATCH:-8} --size ${SIZE:-128} --scale 256 --lr ${LR:-2e-4} --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version ${VERSION:-1.3} --resume --objective "$OBJECTIVE" \
  ${AUGMENT:+--augment "$AUGMENT"} ${INIT:+--init "$INIT"}
