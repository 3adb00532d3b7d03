#!/usr/bin/env bash
# Recipe for resources/models/temporal.safetensors. Resumable: run it again to continue.
# The bundled file was trained in several resumed runs (phases, CIEDE2000 weights, averaging and
# learning rate per step range: training/README.md); LR, SIZE, BATCH, DE00, DE00_HINTED and HUE_JITTER
# set a phase's learning rate and loss settings. The critic now learns at a tenth of LR (the paper's
# rate); the bundled file's critic learned at LR itself: D_LR_RATIO=1 reproduces it. VGG19=FILE (a
# torchvision VGG19 state-dict) turns on the paper's content and style losses. INIT=FILE starts
# from a weights file (e.g. the bundled one) and NET='{"prev_confidence": true}' then lets the
# network read the carried colors' confidence (training/README.md, round 6).
# BUILT (the folder training/data/build.sh wrote, e.g. ../data-built) adds the data build's
# pairs to the stills; AUGMENT=studio turns on the studio-look input augmentation.
set -euo pipefail
# the phase's loss settings from DE00 (CIEDE2000 weight), DE00_HINTED (its factor on samples
# holding hints), DE00_NOPREV (its factor on samples with a blank previous frame) and
# HUE_JITTER (share of line-art samples turned to a random hue), L1 and ADV (the weights of
# Thasarathan's L1 and adversarial terms, 10 and 1 in the paper); unset ones take the defaults
OBJECTIVE=$(python3 -c 'import json, os; print(json.dumps({k: float(os.environ[e]) for k, e in (("de00_weight", "DE00"), ("de00_hinted", "DE00_HINTED"), ("de00_noprev", "DE00_NOPREV"), ("hue_jitter", "HUE_JITTER"), ("l1_weight", "L1"), ("adv_weight", "ADV")) if os.environ.get(e)}))')
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/temporal}
colorpaint-train --model temporal --data "$DATA/stills" "$DATA/sequences" ${BUILT:+"$BUILT"} \
  --steps ${STEPS:-24000} --batch ${BATCH:-8} --size ${SIZE:-128} --scale 256 --lr ${LR:-2e-4} --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version ${VERSION:-1.2} --resume --objective "$OBJECTIVE" \
  --d-lr-ratio ${D_LR_RATIO:-0.1} ${VGG19:+--vgg19 "$VGG19"} ${INIT:+--init "$INIT"} ${NET:+--net "$NET"} \
  ${AUGMENT:+--augment "$AUGMENT"}
