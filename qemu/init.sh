#!/bin/busybox sh
# The guest's /init: load the virtio modules (Debian's cloud kernel builds
# them as modules), bring up the network card when asked, say what the guest
# sees of its disk, run the steps the kernel command line names
# (perfkit.run=STEP,STEP...; see guest_io.c) and power off. Every line perfkit reads starts with PERFKIT-.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "PERFKIT-UP kernel=$(uname -r)"
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^perfkit\.$1=//p"; }
if [ "$(arg smoke)" = 1 ]; then poweroff -f; fi
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  insmod /lib/modules/$m.ko || echo "PERFKIT-ERROR insmod $m failed"
done
# perfkit.net=ADDRESS/PREFIX: the virtio network card, up at that address;
# perfkit.ping=ADDRESS: three pings of it; perfkit.netrun=STEP,STEP...: the
# measurements of perfkit-guest-net (see guest_net.c) against that address.
net=$(arg net)
if [ -n "$net" ]; then
  for m in failover net_failover virtio_net; do
    insmod /lib/modules/$m.ko || echo "PERFKIT-ERROR insmod $m failed"
  done
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -e /sys/class/net/eth0 ] && break
    sleep 0.25
  done
  if [ -e /sys/class/net/eth0 ]; then
    ip link set lo up
    ip link set eth0 up
    ip addr add "$net" dev eth0
    echo "PERFKIT-NET address=$net rx_queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)" \
         "features=$(cat /sys/class/net/eth0/device/features)"
    peer=$(arg ping)
    if [ -n "$peer" ]; then
      # -A: the next ping as soon as a reply comes, not a second later.
      echo "PERFKIT-PING $(ping -c 3 -A -W 2 "$peer" 2>&1 | grep -E 'packets transmitted')"
      [ -n "$(arg netrun)" ] && /bin/perfkit-guest-net "$peer" "$(arg netrun)"
    fi
  else
    echo "PERFKIT-ERROR no eth0: the virtio network card did not appear"
  fi
fi
[ -n "$(arg run)" ] && for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  [ -b /dev/vda ] && break
  sleep 0.25
done
if [ -z "$(arg run)" ]; then
  :  # no disk steps asked for
elif [ -b /dev/vda ]; then
  q=/sys/block/vda/queue
  echo "PERFKIT-DISK nr_requests=$(cat $q/nr_requests) max_segments=$(cat $q/max_segments)" \
       "hw_queues=$(ls /sys/block/vda/mq | wc -l) tags=$(cat /sys/block/vda/mq/0/nr_tags)" \
       "features=$(cat /sys/block/vda/device/features)"
  /bin/perfkit-guest-io /dev/vda "$(arg run)"
else
  echo "PERFKIT-ERROR no /dev/vda: the virtio disk did not appear"
fi
echo "PERFKIT-DONE"
poweroff -f
