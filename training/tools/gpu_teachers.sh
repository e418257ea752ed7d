#!/usr/bin/env bash
# One prepared run for a lent GPU (~15 minutes of device time, one call of <= 10 min): three 224x224x3
# teachers side by side, each cut to a time budget, then each one's 6-view probabilities on FER2013 Training
# (the distillation targets of the 64x64 one-view student, trained afterwards on the CPUs) and its scores on
# PublicTest (selection) and CK+ (cross-dataset: no teacher sees CK+). Results land in $OUT.
#
#   here:  /usr/bin/python3 training/tools/pack_data.py pack .devdata --skip privatetest --init training/runs/r64d/best.pt
#   there: bash training/tools/gpu_teachers.sh          (device run, carry .devdata)
#   trial: OUT=/tmp/t SRC=/tmp/devdata-small DEVICE=cpu BUDGET=10 EXTRA="--subset 128 --size 64 --batch 64 --threads 1" \
#          bash training/tools/gpu_teachers.sh       (SRC from pack_data.py pack /tmp/devdata-small --limit 300 ...)
#   RUNS=t1 BUDGET=450 LR=0.005 bash training/tools/gpu_teachers.sh     one teacher alone, gentler
#
# All three are warm-started from r64d (FER2013 only; its grey stem spread over RGB), peak lr $LR, cosine:
#   t1  g224b's recipe (session 4's 12-epoch run), only longer
#   t2  the 64x64 recipe's targets at 224: FER2013 label + 0.3 FER+ votes, logit adjustment, part occlusion
#   t3  t2 plus the camera degradations and BlazeFace framings
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd) # training/
BUDGET=${BUDGET:-330}        # seconds of training per run (all run at once)
TRAIN_LIMIT=${TRAIN_LIMIT:-420}  # hard stop for the training processes (each keeps its best epoch on disk)
DEADLINE=${DEADLINE:-560}    # seconds after start by which everything is written
LR=${LR:-0.02}               # peak lr (session 13: 0.02 threw most of the warm start away; try <= 0.005)
RUNS=${RUNS:-t1 t2 t3}
BUNDLE="*/log.jsonl */info.json *.log *.json *.npy *.npz"
. "$here/tools/gpu_common.sh"

common="--data $data --device $DEVICE --time-budget $BUDGET --epochs 400 --warmup 1 --size 224 --channels 3 --lr $LR
  --threads 4 --erase 0.25 --center-warmup 0 --init $SRC/init.pt $EXTRA"
[ "$DEVICE" = cpu ] || common="$common --amp"
targets="--ferplus-weight 0.3 --logit-adjust 0.5 --label-smoothing 0.05 --rotate 15 --zoom 0.2 --part-occlusion 0.5"
start() {
  case $1 in
    t1) timeout "$TRAIN_LIMIT" $PY train.py $common --out "$runs/t1" --seed 4 ;;
    t2) timeout "$TRAIN_LIMIT" $PY train.py $common --out "$runs/t2" $targets --seed 5 ;;
    t3) timeout "$TRAIN_LIMIT" $PY train.py $common --out "$runs/t3" $targets --camera 0.5 \
          --framing results/blazeface-framing-full.json --framing-p 0.75 --seed 6 ;;
  esac > "$runs/$1.log" 2>&1
}
for r in $RUNS; do start $r & done
while [ -n "$(jobs -r)" ]; do sleep 15; echo "t=$(elapsed)s $(for r in $RUNS; do echo -n "$r:$(cat $runs/$r/log.jsonl 2>/dev/null | wc -l) "; done)"; done
echo "trained at $(elapsed) s"
for r in $RUNS; do tail -n 2 "$runs/$r.log"; done
bundle

# The weights, as float16 (half the size; for PrivateTest and export on the CPUs).
for r in $RUNS; do
  [ -f "$runs/$r/best.pt" ] && $PY -c "
import torch, sys
ck = torch.load(sys.argv[1], map_location='cpu')
ck['model'] = {k: v.half() if v.is_floating_point() else v for k, v in ck['model'].items()}
torch.save(ck, sys.argv[2])" "$runs/$r/best.pt" "$OUT/$r.pt"
done
# Each teacher's probabilities (Training with 6 views; PublicTest and CK+ with 1, 2 and 6), side by side.
for r in $RUNS; do
  [ -f "$runs/$r/best.pt" ] && timeout $(( DEADLINE - $(elapsed) )) $PY teacher_probs.py --ckpt "$runs/$r/best.pt" --views 6 --device "$DEVICE" --data "$data" \
    --out "$runs/teacher-v6.npy" --each --report "$runs/$r-report.json" > "$runs/$r-probs.log" 2>&1 &
done
wait
echo "probabilities at $(elapsed) s"
for r in $RUNS; do tail -n 2 "$runs/$r-probs.log"; done
rm -f "$runs/teacher-v6.npy"  # the mean of one teacher, written by each process in turn; formed later instead
bundle
ls -la "$OUT"
echo "done at $(elapsed) s"
