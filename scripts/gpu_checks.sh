#!/usr/bin/env bash
# The GPU measurements of this project, in steps that each fit one call of
# about 10 minutes on a lent GPU machine (see ../shared/GPU.md).
#
# A lent GPU, in two calls of the device tool's `run` (15 minutes of device
# time in all, its start included: make them back to back). Build the
# minimal bundle here first (it needs PyPI; result/ is git-ignored):
#   bash scripts/offline_bundle.sh --minimal   # result/offline_bundle_minimal
#
# Call 1: the kernels with the machine's own python3 (NumPy 2, CuPy 14,
# PyTorch; nothing to install, no Chainer), while the first part of the
# bundle rides along to /opt; timeout_s 570, carry
#   ["result/offline_bundle_minimal/sparsemask-offline.tar.part-00",
#    "result/offline_bundle_minimal/install.sh",
#    "result/offline_bundle_minimal/SHA256SUMS"]
# command:
#   mkdir -p /opt/smb; cp result/offline_bundle_minimal/* /opt/smb/;
#   python3 scripts/gpu_kernel_check.py --out "$OUT" --budget-s 450
# It writes $OUT/gpu_kernel_check.json (commit it under eval/results/gpu/)
# and $OUT/gpu_kernel_check.txt; see the docstring of
# scripts/gpu_kernel_check.py.
#
# Call 2: the Chainer tier (Python 3.10, numpy 1.23.5, CuPy 13.6, Chainer)
# from the bundle, unpacked under /opt; timeout_s: what the device tool's
# status leaves, less a minute (about 300); carry
#   ["result/offline_bundle_minimal/sparsemask-offline.tar.part-01"]
# command:
#   cp result/offline_bundle_minimal/*part-01 /opt/smb/ &&
#   bash /opt/smb/install.sh /opt/sparsemask-env > "$OUT/install.log" 2>&1 &&
#   . /opt/sparsemask-env/env.sh && PYTHONPATH=$PWD bash scripts/gpu_checks.sh
#   --python python --out /tmp/gc --iterations 100 tests train
#   > "$OUT/chainer_tier.log" 2>&1; rc=$?;
#   tar -czf "$OUT/gpu_checks.tgz" -C /tmp/gc --exclude='*.npz' .; exit $rc
# (if the machine went back between the calls, /opt is empty: install.sh
# names the missing part; start over with call 1.)
#
# Usage, from the repository root:
#   scripts/gpu_checks.sh [--python PY] [--gpu N] [--out DIR]
#                         [--iterations N] STEP...
#
# Steps (each writes its output and a .txt log under --out, default
# eval/results/gpu/):
#   kernels  scripts/gpu_kernel_check.py with $KERNEL_PYTHON (default:
#            python3; needs neither Chainer nor sparsemask) and the options
#            in $KERNEL_ARGS (e.g. --budget-s 300, or --emulate on a CPU):
#            the fused stage kernels against the NumPy twin, CuPy and
#            PyTorch, into --out/kernel_check/
#   tests    pytest -m gpu --gpu on the test files that have GPU tests
#            (CuPy against NumPy, real-size stages 1 and 6 at batch 16; a
#            broken CuPy fails) and the emulator tests
#   bench    eval/bench_kernels.py: fused vs unfused forward and fwd+bwd at
#            stages 1 and 6, batch 16; the kernels' bandwidth against the
#            device's copy bandwidth
#   train    a short search -> retrain on the synthetic data set
#            (configs/demo.yaml, --iterations each)
#   model    eval/bench_model.py: test-phase images/s of the paper's
#            architecture at 512x512, batch 1 and 16, fused and unfused
#   ncu      Nsight Compute on the three fdn_stage kernels (stage 1), if
#            `ncu` is on PATH
#   all      every step above but kernels, in this order
#
# Every step but kernels, tests and ncu also runs with --gpu -1 (the CPU),
# which is how CI checks this script (kernels: with --emulate, see
# tests/scripts/test_gpu_kernel_check.py).
set -euo pipefail

PY=${PYTHON:-.venv/bin/python}
GPU=0
OUT=eval/results/gpu
ITERATIONS=200
STEPS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --python) PY=$2; shift 2 ;;
    --gpu) GPU=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --iterations) ITERATIONS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    kernels|tests|bench|train|model|ncu) STEPS+=("$1"); shift ;;
    all) STEPS+=(tests bench train model ncu); shift ;;
    *) echo "error: unknown argument '$1' (see $0 --help)" >&2; exit 2 ;;
  esac
done
if [ ${#STEPS[@]} -eq 0 ]; then
  echo "error: no step given; expected one or more of kernels tests bench" \
       "train model ncu all (see $0 --help)" >&2
  exit 2
fi
if [ ! -f setup.py ] || [ ! -d sparsemask ]; then
  echo "error: run this from the repository root (no setup.py here: $PWD)" >&2
  exit 2
fi
NEEDS_SPARSEMASK=0
for step in "${STEPS[@]}"; do
  [ "$step" = kernels ] || NEEDS_SPARSEMASK=1
done
if [ "$NEEDS_SPARSEMASK" = 1 ] && ! "$PY" -c 'import sparsemask' 2>/dev/null; then
  echo "error: $PY cannot import sparsemask; pass --python with the" \
       "environment's python (e.g. the offline bundle's venv/bin/python)" >&2
  exit 2
fi
mkdir -p "$OUT"

log() { echo "== $(date -u +%H:%M:%S) $*"; }

run_step() {
  local name=$1
  shift
  log "$name: $*"
  local start=$SECONDS
  "$@" 2>&1 | tee "$OUT/$name.txt"
  local rc=${PIPESTATUS[0]}
  log "$name: exit $rc after $((SECONDS - start)) s"
  return "$rc"
}

status=0
for step in "${STEPS[@]}"; do
  case "$step" in
    kernels)
      # shellcheck disable=SC2086  # KERNEL_ARGS: more options, split
      run_step gpu_kernel_check "${KERNEL_PYTHON:-python3}" \
        scripts/gpu_kernel_check.py --device "$GPU" \
        --out "$OUT/kernel_check" ${KERNEL_ARGS:-} || status=1
      ;;
    tests)
      # only the files with GPU tests: collecting the whole tree would
      # import what a minimal environment lacks (onnx, scipy, ...)
      mapfile -t gpu_files < <(grep -rlE 'pytest\.mark\.gpu|require_cupy' \
        tests --include='test_*.py' | sort)
      run_step pytest_gpu "$PY" -m pytest -m gpu --gpu -q -rA -p no:cacheprovider \
        --junitxml "$OUT/pytest_gpu.xml" "${gpu_files[@]}" || status=1
      run_step pytest_emulator "$PY" -m pytest -q -p no:cacheprovider \
        tests/functions/test_fdn_stage_kernels.py \
        tests/functions/test_fdn_stage_plan.py || status=1
      ;;
    bench)
      run_step bench_kernels "$PY" eval/bench_kernels.py --gpu "$GPU" \
        --out "$OUT/bench_kernels.json" || status=1
      ;;
    train)
      rm -rf "$OUT/search" "$OUT/retrain"
      run_step search "$PY" train/search.py --config configs/demo.yaml \
        --gpu "$GPU" --out "$OUT/search" \
        "train.iterations=$ITERATIONS" log.plots=false || { status=1; continue; }
      run_step retrain "$PY" train/retrain.py --config configs/demo.yaml \
        --gpu "$GPU" --out "$OUT/retrain" \
        "model.arch=$OUT/search/arch.yaml" \
        "train.iterations=$ITERATIONS" log.plots=false || status=1
      # the snapshots are large and not results: keep logs, arch, summary
      find "$OUT/search" "$OUT/retrain" -name 'snapshot_*' -delete \
        2>/dev/null || true
      ;;
    model)
      run_step bench_model "$PY" eval/bench_model.py --gpu "$GPU" \
        --size 512 --batch 1 16 --json "$OUT/bench_model.json" || status=1
      ;;
    ncu)
      if ! command -v ncu >/dev/null 2>&1; then
        log "ncu: not on PATH, skipped"
        continue
      fi
      run_step ncu ncu --target-processes all -k 'regex:fdn_stage_' -c 6 \
        --section SpeedOfLight --section MemoryWorkloadAnalysis \
        --section LaunchStats --section Occupancy \
        "$PY" eval/bench_kernels.py --gpu "$GPU" --stages 1 --repeat 1 \
        --out "$OUT/ncu_bench_kernels.json" || status=1
      ;;
  esac
done
log "done: $OUT (exit $status)"
exit "$status"
