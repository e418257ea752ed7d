#!/usr/bin/env bash
# The figures of a run trained WITHOUT CK+ (a recipe's "twin"), on the Node side: calibrate (temperature on
# PublicTest), export its best epoch beside the run, then CK+ as a cross-dataset test (1 and 2 views; needs
# `training/ckplus_folder.py /tmp/ckplus-fer` first), two_people.jpg and biden.jpg, and label stability (1, 2 views).
#   bash training/tools/report_twin.sh training/runs/op2 [/tmp/ckplus-fer]
# Writes RUN/calibration.json, RUN/candidate/, RUN/node-ckplus-views{1,2}.json, RUN/label-stability-views{1,2}.json.
set -euo pipefail
run=$(realpath "${1:?run directory}")
ck=${2:-/tmp/ckplus-fer}
cd "$(dirname "$0")/../.."
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
scenes=../shared/data/scenes
mkdir -p "$run/candidate"
(cd training && $py calibrate.py --ckpt "$run/best.pt" --views 1 --out "$run/calibration.json") > /dev/null
t=$($py -c "import json; print(json.load(open('$run/calibration.json'))['temperature'])")
(cd training && $py export_onnx.py --ckpt "$run/best.pt" --out "$run/candidate/lightexnet-fer2013.onnx" --views 2 --temperature "$t") > /dev/null
m=$run/candidate/lightexnet-fer2013.json
echo "temperature $t"
for v in 1 2; do
  node bin/lightexnet.js eval --folder "$ck" --views $v --classifier "$m" --json > "$run/node-ckplus-views$v.json"
  $py -c "import json; d=json.load(open('$run/node-ckplus-views$v.json')); print('CK+ cross-dataset, $v view(s):', d['accuracy'], d['perClassRecall'])"
done
for photo in two_people.jpg biden.jpg; do
  node bin/lightexnet.js classify "$scenes/$photo" --model full --classifier "$m" --json |
    $py -c "import json,sys; print('$photo', [(f['expression'], f['confidence']) for f in json.load(sys.stdin)['faces']])"
done
for v in 1 2; do
  node bench/label-stability.js --classifier "$m" --views $v > "$run/label-stability-views$v.json"
  $py -c "import json; print('label stability, worst face, $v view(s):', json.load(open('$run/label-stability-views$v.json'))['worstAgreement'])"
done
