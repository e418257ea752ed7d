#!/usr/bin/env bash
# CK+ 10-fold of the shipped recipe itself (c4): for each fold K given, the recipe's two stages from r64d with
# fold K's subjects left out of training (train.py --ckplus except:K), then ckplus_recipe_score.py scores every
# finished fold on its held-out subjects. Resumable: rerun with the same folds; a finished stage is skipped,
# an unfinished one resumes from its last epoch.
#
#   cd training && nohup bash tools/ckplus_recipe_cv.sh 0 2 4 6 8 > runs/cv/chain-a.log 2>&1 &
#                  nohup bash tools/ckplus_recipe_cv.sh 1 3 5 7 9 > runs/cv/chain-b.log 2>&1 &
#
# Needs runs/r64d/best.pt (README.md, "From a fresh checkout"). The stages are the commands c4 was made with
# (results/s1-info.json, results/c4-info.json), one thread each; s1's teacher is the committed fp16 copy of the
# same r64d 6-view probabilities. Selection inside each stage stays on PublicTest (best.pt), as it was for c4.
# Two chains side by side take ~2 h per fold pair on the 2-core machines.
set -euo pipefail
cd "$(dirname "$0")/.."
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 OMP_WAIT_POLICY=PASSIVE
PY=/usr/bin/python3
TEACHER="--ferplus-weight 0.3 --teacher checkpoints/teacher-r64d-v6-fp16.npy --teacher-weight 0.2 --logit-adjust 0.5"
S1="--size 64 --init runs/r64d/best.pt --epochs 14 --lr 0.02 --warmup 1 --erase 0.25 --center-warmup 0 \
  --label-smoothing 0.05 --rotate 15 --zoom 0.2 --camera 0.5 $TEACHER --keep-epochs 0 --seed 7 --threads 1"
C4="--size 64 --epochs 5 --batch 64 --lr 0.005 --warmup 0.5 --consistency 1 --erase 0.25 --label-smoothing 0.05 \
  --rotate 15 --zoom 0.2 --camera 0.5 --framing results/blazeface-framing-full.json --framing-p 0.75 $TEACHER \
  --center-warmup 0 --keep-epochs 0 --seed 44 --threads 1"

finished() { # run folder, epochs: whether its log has the last epoch
  [ -f "$1/log.jsonl" ] && grep -q "\"epoch\": $(($2 - 1)), " "$1/log.jsonl"
}

mkdir -p runs/cv
for k in "$@"; do
  s1="runs/cv/s1-k$k" c4="runs/cv/c4-k$k"
  finished "$s1" 14 || $PY train.py --out "$s1" --ckplus "except:$k" $S1
  finished "$c4" 5 || $PY train.py --out "$c4" --init "$s1/best.pt" --ckplus "except:$k" $C4
  # Scores every fold finished so far (the other chain's too); the file says how many.
  $PY ckplus_recipe_score.py --runs 'runs/cv/c4-k{fold}' --threads 1 --out results/c4-recipe-ckplus-10fold.json
done
