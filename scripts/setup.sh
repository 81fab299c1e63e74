#!/usr/bin/env bash
# Installs the Debian packages perfkit builds and tests with, if any are
# missing. As root (or with password-less sudo) it runs apt-get; otherwise it
# prints the exact command and stops.
#   --with-test-tools  also what the tests use (scripts/test.sh)
#   --no-guest         skip what only the virtio suite's guest needs: QEMU,
#                      busybox, iproute2 (TAP devices in a network namespace
#                      of the test's own) and the guest kernel (fetched otherwise)
set -euo pipefail
with_test_tools=0
guest=1
for arg in "$@"; do
  case "$arg" in
    --with-test-tools) with_test_tools=1 ;;
    --no-guest) guest=0 ;;
    *) echo "setup: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build git python3
  libcli11-dev libfmt-dev libbenchmark-dev libgtest-dev libgmock-dev googletest
  libsqlite3-dev libpq-dev libpfm4-dev nlohmann-json3-dev
  zlib1g-dev libdeflate-dev libisal-dev
  libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev libxbyak-dev
  librte-bpf23 libelf-dev libdw-dev libbz2-dev libc6-dbg
  liburing-dev libboost-dev libconcurrentqueue-dev libdpdk-dev
  libflatbuffers-dev libprotobuf-dev protobuf-compiler libnuma-dev
)
if [[ $guest -eq 1 ]]; then
  packages+=(qemu-system-x86 busybox-static iproute2)
fi
if [[ $with_test_tools -eq 1 ]]; then
  # compare.py (Google Benchmark's own tool) checks our export in the tests;
  # matplotlib draws the report plots the tests look at; clang-format and
  # clang-tidy check the style of what a change touches; zsh, fish and groff
  # run the completion scripts and render the man page; the store's tests
  # start a throwaway PostgreSQL server of their own.
  packages+=(libbenchmark-tools python3-scipy python3-matplotlib clang-format clang-tidy
             zsh fish groff-base postgresql)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  sudo=(false)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ "${sudo[*]}" == false ]]; then
    echo "perfkit needs these Debian packages; install them and run this again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The virtio suite's guest kernel: Debian's cloud kernel, downloaded by apt
# into the checkout (not installed), once.
kernel_dir="$(cd "$(dirname "$0")/.." && pwd)/.cache/guest-kernel"
if [[ $guest -eq 1 && ! -f "$kernel_dir/release" ]]; then
  if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 && [[ "${sudo[*]}" != false ]]; then
    "${sudo[@]}" apt-get update -qq
  fi
  "$(dirname "$0")/../qemu/fetch_kernel.sh" "$kernel_dir" ||
    echo "setup: no guest kernel: the virtio suite will skip its guest benchmarks" >&2
fi
