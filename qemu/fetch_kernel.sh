#!/usr/bin/env bash
# Fetches the guest kernel for the virtio suite from Debian's own archive:
# the package linux-image-cloud-amd64 depends on, downloaded with apt (not
# installed) and unpacked; keeps vmlinuz and the virtio modules the guest
# loads (block and network). Once: a later run that finds them all does
# nothing.
#   qemu/fetch_kernel.sh DIR
set -euo pipefail
dir="${1:?usage: fetch_kernel.sh DIR}"
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
  failover net_failover virtio_net)
have=1
for m in "${modules[@]}"; do [[ -f "$dir/modules/$m.ko" ]] || have=0; done
[[ $have == 1 && -f "$dir/vmlinuz" && -f "$dir/release" ]] && exit 0
package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
  sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
if [[ -z "$package" ]]; then
  echo "fetch_kernel: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package" >/dev/null 2>&1) || {
  echo "fetch_kernel: apt-get download $package failed" >&2
  exit 1
}
dpkg-deb -x "$work"/*.deb "$work/root"
release=$(ls "$work/root/lib/modules")
mkdir -p "$dir/modules"
cp "$work/root/boot/vmlinuz-$release" "$dir/vmlinuz"
for m in "${modules[@]}"; do
  found=$(find "$work/root/lib/modules/$release" -name "$m.ko*" | head -1)
  [[ -n "$found" ]] || { echo "fetch_kernel: $package has no $m module" >&2; exit 1; }
  case "$found" in
    *.ko.xz) xz -dc "$found" >"$dir/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$found" >"$dir/modules/$m.ko" ;;
    *) cp "$found" "$dir/modules/$m.ko" ;;
  esac
done
echo "$release" >"$dir/release"
echo "fetch_kernel: $package ($release) in $dir" >&2
