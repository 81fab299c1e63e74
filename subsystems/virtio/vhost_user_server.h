// The vhost-user protocol's back end side (QEMU's docs/interop/vhost-user.rst),
// for any device: it listens on a Unix socket, a front end (QEMU) connects,
// negotiates features, hands over the guest's memory (memfd descriptors) and
// each ring's addresses, kick and call eventfds, and the device then serves
// the rings. The calling thread reads the front end's messages; the device's
// own threads (one per queue pair for the network card) each wait on their
// rings' kicks and the descriptors they watch (a TAP), and are paused while
// a message changes what they read. Everything a front end sends is checked; one that breaks the
// protocol is disconnected, one that breaks a ring loses that ring, and neither can make the server
// touch memory outside the guest's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "subsystems/base/status.h"
#include "subsystems/virtio/device_queue.h"

namespace perfkit::virtio {

// What a device may do with a session's rings.
class Rings {
 public:
  virtual ~Rings() = default;
  // Ring `index`'s queue while it runs and is enabled; null otherwise.
  virtual DeviceQueue* Queue(size_t index) = 0;
  // After a Publish: interrupts the driver if it asked (EVENT_IDX or flags).
  virtual void Notify(size_t index) = 0;
  // Whether the chain's buffers (and the rings) still have their memory:
  // always, unless the front end could shrink it.
  virtual bool Backed(const Chain& chain) const = 0;
  // Stops the ring for good, with the reason in the report.
  virtual void Break(size_t index, const std::string& why) = 0;
  virtual void Note(std::string error) = 0;
  // A chain refused: counted in the report, its error noted.
  virtual void Malformed(size_t index, const std::string& error) = 0;
  // With `on` false, one of the device's Watched() descriptors is reported
  // only on new events (edge-triggered): a device with nowhere to put what
  // it would read leaves it unread, and the peer behind it waits, without
  // being woken again and again for it; it still hears of new data and of
  // the descriptor's end. `on` goes back to waking while it is readable.
  virtual void Watch(int fd, bool on) = 0;
};

class VhostUserDevice {
 public:
  virtual ~VhostUserDevice() = default;
  // VIRTIO feature bits offered, device and transport ones (VERSION_1,
  // EVENT_IDX, INDIRECT_DESC); the server adds the protocol-features bit.
  virtual uint64_t Features() const = 0;
  virtual uint16_t MaxQueues() const = 0;
  // vhost-user protocol features offered (VHOST_USER_PROTOCOL_F_*).
  virtual uint64_t ProtocolFeatures() const = 0;
  // The device's configuration space, its first `size` bytes.
  virtual std::vector<uint8_t> Config(size_t size) const = 0;
  // What the front end acked, before any ring runs.
  virtual void Negotiated(uint64_t features) { (void)features; }
  // Threads that serve the rings: ring `index` is served by thread
  // WorkerOf(index), Watched()[w] by thread w % Workers(). Threads run side
  // by side, so what a device changes while serving must belong to one
  // thread's rings; Negotiated and the front end's messages run while every
  // thread is paused.
  virtual size_t Workers() const { return 1; }
  virtual size_t WorkerOf(size_t ring) const {
    (void)ring;
    return 0;
  }
  // Ring `index` has chains available (a kick, or it started or was enabled).
  virtual void Serve(size_t index, Rings& rings) = 0;
  // Descriptors for the server to wait on; OnReadable runs when one is,
  // and returns false when it should no longer be watched (it failed).
  virtual std::vector<int> Watched() const { return {}; }
  virtual bool OnReadable(int fd, Rings& rings) {
    (void)fd;
    (void)rings;
    return false;
  }
};

// Threads for `queues` queues (or pairs): `requested` if the user said (at
// most one per queue), else one each up to half the CPUs this process may
// run on. The guest's vCPUs, which make the traffic, need the other half:
// with 2 host CPUs, a 4-vCPU guest and 4 pairs, one thread per pair made
// UDP 1.45x slower than one thread for all (TCG, Zen 3).
size_t WorkersFor(size_t requested, size_t queues);

struct VhostUserServerOptions {
  std::string socket_path;
  bool keep_listening = false;  // after a front end leaves, wait for the next
};

struct VhostUserReport {
  uint64_t kicks = 0;               // kick eventfd wake-ups
  uint64_t notifications = 0;       // call eventfd writes
  uint64_t malformed = 0;           // chains refused
  std::vector<std::string> errors;  // the first few, for the log
  uint64_t negotiated_features = 0;
};

class VhostUserServer {
 public:
  // Binds and listens (replacing a stale socket file, refusing any other
  // kind of file at that path).
  static Result<VhostUserServer> Listen(const VhostUserServerOptions& options);
  VhostUserServer(VhostUserServer&& other) noexcept;
  VhostUserServer& operator=(VhostUserServer&&) = delete;
  ~VhostUserServer();

  // Serves front ends until one disconnects (or, with keep_listening, until
  // `stop_fd` becomes readable). Everything a connection opened is closed
  // and unmapped when it ends. The device counts its own malformed chains
  // through Rings::Note and its report.
  Result<VhostUserReport> Serve(VhostUserDevice& device, int stop_fd);

 private:
  VhostUserServer(VhostUserServerOptions options, int listen_fd)
      : options_(std::move(options)), listen_fd_(listen_fd) {}
  VhostUserServerOptions options_;
  int listen_fd_;
};

}  // namespace perfkit::virtio
