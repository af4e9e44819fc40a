#!/usr/bin/env bash
# What site calibration buys at a database the model never saw, in every leave-one-subset-out fold:
# trains the fold networks that are missing (1.6.0's recipe, time-boxed per fold), then calibrates on
# 30 labelled recordings of each left-out database over ten seeds and writes the table into the
# model directory's card (site-operating-points.json, MODEL_CARD.md).
#   bash scripts/model/site-operating-points.sh models/1.6.0 [foldsDir]
# HEARTBEAT_FOLD_MINUTES caps each fold's training (default 13, what the shipped table used on a
# shared 2-core machine; the shipped model's own folds ran up to 40).
set -euo pipefail
cd "$(dirname "$0")/../.."
model_dir=$1
folds=${2:-tmp/site-loso/folds}
data=${HEARTBEAT_DATA:-../shared/data/physionet2016}
for subset in training-a training-b training-c training-d training-e; do
  [ -f "$folds/$subset/held-out-scores.json" ] && continue
  npx heartbeat train --data "$data" --out "$folds/$subset" --version 0.0.0-loso --hold-out "$subset" \
    --input compact --normalisation heart-sounds --cycle-model-weight 0.5 --epochs 30 --windows-per-epoch 2048 \
    --max-minutes "${HEARTBEAT_FOLD_MINUTES:-13}"
done
HEARTBEAT_FOLD_RECIPE="1.6.0's recipe (heartbeat train --input compact --normalisation heart-sounds --cycle-model-weight 0.5 --epochs 30 --windows-per-epoch 2048), each fold capped at ${HEARTBEAT_FOLD_MINUTES:-13} minutes" \
  npm exec -- node -r @swc-node/register scripts/model/site-operating-points.ts "$model_dir" "$folds"/training-*
