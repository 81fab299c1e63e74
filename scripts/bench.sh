#!/usr/bin/env bash
# Quick start 1: set up, build, and run perfkit's main job, `perfkit bench` on
# the default suites into ./perfkit.db. Arguments go to `perfkit bench`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Only what `bench` needs, so the first table comes early on a new machine:
# no tests (scripts/test.sh builds them), and the guest kernel only when the
# virtio suite is asked for.
guest=--no-guest
[[ " $* " == *virtio* ]] && guest=
"$root/scripts/setup.sh" $guest
"$root/scripts/build.sh" --target perfkit-tools >&2
exec "$root/build/bin/perfkit" bench "$@"
