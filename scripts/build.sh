#!/usr/bin/env bash
# Configures and builds perfkit (Release, with tests) into ./build.
# Extra arguments go to CMake, e.g. -DPERFKIT_SANITIZE=address -B build-asan.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
for arg in "$@"; do
  [[ "$arg" == -B* ]] && build_dir="${arg#-B}"
done
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build_dir"
