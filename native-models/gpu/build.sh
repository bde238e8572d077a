#!/usr/bin/env bash
# Builds a self-contained bundle for the device check into dist/gpu-check (git-ignored): the engine, the
# gradient-check runner and the benchmark compiled to JS, plus just the node_modules they load at run
# time (onnxruntime-node for linux-x64 only, onnxruntime-common, protobufjs, long): ~51 MB, one carry
# path, no tsx/vitest needed on the device. Then: carry ["dist/gpu-check"] and run native-models/gpu/check.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf dist/gpu-check
npx tsc -p native-models/gpu/tsconfig.json
NM=dist/gpu-check/node_modules
mkdir -p "$NM/onnxruntime-node/bin/napi-v6/linux"
cp -r node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist "$NM/onnxruntime-node/"
cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$NM/onnxruntime-node/bin/napi-v6/linux/"
cp -r node_modules/onnxruntime-common node_modules/protobufjs node_modules/@protobufjs node_modules/long "$NM/"
echo '{"type":"module"}' > dist/gpu-check/package.json
du -sh dist/gpu-check
