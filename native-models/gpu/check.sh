#!/usr/bin/env bash
# Device check for the student engine (issue 3). Build the bundle here first (bash native-models/gpu/build.sh),
# carry ["dist/gpu-check"], then run from the repository root on the GPU machine:
#   OUT=/some/dir bash native-models/gpu/check.sh
# It records the GPU, looks for onnxruntime's CUDA provider libraries and installs them next to
# onnxruntime-node's binding if found, then runs the gradient checks and the engine benchmark with
# EMMA_EP=cuda,cpu so the provider that actually ran (or the CPU fallback and its reason) is logged.
# Also times the PyTorch twins on CUDA for reference. Everything goes to $OUT; total well under 6 minutes.
set -u
OUT="${OUT:-/tmp/emma-gpu-check}"
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
step() { say ""; say "== $* ($(date +%T))"; }
START=$(date +%s)

step "GPU"
if command -v nvidia-smi >/dev/null; then nvidia-smi 2>&1 | tee "$OUT/nvidia-smi.txt"; else say "nvidia-smi not found"; fi

step "Toolchain"
PY="$(command -v python3 || echo /usr/bin/python3)"
say "node: $(command -v node >/dev/null && node -v || echo missing)"
say "python: $PY $("$PY" -c 'import sys; print(sys.version.split()[0])' 2>&1)"
"$PY" - <<'PYEOF' 2>&1 | tee -a "$SUMMARY"
try:
    import torch
    print("torch", torch.__version__, "cuda available:", torch.cuda.is_available(), torch.version.cuda)
except Exception as e:
    print("torch: not importable:", e)
try:
    import onnxruntime as ort
    print("python onnxruntime", ort.__version__, "providers:", ort.get_available_providers())
except Exception as e:
    print("python onnxruntime: not importable:", e)
PYEOF

# Prefer the self-contained bundle from native-models/gpu/build.sh (carry ["dist/gpu-check"]); from a full
# checkout with node_modules, run the TypeScript sources through tsx instead.
BUNDLE="$ROOT/dist/gpu-check"
if [ -d "$BUNDLE/node_modules/onnxruntime-node" ]; then
  MODE=bundle; ORTDIR="$BUNDLE/node_modules/onnxruntime-node"
  PROBE=(node "$BUNDLE/native-models/gpu/probe.js")
  GRAD=(node "$BUNDLE/tests/native-models/run-gradchecks.js")
  BENCH=(node "$BUNDLE/bench/engine.js")
elif [ -d "$ROOT/node_modules/tsx" ] && [ -d "$ROOT/node_modules/onnxruntime-node" ]; then
  MODE=source; ORTDIR="$ROOT/node_modules/onnxruntime-node"
  PROBE=(node --import tsx native-models/gpu/probe.ts)
  GRAD=(node --import tsx tests/native-models/run-gradchecks.ts)
  BENCH=(node --import tsx bench/engine.ts)
else
  MODE=none; ORTDIR="$ROOT/node_modules/onnxruntime-node"
fi
BIND="$ORTDIR/bin/napi-v6/linux/x64"
say "engine mode: $MODE"

step "onnxruntime CUDA provider libraries"
if [ -d "$BIND" ]; then ls -la "$BIND" | tee -a "$SUMMARY"; else say "no onnxruntime-node binding at $BIND"; fi
# onnxruntime-node's install script would fetch these from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux);
# without network, take them from anywhere on the machine (e.g. a pip onnxruntime-gpu's capi folder).
FOUND="$(timeout 60 find / -xdev \( -path /proc -o -path /sys -o -path "$BIND" \) -prune -o -name 'libonnxruntime_providers_cuda.so*' -print 2>/dev/null | head -5)"
if [ -n "$FOUND" ] && [ -d "$BIND" ]; then
  say "found: $FOUND"
  DIR="$(dirname "$(echo "$FOUND" | head -1)")"
  for f in "$DIR"/libonnxruntime_providers_cuda.so* "$DIR"/libonnxruntime_providers_shared.so*; do
    [ -e "$f" ] && cp -v "$f" "$BIND/" 2>&1 | tee -a "$SUMMARY"
  done
  say "note: these must match onnxruntime 1.30 and the machine's CUDA/cuDNN; a mismatch shows up as the fallback reason below"
else
  say "no libonnxruntime_providers_cuda.so on this machine (expected: NuGet is unreachable); CUDA will fall back to CPU"
fi

if [ "$MODE" != none ] && command -v node >/dev/null; then
  export EMMA_EP=cuda,cpu
  step "Provider probe (EMMA_EP=$EMMA_EP)"
  timeout 120 "${PROBE[@]}" 2>&1 | tee "$OUT/probe.log" | tee -a "$SUMMARY"

  step "Gradient checks, every op + composites + negative controls (EMMA_EP=$EMMA_EP)"
  timeout 180 "${GRAD[@]}" > "$OUT/gradcheck.log" 2>&1
  say "gradient-check exit code: $?"
  grep -E '^FAIL|gradient checks ran on|all passed|FAILED' "$OUT/gradcheck.log" | tee -a "$SUMMARY"

  step "Engine benchmark (EMMA_EP=$EMMA_EP, 1 round, PyTorch CPU twin via $PY)"
  EMMA_BENCH_PYTHON="$PY" EMMA_BENCH_NO_INSTALL=1 timeout 240 "${BENCH[@]}" --json --rounds 1 > "$OUT/bench.json.log" 2> "$OUT/bench.txt"
  say "bench exit code: $?"
  tee -a "$SUMMARY" < "$OUT/bench.txt"
  tail -1 "$OUT/bench.json.log" | tee "$OUT/bench.json" | tee -a "$SUMMARY"
else
  say "no runnable engine: build the bundle first (bash native-models/gpu/build.sh, then carry dist/gpu-check) or provide node_modules"
fi
step "PyTorch twins on CUDA (reference)"
if "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for spec in '{"imageSize":32,"channels":1,"patch":4,"dim":64,"depth":3,"heads":4,"mlpRatio":2,"classes":10,"stem":[]} 32' \
              '{"imageSize":64,"channels":1,"patch":2,"dim":192,"depth":4,"heads":3,"mlpRatio":4,"classes":10,"stem":[32,64]} 16'; do
    cfg="${spec% *}"; batch="${spec##* }"
    timeout 120 "$PY" bench/torch/vit_bench.py --config "$cfg" --batch "$batch" --steps 20 --device cuda 2>&1 | tail -1 | tee -a "$SUMMARY"
  done
else
  say "torch CUDA not available; skipped"
fi

say ""
say "total $(( $(date +%s) - START )) s; logs in $OUT"
