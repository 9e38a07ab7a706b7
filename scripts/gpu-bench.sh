#!/usr/bin/env bash
# On a fresh Debian or Ubuntu machine with an NVIDIA GPU and its driver, as root, from the
# repository root:   bash scripts/gpu-bench.sh [extra bench flags]
#
# Installs what gpu.js's GL kernels need (X11 headers to build the optional package gl, Xvfb for
# the display that gl's contexts need), installs the package, runs the test suite with GL (the
# same suite then runs on the GL kernels too), and times the backends side by side at the
# paper's defaults: CPU workers against gpu.js's GL kernels at several launch sizes. Everything
# it prints is also written to results/gpu-bench-<date>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p results
report="results/gpu-bench-$(date +%Y%m%d-%H%M%S).txt"
exec > >(tee "$report") 2>&1

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or later is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader ||
  echo "note: nvidia-smi not found: no NVIDIA driver; GL will be Mesa's software renderer"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "node $(node --version), npm $(npm --version)"

echo "== system packages (headers to build gl, Xvfb for its display)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libxi-dev libgl-dev xvfb xauth python3 make g++ >/dev/null

echo "== npm ci (builds gl from source where no prebuilt binary can be fetched: minutes)"
npm ci
if [ ! -e node_modules/gl/build/Release/webgl.node ]; then
  echo "error: the optional package gl did not build; see the npm log above"
  exit 1
fi

# Xvfb gives gl its display; with NVIDIA's GLX vendor library the contexts run on the GPU.
# The backend reports the GL driver it loaded, so a software fallback shows in the output.
export __GLX_VENDOR_LIBRARY_NAME=nvidia
with_display=(xvfb-run -a -s '-screen 0 640x480x24')

echo "== tests, with GL kernels in the backend suite"
"${with_display[@]}" npm test

echo "== backends side by side (seconds per 100K trials, speedup over the CPU workers)"
"${with_display[@]}" node dist/src/bench.js --backend gpu --gpu-modes gpu,webasm \
  --chunks 2000,8000,16000,32000 "$@"

echo "== written to $report"
