#!/usr/bin/env bash
# Leave-one-subset-out: for each PhysioNet subset, trains a network without it and screens every one
# of its records, then writes the table into the model directory's card.
#   bash scripts/model/leave-one-subset-out.sh models/1.6.0 [subsets...]
# HEARTBEAT_TRAIN_ARGS adds options to every fold's `heartbeat train` (the shipped model's recipe).
# Another heart-cycle model (weight, spectrogram window) on the same fold networks needs no retraining:
#   scripts/model/refit-cycle-model.ts tmp/loso/<subset> tmp/loso-other/<subset> 0.0.0-loso --weight W --window 128
# then collect-leave-one-subset-out.ts <modelDir> tmp/loso-other/*.
set -euo pipefail
cd "$(dirname "$0")/../.."
model_dir=$1
shift
subsets=("${@:-training-a training-b training-c training-d training-e}")
data=${HEARTBEAT_DATA:-../shared/data/physionet2016}
for subset in ${subsets[*]}; do
  npx heartbeat train --data "$data" --out "tmp/loso/$subset" --version 0.0.0-loso --hold-out "$subset" \
    --epochs 10 --windows-per-epoch 1024 --max-minutes 14 ${HEARTBEAT_TRAIN_ARGS:-}
done
npm exec -- node -r @swc-node/register scripts/model/collect-leave-one-subset-out.ts "$model_dir" tmp/loso/*
