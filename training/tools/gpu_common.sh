# Sourced by the scripts for a lent GPU (gpu_session.sh, gpu_teachers.sh, gpu_distill.sh, gpu_scratch.sh) after they set `here` (training/) and
# BUNDLE: the settings they share, the clock, the run and data folders, bundle (the small result files, globs
# under $runs, in one archive: the device tool brings back at most 8 files), then the machine's versions
# printed and the data unpacked (pack_data.py), or the script ends.
OUT=${OUT:-/tmp/gpu-out}
SRC=${SRC:-$here/../.devdata}
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}             # e.g. "--subset 256" for a trial on the CPU
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
t0=$(date +%s)
elapsed() { echo $(( $(date +%s) - t0 )); }
runs=/tmp/gpu-runs data=/tmp/gpu-data
rm -rf "$runs" && mkdir -p "$runs" "$OUT"
cd "$here"

# progress RUN...: while training jobs run, each run's finished epochs every 15 s.
progress() { while [ -n "$(jobs -r)" ]; do sleep 15; echo "t=$(elapsed)s $(for r in "$@"; do echo -n "$r:$(cat $runs/$r/log.jsonl 2>/dev/null | wc -l) "; done)"; done; }

# pack FILE RUN...: the runs' best.pt weights as float16 (half the size) in one file under $OUT: at most 8 files
# come back from a call, 16 MiB each.
pack() { # file runs...
  local f=$1; shift
  $PY - "$runs" "$OUT/$f" "$@" <<'EOF'
import sys, torch
runs, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
packed = {}
for n in names:
    try:
        ck = torch.load(f"{runs}/{n}/best.pt", map_location="cpu")
    except FileNotFoundError:
        continue
    ck["model"] = {k: v.half() if v.is_floating_point() else v for k, v in ck["model"].items()}
    ck.pop("opt", None)
    packed[n] = ck
torch.save(packed, out)
print(out, sorted(packed))
EOF
}

# probabilities RUN...: r64d's (the packed init.pt) and each run's 6-view probabilities on Training, and PublicTest
# and CK+ at 1, 2 and 6 views (teacher_probs.py --each), side by side: probs-RUN-RUN.npy, probs-RUN-RUN-tests.npz.
probabilities() {
  mkdir -p "$runs/r64d" && cp "$SRC/init.pt" "$runs/r64d/best.pt"
  for r in r64d "$@"; do
    [ -f "$runs/$r/best.pt" ] && $PY teacher_probs.py --ckpt "$runs/$r/best.pt" --views 6 --device "$DEVICE" \
      --data "$data" --out "$runs/probs-$r.npy" --each --report "$runs/$r-report.json" > "$runs/$r-probs.log" 2>&1 &
  done
  wait
}

bundle() {
  # shellcheck disable=SC2086 # BUNDLE is a list of globs
  tar -czf "$OUT/results.tar.gz" -C "$runs" $(cd "$runs" && ls -d $BUNDLE 2>/dev/null)
}

nvidia-smi -L 2>/dev/null
$PY -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"
$PY tools/pack_data.py unpack "$SRC" "$data" || exit 1
echo "unpacked at $(elapsed) s"
