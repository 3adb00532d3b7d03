#!/usr/bin/env bash
# Recipe for resources/models/color-apply.safetensors. Resumable: run it again to continue.
# The bundled file was trained in several resumed runs (phases, CIEDE2000 weights, averaging and
# learning rate per step range: training/README.md); LR and DE00 set a phase's learning rate
# and CIEDE2000 weight (DE00 unset: the objective's default, the last phase's weight).
set -euo pipefail
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/color-apply}
colorpaint-train --model color-apply --data "$DATA/stills" \
  --steps ${STEPS:-24000} --batch 8 --size 128 --scale 256 --lr ${LR:-2e-4} --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version 1.2 --resume ${DE00:+--objective "{\"de00_weight\": $DE00}"}
