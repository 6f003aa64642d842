#!/usr/bin/env bash
# Builds ktensor with CUDA on the GPU machine (no package registry there) and runs the whole
# suite plus the GPU benchmarks; logs go to $OUT. See ../shared/GPU.md.
# Needs the scipy-openblas32 wheel carried in .whl/ (tools/fetch_gpu_wheels.sh makes it).
set -uo pipefail
OUT="${OUT:-/tmp/kt_out}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
KTENSOR_CUDA=ON python3 -m pip install --no-build-isolation --no-deps --target /tmp/kt -v . > "$OUT/build.log" 2>&1
rc=$?
tail -20 "$OUT/build.log"
[ $rc -eq 0 ] || { echo "build failed"; exit $rc; }
export PYTHONPATH=/tmp/kt:/tmp/site
python3 -c "import ktensor; print(ktensor.config.info())" | tee "$OUT/info.txt"
python3 -m pytest tests -q -p no:cacheprovider -rs > "$OUT/pytest.log" 2>&1
echo "pytest rc=$?"; tail -30 "$OUT/pytest.log"
python3 bench/run.py --json "$OUT/bench.json" > "$OUT/bench.txt" 2>&1
echo "bench rc=$?"; cat "$OUT/bench.txt"
