#include "subsystems/virtio/vhost_user_blk.h"

#include <utility>

#include "subsystems/virtio/blk_device.h"
#include "subsystems/virtio/device_queue.h"
#include "subsystems/virtio/split_ring.h"
#include "subsystems/virtio/vhost_user_message.h"

namespace perfkit::virtio {
namespace {

class BlkDevice final : public VhostUserDevice {
 public:
  BlkDevice(const VhostUserBlkOptions& options, BlkBackend* blk) : options_(options), blk_(blk) {}

  uint64_t Features() const override {
    uint64_t f = Bit(kFeatureVersion1) | Bit(kBlkFeatureSegMax) | Bit(kBlkFeatureBlkSize) |
                 Bit(kBlkFeatureFlush);
    if (options_.max_queues > 1) f |= Bit(kBlkFeatureMq);
    if (options_.event_idx) f |= Bit(kFeatureEventIdx);
    if (options_.indirect) f |= Bit(kFeatureIndirectDesc);
    return f;
  }
  uint16_t MaxQueues() const override { return options_.max_queues; }
  // A thread per queue (WorkersFor): requests on different queues wait on
  // the disk side by side, as blk-mq in the guest means them to.
  size_t Workers() const override { return WorkersFor(options_.threads, options_.max_queues); }
  size_t WorkerOf(size_t ring) const override { return ring; }
  uint64_t ProtocolFeatures() const override { return Bit(kProtocolMq) | Bit(kProtocolConfig); }
  std::vector<uint8_t> Config(size_t size) const override {
    return blk_->Config(options_.queue_size - 2u, options_.max_queues, size);
  }

  void Serve(size_t index, Rings& rings) override {
    DeviceQueue* q = rings.Queue(index);
    if (q == nullptr) return;
    Chain chain;
    for (;;) {
      q->DisableKicks();
      bool any = false;
      while (q->Pop(&chain)) {
        any = true;
        if (!chain.error.empty()) rings.Malformed(index, chain.error);
        if (!chain.head_valid) continue;  // no id to hand back
        if (!rings.Backed(chain)) {
          // The disk is never touched by a request whose buffers are gone.
          rings.Break(index, "the front end shrank the guest's memory under it");
          return;
        }
        q->Push(chain.head, blk_->Handle(chain));
        q->Publish();
      }
      if (!q->broken().empty()) return;  // the session breaks the ring
      if (any) rings.Notify(index);
      q->EnableKicks();
      if (!q->HasAvailable()) return;
    }
  }

 private:
  const VhostUserBlkOptions& options_;
  BlkBackend* blk_;
};

}  // namespace

Result<VhostUserBlkServer> VhostUserBlkServer::Listen(const VhostUserBlkOptions& options) {
  if (options.queue_size < 4 || options.max_queues == 0 || options.max_queues > 16) {
    return Status::InvalidArgument("queue size must be at least 4 and queues 1 to 16");
  }
  auto blk = BlkBackend::Open(options.file);
  if (!blk.ok()) return blk.status();
  auto server = VhostUserServer::Listen({options.socket_path, options.keep_listening});
  if (!server.ok()) return server.status();
  return VhostUserBlkServer(options, std::move(*server), std::move(*blk));
}

Result<VhostUserBlkReport> VhostUserBlkServer::Serve(int stop_fd) {
  BlkDevice device(options_, &blk_);
  auto served = server_.Serve(device, stop_fd);
  if (!served.ok()) return served.status();
  VhostUserBlkReport report;
  static_cast<VhostUserReport&>(report) = std::move(*served);
  report.blk = blk_.stats();
  return report;
}

}  // namespace perfkit::virtio
