#!/usr/bin/env bash
# Quick start 2: set up, build, and run the whole test suite with ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" --with-test-tools
"$root/scripts/build.sh"
cd "$root/build"
# setup.sh installed PostgreSQL: the store's tests against a real server
# must run, not skip.
export PERFKIT_REQUIRE_POSTGRES=1
ctest --output-on-failure -j"$(nproc)" --timeout 600
