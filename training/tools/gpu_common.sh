# Sourced by the scripts for a lent GPU (gpu_session.sh, gpu_teachers.sh) after they set `here` (training/) and
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

bundle() {
  # shellcheck disable=SC2086 # BUNDLE is a list of globs
  tar -czf "$OUT/results.tar.gz" -C "$runs" $(cd "$runs" && ls -d $BUNDLE 2>/dev/null)
}

nvidia-smi -L 2>/dev/null
$PY -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"
$PY tools/pack_data.py unpack "$SRC" "$data" || exit 1
echo "unpacked at $(elapsed) s"
