#!/usr/bin/env bash
# Issue 15's measurements of a candidate checkpoint, all on the Node side (the graph as the product runs it):
# calibrate (temperature on PublicTest), export a candidate ONNX beside the run, then FER2013 PublicTest and
# PrivateTest (1, 2, 6 views; ECE; the deduplicated PrivateTest), PublicTest through the detector (1, 2 views),
# CK+ as a cross-dataset test (927 images,
# contempt left out, as a folder of 48x48 crops), two_people.jpg and label stability (full range).
#   bash training/tools/report_candidate.sh training/runs/g1 [best.pt]
# Writes RUN/candidate/ (the ONNX and its manifest) and RUN/report/*.json.
set -euo pipefail
run=${1:?run directory}
ckpt=$run/${2:-best.pt}
cd "$(dirname "$0")/../.."
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 OMP_WAIT_POLICY=PASSIVE
py=/usr/bin/python3
out=$run/report
mkdir -p "$out" "$run/candidate"
(cd training && $py calibrate.py --ckpt "../$ckpt" --views 1 --out "../$out/calibration.json") > /dev/null
t=$($py -c "import json; print(json.load(open('$out/calibration.json'))['temperature'])")
note=$($py -c "
import torch; a = torch.load('$ckpt', map_location='cpu').get('args', {})
print('FER2013 Training (28,709 images less 96 identical ones with conflicting labels)' + (', targets mixed with FER+ votes and a teacher' if a.get('ferplus_weight') else '') + (', plus CK+ (927 images, contempt left out, x%d)' % a.get('ckplus_repeat', 1) if a.get('ckplus', 'none') != 'none' else ''))")
(cd training && $py export_onnx.py --ckpt "../$ckpt" --out "../$run/candidate/lightexnet-fer2013.onnx" --views 1 --temperature "$t" \
  --data-note "$note" --check-n 512 2>/dev/null | tail -1) > "$out/export.json"
m=$run/candidate/lightexnet-fer2013.json
for v in 1 2 6; do
  for split in publictest privatetest; do
    node bin/lightexnet.js eval --fer2013 ../shared/data/fer2013 --split $split --views $v --classifier "$m" > "$out/node-$split-views$v.json"
  done
done
# The product's path: each PublicTest image upscaled into a frame, found by BlazeFace, cropped as the nodes crop.
for v in 1 2; do
  node bin/lightexnet.js eval --fer2013 ../shared/data/fer2013 --split publictest --detect --views $v --classifier "$m" > "$out/node-publictest-detect-views$v.json"
done
[ -d /tmp/ckplus-fer ] || (cd training && $py ckplus_folder.py /tmp/ckplus-fer > /dev/null)
for v in 1 6; do node bin/lightexnet.js eval --folder /tmp/ckplus-fer --views $v --classifier "$m" > "$out/node-ckplus-views$v.json"; done
node bin/lightexnet.js classify ../shared/data/scenes/two_people.jpg --model full --views 1 --json --classifier "$m" > "$out/two_people.json"
node bench/label-stability.js --views 1 --classifier "$m" > "$out/label-stability-views1.json"
$py - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
r = lambda n: json.load(open(os.path.join(out, n)))
summary = {"temperature": r("calibration.json")["temperature"]}
for v in (1, 2, 6):
    for s in ("publictest", "privatetest"):
        d = r(f"node-{s}-views{v}.json")
        summary[f"{s}_views{v}"] = d["accuracy"]
        if s == "privatetest":
            summary[f"privatetest_dedup_views{v}"] = d["deduplicated"]["accuracy"]
            summary[f"privatetest_ece_views{v}"] = d["ece"]
for v in (1, 2):
    summary[f"publictest_through_detector_views{v}"] = r(f"node-publictest-detect-views{v}.json")["accuracy"]
for v in (1, 6):
    d = r(f"node-ckplus-views{v}.json")
    summary[f"ckplus_cross_views{v}"] = d["accuracy"]
    summary[f"ckplus_cross_recall_views{v}"] = d["perClassRecall"]
summary["two_people"] = [f"{f['expression']} {f['confidence']}" for f in r("two_people.json")["faces"]]
summary["label_stability_worst_views1"] = r("label-stability-views1.json")["worstAgreement"]
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
print(json.dumps(summary))
PY
