#!/usr/bin/env bash
# One prepared run for a lent GPU (one call of <= 10 min): six LightExNets trained FROM SCRATCH at once with the
# shipped recipe's targets and augmentations but no teacher and no CK+ (f3's recipe, session 18), then each one's
# 6-view probabilities on Training and its PublicTest / CK+ scores. Why: every model of sessions 1-18 started from
# r64d or learnt from its answers, and the CK+ cross-dataset figure stayed in a 75-79 % band; f3 (the same question
# on the CPU, 100 epochs, ~3 h) was lost with the machine at epoch 68. On the GPU a 64 px epoch is seconds, so six
# from-scratch runs answer it in one call and, if they are good, make a teacher ensemble outside r64d's basin for
# the 64x64 students distilled afterwards on the CPU (train.py --teacher runs/x-ens-v6.npy).
#
#   here:  /usr/bin/python3 training/tools/pack_data.py pack .devdata --skip privatetest --init training/runs/r64d/best.pt
#          (models/*.onnx moved out of the tree for the call: the tree travels with a 64 MiB limit)
#   there: bash training/tools/gpu_scratch.sh                 (device run, carry .devdata)
#   trial: OUT=/tmp/t SRC=/tmp/devdata-small DEVICE=cpu PY=/usr/bin/python3 TBUDGET=20 \
#          EXTRA="--subset 128 --batch 64 --threads 1" bash training/tools/gpu_scratch.sh
#
#   x1  f3 exactly: batch 128, lr 0.05                 x2  batch 256, lr 0.1 (more epochs in the budget)
#   x3  96 px input, batch 256, lr 0.1                 x4  without camera degradations and framings (plainer)
#   x5  96 px input, batch 128, lr 0.05                x6  batch 256, lr 0.1, part occlusion 0.25
# r64d's probabilities are computed beside them, so that any sub-ensemble can be scored here without the GPU.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd) # training/
TBUDGET=${TBUDGET:-330}      # seconds of training per run (all six at once)
LIMIT_EXTRA=${LIMIT_EXTRA:-40} # a training process is stopped this long after its budget (each keeps its best epoch)
BUNDLE="*/log.jsonl */info.json *.log *.json probs-*-*.npy probs-*-tests.npz"
. "$here/tools/gpu_common.sh"

common="--data $data --device $DEVICE --epochs 100 --warmup 2 --erase 0.25 --label-smoothing 0.05 --rotate 15 \
  --zoom 0.2 --ferplus-weight 0.3 --logit-adjust 0.5 --ckplus none --threads 2 $EXTRA"
[ "$DEVICE" = cpu ] || common="$common --amp"
camera="--camera 0.5 --framing results/blazeface-framing-full.json --framing-p 0.75 --part-occlusion 0.5"
train() { # name args...: one training process, cut to its budget, logged beside its run folder
  local name=$1; shift
  timeout $(( ${TBUDGET%.*} + LIMIT_EXTRA )) $PY train.py $common --time-budget "$TBUDGET" --out "$runs/$name" "$@" \
    > "$runs/$name.log" 2>&1
}

if [ "${RUNSET:-first}" = plain ]; then  # second call: x4's recipe (the first call's best) again, four seeds
  names="p1 p2 p3 p4"
  for i in 1 2 3 4; do train p$i --size 64 --batch 256 --lr 0.1 --seed $((310 + i)) & done
else
  names="x1 x2 x3 x4 x5 x6"
  train x1 --size 64 --batch 128 --lr 0.05 $camera --seed 301 &
  train x2 --size 64 --batch 256 --lr 0.1 $camera --seed 302 &
  train x3 --size 96 --batch 256 --lr 0.1 $camera --seed 303 &
  train x4 --size 64 --batch 256 --lr 0.1 --seed 304 &
  train x5 --size 96 --batch 128 --lr 0.05 $camera --seed 305 &
  train x6 --size 64 --batch 256 --lr 0.1 --camera 0.5 --framing results/blazeface-framing-full.json --framing-p 0.75 \
    --part-occlusion 0.25 --seed 306 &
fi
progress $names
echo "trained at $(elapsed) s"
for r in $names; do echo "$r $(tail -n 1 "$runs/$r/log.jsonl" 2>/dev/null)"; done
# The weights as float16, two runs to a file (pack, gpu_common.sh), before the probabilities: a call cut short
# still brings them back.
set -- $names
while [ $# -gt 0 ]; do pack "scratch-$1-${2:-}.pt" $1 ${2:-}; shift; [ $# -gt 0 ] && shift; done
bundle

# Each run's probabilities (Training with 6 views; PublicTest and CK+ with 1, 2 and 6), r64d's beside them.
probabilities $names
echo "probabilities at $(elapsed) s"
$PY - "$runs" "$data" r64d $names <<'EOF' | tee "$runs/ensemble.log"
import json, os, sys
import numpy as np
from fer_data import load_ckplus_as_fer, load_fer_split
runs, data, names = sys.argv[1], sys.argv[2], sys.argv[3:]
ys = {"publictest": load_fer_split(data, "publictest")[1], "ckplus": load_ckplus_as_fer(data)[1]}
have = [n for n in names if os.path.exists(f"{runs}/probs-{n}-{n}-tests.npz")]
tests = {n: np.load(f"{runs}/probs-{n}-{n}-tests.npz") for n in have}
def score(group):
    return {k: round(float((np.mean([tests[n][k].astype(np.float32) for n in group], 0).argmax(1)
                             == ys[k.split("_")[0]]).mean()), 4) for k in tests[group[0]].files}
scratch = [n for n in have if n != "r64d"]
out = {"each": {n: score([n]) for n in have}}
if scratch:
    out["scratch"] = score(scratch)
    out["scratch+r64d"] = score(scratch + ["r64d"]) if "r64d" in have else None
json.dump(out, open(f"{runs}/ensemble.json", "w"), indent=1)
print(json.dumps(out))
EOF
bundle

ls -la "$OUT"
echo "done at $(elapsed) s"
