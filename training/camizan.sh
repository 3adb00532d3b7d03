#!/usr/bin/env bash
# Recipe for camizan et al.'s three trainings of the cross-domain GAN (colorpaint/models/camizan.py):
#   DOMAIN=cartoon  training/camizan.sh   cartoon stills only (stills/)
#   DOMAIN=live     training/camizan.sh   "live action" only: the Big Buck Bunny and Sintel shots of
#                                         sequences/ (bbb_*, sintel_*), the closest material here; they
#                                         are 3D-rendered open movies, not filmed live action
#   DOMAIN=mix      training/camizan.sh   both, each domain drawn half of the time (--mix even)
# GENERATOR=resnet34 (default) or unet; WIDTH scales ResNet34's channels (0.5: 23.7 MB of weights).
# No weights are bundled: copy OUT/camizan.safetensors to resources/models/ to make it the default.
# Resumable: run it again with the same OUT to continue.
set -euo pipefail
DATA=${DATA:-../shared/data}
DOMAIN=${DOMAIN:-mix}
OUT=${OUT:-runs/camizan-$DOMAIN}
mkdir -p "$OUT"
# the live-action shots as one --data folder (one domain for the even mix); the shots named in
# HOLDOUT stay out of every training and make the live-action test domain (live-test/) for the
# cross-domain table (benchmarks/camizan_domains.py)
HOLDOUT=${HOLDOUT:-"bbb_c_s00 sintel_b_s00"}
LIVE="$OUT/live-action"
TEST="$OUT/live-test"
mkdir -p "$LIVE" "$TEST"
for s in "$DATA"/sequences/bbb_* "$DATA"/sequences/sintel_*; do
  name=$(basename "$s")
  case " $HOLDOUT " in
    *" $name "*) ln -sfn "$(cd "$s" && pwd)" "$TEST/$name" ;;
    *) ln -sfn "$(cd "$s" && pwd)" "$LIVE/$name" ;;
  esac
done
case "$DOMAIN" in
  cartoon) SETS=("$DATA/stills"); MIX=pooled ;;
  live) SETS=("$LIVE"); MIX=pooled ;;
  mix) SETS=("$DATA/stills" "$LIVE"); MIX=even ;;
  *) echo "DOMAIN must be cartoon, live or mix, not $DOMAIN" >&2; exit 2 ;;
esac
NET=$(python3 -c 'import json, os; print(json.dumps({"generator": os.environ.get("GENERATOR", "resnet34"), "width": float(os.environ.get("WIDTH", "0.5"))}))')
OBJECTIVE=$(python3 -c 'import json, os; print(json.dumps({"de00_weight": float(os.environ["DE00"])} if os.environ.get("DE00") else {}))')
colorpaint-train --model camizan --data "${SETS[@]}" --mix "$MIX" --net "$NET" --objective "$OBJECTIVE" \
  --steps ${STEPS:-20000} --batch ${BATCH:-8} --size ${SIZE:-128} --scale 256 --lr ${LR:-2e-4} --threads ${THREADS:-1} \
  --val-every 250 --val-items 24 --out "$OUT" --version "camizan-$DOMAIN" --resume
