#!/usr/bin/env bash
# One device run on the GPU machine (no package registry there; see ../shared/GPU.md), in
# phases that each have their own time limit and log under $OUT, so that a short device budget
# still gives the most useful results first:
#   setup   the carried scipy-openblas32 wheel (.whl/, made by tools/fetch_gpu_wheels.sh)
#   build   ktensor with CUDA for sm_90 only, parallel
#   info    ktensor.config.info(): is CUDA compiled in, is a device visible
#   cuda    the cuda-marked tests (CPU/CUDA parity, every op on the cuda device); pytest-timeout,
#           where installed (it is on the GPU machine), stops a hung test after 120 s
#   bench   the GPU benchmarks against torch (bench/run.py --quick --only gpu)
#   rest    the rest of the suite, with whatever time is left
# A failed phase does not stop the run; phases that need the build are skipped without it.
# Ends with one line per phase (also in $OUT/summary.txt). $OUT gets 8 files, the most the device
# tool brings back: keep it so.
# Knobs: OUT, KT_BUDGET_S (whole run, default 450 s), KT_JOBS (default: all cores),
#        KT_PHASES (default "setup build info cuda bench rest"; e.g. "build info cuda"),
#        KT_DIR / KT_SITE (install folders, default /tmp/kt and /tmp/kt_site), KT_TAIL (log lines shown).
# On the device: run(command="bash tools/gpu_check.sh", carry=[".whl"], timeout_s=540).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
OUT="${OUT:-/tmp/kt_out}"
mkdir -p "$OUT"
BUDGET="${KT_BUDGET_S:-450}"
PHASES="${KT_PHASES:-setup build info cuda bench rest}"
JOBS="${KT_JOBS:-$(nproc)}"
SITE="${KT_SITE:-/tmp/kt_site}"  # the carried wheels
KT="${KT_DIR:-/tmp/kt}"          # the ktensor build
T0=$(date +%s)
export SITE KT JOBS  # read by the phase functions, which run in child shells under `timeout`
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1  # never wait on an unreachable registry
export PYTHONUNBUFFERED=1  # a phase killed at its limit still leaves its whole output in the log
if ! command -v nvcc > /dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="$PATH:/usr/local/cuda/bin"; fi
export PYTHONPATH="$KT:$SITE${PYTHONPATH:+:$PYTHONPATH}"
SUMMARY=()
BUILT=0
[ -f "$KT/ktensor/__init__.py" ] && BUILT=1  # an earlier run on a still-warm machine

wanted() { [[ " $PHASES " == *" $1 "* ]]; }
left() { echo $((BUDGET - ($(date +%s) - T0))); }

# phase NAME LIMIT_S CMD...: runs CMD under `timeout` with its output in $OUT/NAME.log, prints
# the log's tail and records one summary line. Returns CMD's status.
phase() {
  local name=$1 limit=$2 rc t status
  shift 2
  if ! wanted "$name"; then return 0; fi
  if [ "$limit" -lt 10 ]; then
    SUMMARY+=("$(printf '%-6s skipped (budget spent)' "$name")")
    return 1
  fi
  echo "=== $name (limit ${limit}s) ==="
  t=$(date +%s)
  timeout -k 10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  rc=$?
  t=$(($(date +%s) - t))
  case $rc in
    0) status="ok" ;;
    124 | 137) status="TIMEOUT after ${limit}s" ;;
    *) status="FAILED rc=$rc" ;;
  esac
  tail -n "${KT_TAIL:-15}" "$OUT/$name.log"
  SUMMARY+=("$(printf '%-6s %-22s %4ss  %s' "$name" "$status" "$t" "$OUT/$name.log")")
  return $rc
}

needs_build() {
  if [ "$BUILT" = 1 ]; then return 0; fi
  wanted "$1" && SUMMARY+=("$(printf '%-6s skipped (no build)' "$1")")
  return 1
}

setup() {
  nvidia-smi || echo "nvidia-smi failed"
  python3 --version
  if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-deps --upgrade --target "$SITE" .whl/*.whl || return 1
  fi
  python3 -c "import scipy_openblas32, numpy, pybind11, scikit_build_core; print('build deps ok')"
}

build() {
  nvcc --version | tail -n 2
  KTENSOR_CUDA=ON CMAKE_ARGS="-DCMAKE_CUDA_ARCHITECTURES=90" CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" \
    python3 -m pip install --no-build-isolation --no-deps --upgrade --target "$KT" -v . || return 1
  python3 -c "import ktensor, sys; sys.exit(0 if ktensor.config.info()['cuda_compiled'] else 1)"
}

info() {
  python3 -c "
import ktensor
info = ktensor.config.info()
print(info)
print('cuda devices:', ktensor.cuda.device_count())
raise SystemExit(0 if info['cuda_compiled'] and ktensor.cuda.is_available() else 1)"
}

# Runs "$@" only when ktensor sees a GPU: without one the cuda tests all skip and the GPU bench
# skips itself, which must not read as a pass.
with_gpu() {
  python3 -c "import ktensor, sys; sys.exit(0 if ktensor.cuda.is_available() else 1)" ||
    { echo "no CUDA device visible to ktensor: not run"; return 3; }
  "$@"
}

if wanted setup; then phase setup 120 bash -c "$(declare -f setup); setup"; fi
if wanted build; then
  phase build "$(( $(left) < 360 ? $(left) : 360 ))" bash -c "$(declare -f build); build" && BUILT=1 || BUILT=0  # never test a stale build
fi
if needs_build info; then phase info 60 bash -c "$(declare -f info); info"; fi
if needs_build cuda; then
  phase cuda "$(( $(left) < 240 ? $(left) : 240 ))" bash -c "$(declare -f with_gpu); with_gpu \"\$@\"" _ \
    python3 -m pytest tests -m cuda -q -p no:cacheprovider -rfE --durations=10 -o timeout=120
fi
if needs_build bench; then
  phase bench "$(( $(left) < 200 ? $(left) : 200 ))" bash -c "$(declare -f with_gpu); with_gpu \"\$@\"" _ \
    python3 bench/run.py --quick --only gpu --json "$OUT/bench_gpu.json"
fi
if needs_build rest; then
  phase rest "$(left)" python3 -m pytest tests -m "not cuda" -q -p no:cacheprovider -rfE -o timeout=120
fi

echo "=== summary ($(($(date +%s) - T0))s of ${BUDGET}s) ==="
printf '%s\n' "${SUMMARY[@]}" | tee "$OUT/summary.txt"
