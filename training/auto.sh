#!/usr/bin/env bash
# Recipe for resources/models/auto.safetensors. Resumable: run it again to continue.
# The bundled file was trained in several sessions: the first steps at --size 192, the rest
# at --size 128 (same command otherwise); see training/README.md for steps and wall time.
set -euo pipefail
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/auto}
colorpaint-train --model auto --data "$DATA/stills" \
  --steps ${STEPS:-8000} --batch 8 --size 128 --scale 256 --lr 2e-4 --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version 1.0 --resume
