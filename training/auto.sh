#!/usr/bin/env bash
# Recipe for resources/models/auto.safetensors. Resumable: run it again to continue.
# The bundled file was trained in several resumed runs (phases, CIEDE2000 weights, averaging and
# learning rate per step range: training/README.md); this is the command of the last phase.
set -euo pipefail
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/auto}
colorpaint-train --model auto --data "$DATA/stills" \
  --steps ${STEPS:-14000} --batch 8 --size 128 --scale 256 --lr 2e-4 --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version 1.1 --resume
