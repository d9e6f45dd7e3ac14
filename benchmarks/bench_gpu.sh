#!/usr/bin/env bash
# One short run on a machine with a CUDA GPU: the generated CUDA sweep kernel against the CPU
# blocked kernel on issue 16's workloads (benchmarks/bench_gpu.py), the results written with the
# device's name. Uses the Python in $PYTHON (default python3) if it imports numba and optmath;
# otherwise installs optmath into it from this checkout (no test extras). Results go to
# $OUT/gpu.md when $OUT is set (the device tool's output folder), else benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import numba, optmath" 2>/dev/null; then
    "$PY" -m pip install -q -e .
fi
name=$("$PY" -c "from numba import cuda; d = cuda.get_current_device().name; print((d.decode() if isinstance(d, bytes) else d).lower().replace(' ', '-'))")
dest=${OUT:-benchmarks/results}
mkdir -p "$dest"
export PYTHONUNBUFFERED=1
exec "$PY" benchmarks/bench_gpu.py --repeat "${REPEAT:-5}" --out "$dest/gpu-$name.md"
