#!/usr/bin/env bash
# The checks to run on a machine with a GPU, in one go and within about ten minutes:
#   1. the device (nvidia-smi, JAX's devices);
#   2. step performance: perf_suite.py --device gpu (3D 256^3 and 512^3 CH+AC in float32 against
#      the FFT roofline, a vmapped batch of 64 2D 256^2 runs, the largest 3D grid that fits);
#   3. PFHub 1a to t = 1000 in float32 and float64 (fipy_speed.py --phasefield-only, the
#      matched-accuracy settings of benchmarks/results/fipy_speed.md);
#   4. the test suite on the GPU, with whatever time is left.
# Usage: bash benchmarks/gpu_checks.sh OUTDIR   (run from the repository root; no install
# needed where jax with CUDA, numpy, scipy, optax and pytest are present: PYTHONPATH is set here).
set -u
out=${1:-gpu_checks}
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
py=${PYTHON:-python3}
budget=${GPU_CHECKS_SECONDS:-570}
start=$(date +%s)
log="$out/log.txt"
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
    $py -c "import jax, numpy; print('jax', jax.__version__, 'numpy', numpy.__version__, jax.devices())"
    echo "== perf_suite"
    timeout 200 $py benchmarks/perf_suite.py --device gpu --hlo-grid none --out "$out" --summary perf_summary_gpu.md
    echo "rc=$? after $(( $(date +%s) - start )) s"
    for x64 in 0 1; do
        echo "== PFHub 1a, PHASEFIELD_X64=$x64"
        PHASEFIELD_X64=$x64 timeout 60 $py -W ignore benchmarks/fipy_speed.py --phasefield-only \
            --tols 2e-4 --etd-dt-max 0.15 --out "$out" | grep -E '"(scheme|dtype|device|steps|wall_s|compile_s|100.0|1000.0)"'
        echo "rc=$? after $(( $(date +%s) - start )) s"
    done
} > "$log" 2>&1
left=$(( budget - ($(date +%s) - start) ))
echo "== pytest with ${left} s left" >> "$log"
if [ "$left" -gt 60 ]; then
    timeout "$left" $py -m pytest -q -n 12 -p no:cacheprovider -rfE > "$out/pytest.log" 2>&1
    echo "pytest rc=$? after $(( $(date +%s) - start )) s" >> "$log"
fi
