#!/usr/bin/env bash
# After training: evaluate, export (the manifest's default test-time views chosen on PublicTest), quantize,
# check on the Node side, and run the CK+ cross-validation. Writes training/runs/<run>/report/*.json.
#   bash training/finish.sh training/runs/r64 [CK+ recipes: EPOCHS[/ERASE][xSEEDS],...] [checkpoint: best.pt | swa.pt]
# Several CK+ recipes (fine-tune epochs, optionally the random-erasing probability, 0.25 by default, and the
# number of fine-tunes averaged into one network per fold, ckplus_cv.py --seeds, 1 by default): each runs
# its 10 folds and its inner validation side by side (one thread each, the faster way for these small
# batches) and ckplus_select.py picks per fold.
set -euo pipefail
run=${1:?run directory}
ck_recipes=${2:-10,20,30,20/0.5}
ckpt=$run/${3:-best.pt}
cd "$(dirname "$0")/.."
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
out=$run/report
mkdir -p "$out"
$py training/evaluate.py --ckpt "$ckpt" > "$out/evaluate.json"
# The most accurate choice on PublicTest (the fewest views on a tie); PrivateTest plays no part.
views=$($py -c "
import json; r = json.load(open('$out/evaluate.json'))
acc = {int(k[6:]): v['publictest']['accuracy'] for k, v in r.items() if k.startswith('views_')}
print(max(sorted(acc), key=lambda n: (acc[n], -n)))")
echo "default test-time views: $views (chosen on PublicTest)"
$py training/export_onnx.py --ckpt "$ckpt" --out models/lightexnet-fer2013.onnx --views "$views" 2>/dev/null | tail -2 > "$out/export.json"
npm run build --silent
for split in publictest privatetest test; do
  node bin/lightexnet.js eval --fer2013 ../shared/data/fer2013 --split $split > "$out/node-$split.json"
done
IFS=, read -ra ck_list <<< "$ck_recipes"
ck_runs=()
for recipe in "${ck_list[@]}"; do
  seeds=1
  if [[ $recipe == *x* ]]; then seeds=${recipe##*x} recipe=${recipe%x*}; fi
  e=${recipe%%/*}
  erase=0.25 name=ckplus-fer$e
  if [[ $recipe == */* ]]; then erase=${recipe#*/} name=$name-erase$erase; fi
  if (( seeds > 1 )); then name=$name-soup$seeds; fi
  d=$run/$name
  ck=($py training/ckplus_cv.py --init "$ckpt" --epochs "$e" --erase "$erase" --seeds "$seeds" --head-init fer
      --views "$views" --threads 1)
  "${ck[@]}" --out "$d" > "$out/$name.log" & pids=($!)
  if (( ${#ck_list[@]} > 1 )); then "${ck[@]}" --out "$d/inner" --inner > "$out/$name-inner.log" & pids+=($!); fi
  for pid in "${pids[@]}"; do wait "$pid"; done  # each one's exit status, so set -e stops on a failure
  ck_runs+=("$d")
done
if (( ${#ck_runs[@]} > 1 )); then
  $py training/ckplus_select.py "${ck_runs[@]}" > "$out/ckplus.json"
else
  cp "${ck_runs[0]}/result.json" "$out/ckplus.json"
fi
$py training/manifest_accuracy.py --manifest models/lightexnet-fer2013.json --report "$out"
# int8 last: it only ships if it keeps accuracy (quantize_int8.py), and needs the pip venv.
if [ -x "${QVENV:-/work/qvenv}/bin/python" ]; then
  "${QVENV:-/work/qvenv}/bin/python" training/tools/quantize_int8.py --fp32 models/lightexnet-fer2013.onnx 2>/dev/null | tail -1 > "$out/int8.json"
  if [ -f models/lightexnet-fer2013-int8.json ]; then
    node bin/lightexnet.js eval --fer2013 ../shared/data/fer2013 --split privatetest --classifier lightexnet-fer2013-int8 > "$out/node-int8-privatetest.json"
  fi
fi
echo "done: $out"
