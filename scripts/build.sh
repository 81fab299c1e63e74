#!/usr/bin/env bash
# Configures and builds perfkit (Release, with tests) into ./build.
# -B DIR picks another build directory; --target T builds only T (e.g.
# perfkit-tools: perfkit and the programs its suites run, no tests); other
# arguments go to CMake, e.g.
#   scripts/build.sh -B build-asan -DPERFKIT_SANITIZE=address
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
cmake_args=()
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) targets+=(--target "$2"); shift 2 ;;
    -B) build_dir="$2"; shift 2 ;;
    -B*) build_dir="${1#-B}"; shift ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" "${targets[@]}"
