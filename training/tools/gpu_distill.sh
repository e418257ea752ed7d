#!/usr/bin/env bash
# One prepared run for a lent GPU (~15 minutes of device time, one call of <= 10 min): an ensemble teacher of
# r64d and four restarts of it, then 64x64 students distilled from it, with and without CK+ (the twin pair the
# ship rule needs). Session 13's lesson: a 224 warm start at lr 0.02 throws r64d's fit away in the time a lent GPU
# gives, so the teachers here are warm restarts of r64d at its own 64 px (at 96 px r64d's weights start below 50 %
# on a CPU trial and would not recover in the minutes given); their job is only to be more accurate together than
# one 64x64 view. The students are s1's stage with the ensemble as the teacher.
#
#   here:  /usr/bin/python3 training/tools/pack_data.py pack .devdata --skip privatetest --init training/runs/r64d/best.pt
#          (models/*.onnx moved out of the tree for the call: the tree travels with a 64 MiB limit)
#   there: bash training/tools/gpu_distill.sh                  (device run, carry .devdata)
#   trial: OUT=/tmp/t SRC=/tmp/devdata-small DEVICE=cpu PY=/usr/bin/python3 TBUDGET=5 SBUDGET=5 DEADLINE=3000 \
#          EXTRA="--subset 128 --batch 64 --threads 1" bash training/tools/gpu_distill.sh
#          (SRC from pack_data.py pack /tmp/devdata-small --limit 300 ...)
#
# Phase 1, teachers (FER2013 Training only; none sees CK+, so the students' CK+ figure stays cross-dataset):
#   t64a  r64d's restart recipe, peak lr 0.01     t64b  the same with 0.3 FER+ votes in the target
#   t64c  r64d's restart recipe, peak lr 0.02     t64d  the same with 0.3 FER+ votes in the target
# Phase 2: every teacher's 6-view probabilities on Training; the ensemble is r64d plus each teacher whose
#   PublicTest accuracy with 6 views is within a point of r64d's (selection on PublicTest only).
# Phase 3, students (64x64, from r64d, s1's recipe with the ensemble instead of r64d alone as the teacher):
#   s40 / s40ck  teacher weight 0.4, FER+ 0.3 (label 0.3), without / with all of CK+
#   s60 / s60ck  teacher weight 0.6, FER+ 0.2 (label 0.2), without / with all of CK+
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd) # training/
TBUDGET=${TBUDGET:-200}      # seconds of training per teacher (all four at once)
SBUDGET=${SBUDGET:-200}      # seconds of training per student (all four at once)
LIMIT_EXTRA=${LIMIT_EXTRA:-50} # a training process is stopped this long after its budget (each keeps its best epoch)
DEADLINE=${DEADLINE:-540}    # seconds after start by which the students are trained
BUNDLE="*/log.jsonl */info.json *.log *.json teacher-ens-v6.npy probs-*-*.npy probs-*-tests.npz"
. "$here/tools/gpu_common.sh"

common="--data $data --device $DEVICE --epochs 400 --warmup 0.5 --erase 0.25 --center-warmup 0 --threads 3 $EXTRA"
[ "$DEVICE" = cpu ] || common="$common --amp"
train() { # name budget args...: one training process, cut to its budget, logged beside its run folder
  local name=$1 budget=$2; shift 2
  timeout $(( ${budget%.*} + LIMIT_EXTRA )) $PY train.py $common --time-budget "$budget" --out "$runs/$name" "$@" \
    > "$runs/$name.log" 2>&1
}

teachers="t64a t64b t64c t64d"
init="--init $SRC/init.pt"
train t64a "$TBUDGET" $init --size 64 --lr 0.01 --seed 101 &
train t64b "$TBUDGET" $init --size 64 --lr 0.01 --ferplus-weight 0.3 --label-smoothing 0.05 --seed 102 &
train t64c "$TBUDGET" $init --size 64 --lr 0.02 --seed 103 &
train t64d "$TBUDGET" $init --size 64 --lr 0.02 --ferplus-weight 0.3 --label-smoothing 0.05 --seed 104 &
progress $teachers
echo "teachers trained at $(elapsed) s"
for r in $teachers; do tail -n 1 "$runs/$r/log.jsonl" 2>/dev/null; done
bundle

# Phase 2: each teacher's probabilities (Training with 6 views; PublicTest and CK+ with 1, 2 and 6), side by side.
probabilities $teachers
echo "probabilities at $(elapsed) s"
$PY - "$runs" "$data" r64d $teachers <<'EOF' | tee "$runs/ensemble.log"
import json, os, sys
import numpy as np
from fer_data import load_ckplus_as_fer, load_fer_split
runs, data, names = sys.argv[1], sys.argv[2], sys.argv[3:]
ys = {"publictest": load_fer_split(data, "publictest")[1], "ckplus": load_ckplus_as_fer(data)[1]}
have = [n for n in names if os.path.exists(f"{runs}/probs-{n}-{n}.npy")]
score = {n: json.load(open(f"{runs}/{n}-report.json"))[n] for n in have}
bar = score["r64d"]["publictest_views6"] - 0.01
chosen = [n for n in have if score[n]["publictest_views6"] >= bar]
np.save(f"{runs}/teacher-ens-v6.npy", np.mean([np.load(f"{runs}/probs-{n}-{n}.npy").astype(np.float32)
                                               for n in chosen], 0).astype(np.float16))
tests = {n: np.load(f"{runs}/probs-{n}-{n}-tests.npz") for n in chosen}
mean = {k: round(float((np.mean([tests[n][k].astype(np.float32) for n in chosen], 0).argmax(1)
                         == ys[k.split("_")[0]]).mean()), 4) for k in tests[chosen[0]].files}
out = {"teachers": score, "chosen": chosen, "rule": "publictest_views6 >= r64d's - 0.01", "ensemble": mean}
json.dump(out, open(f"{runs}/ensemble.json", "w"), indent=1)
print(json.dumps(out))
EOF
bundle

# Phase 3: the students, from r64d, s1's recipe with the ensemble as the teacher.
students="s40 s40ck s60 s60ck"
ens="--teacher $runs/teacher-ens-v6.npy --logit-adjust 0.5 --label-smoothing 0.05 --rotate 15 --zoom 0.2 --camera 0.5"
s40="$init --size 64 --lr 0.01 --ferplus-weight 0.3 --teacher-weight 0.4 $ens --seed 7"
s60="$init --size 64 --lr 0.01 --ferplus-weight 0.2 --teacher-weight 0.6 $ens --seed 7"
budget=$(( DEADLINE - $(elapsed) - LIMIT_EXTRA - 40 ))
[ "$budget" -gt "$SBUDGET" ] && budget=$SBUDGET
[ "$budget" -lt 30 ] && budget=30
echo "student budget $budget s"
train s40 "$budget" $s40 &
train s40ck "$budget" $s40 --ckplus all &
train s60 "$budget" $s60 &
train s60ck "$budget" $s60 --ckplus all &
progress $students
echo "students trained at $(elapsed) s"
for r in $students; do tail -n 1 "$runs/$r/log.jsonl" 2>/dev/null; done
bundle

# The weights as float16, two runs to a file (pack, gpu_common.sh).
pack students-40.pt s40 s40ck
pack students-60.pt s60 s60ck
pack teachers-64ab.pt t64a t64b
pack teachers-64cd.pt t64c t64d
ls -la "$OUT"
echo "done at $(elapsed) s"
