#!/usr/bin/env bash
# Quick start 1: set up, build, and run perfkit's main job, `perfkit bench` on
# the default suites into ./perfkit.db. Arguments go to `perfkit bench`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >&2
exec "$root/build/bin/perfkit" bench "$@"
