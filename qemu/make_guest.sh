#!/usr/bin/env bash
# Assembles the virtio suite's guest in OUT_DIR: the kernel and modules
# scripts/setup.sh fetched (qemu/fetch_kernel.sh), and an initramfs of
# busybox (busybox-static), those modules, perfkit-guest-io,
# perfkit-guest-net and init.sh as a newc cpio archive made by busybox
# itself. Without a fetched kernel it says so and leaves no guest (the suite
# then says why it skips).
#   qemu/make_guest.sh KERNEL_DIR GUEST_IO GUEST_NET INIT OUT_DIR
set -euo pipefail
kernel="$1" guest_io="$2" guest_net="$3" init="$4" out="$5"
if [[ ! -f "$kernel/release" ]]; then
  echo "perfkit: no guest kernel in $kernel (scripts/setup.sh fetches it); no virtio guest" >&2
  rm -f "$out/initrd.img"
  exit 0
fi
if [[ -f "$out/initrd.img" && -z $(find "$kernel/release" "$guest_io" "$guest_net" "$init" "$0" \
      -newer "$out/initrd.img" 2>/dev/null) ]]; then
  exit 0  # up to date
fi
busybox=$(command -v busybox) || { echo "make_guest: busybox-static is not installed" >&2; exit 1; }
# ldd fails on a static binary: the busybox of busybox-static needs no /lib.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make_guest: $busybox is not static (install busybox-static)" >&2
  exit 1
fi
mkdir -p "$out"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$guest_io" "$root/bin/perfkit-guest-io"
cp "$guest_net" "$root/bin/perfkit-guest-net"
cp "$init" "$root/init"
chmod 755 "$root/init" "$root/bin/perfkit-guest-io" "$root/bin/perfkit-guest-net"
cp "$kernel"/modules/*.ko "$root/lib/modules/"
(cd "$root" && find . | sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$out/initrd.tmp"
cp "$kernel/vmlinuz" "$out/vmlinuz"
cp "$kernel/release" "$out/release"
mv "$out/initrd.tmp" "$out/initrd.img"
