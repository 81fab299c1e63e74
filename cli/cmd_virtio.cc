// `perfkit virtio serve-blk --socket PATH FILE`: perfkit's virtio-blk device
// behind vhost-user, for QEMU's vhost-user-blk-pci:
//   qemu-system-x86_64 ... -object memory-backend-memfd,id=mem,size=512M,share=on
//     -numa node,memdev=mem -chardev socket,id=vu,path=PATH
//     -device vhost-user-blk-pci,chardev=vu
// `perfkit virtio serve-net --socket PATH --reflect|--tap NAME`: its
// virtio-net device, for -netdev vhost-user,chardev=vu,queues=N
//   -device virtio-net-pci,netdev=...,mq=on
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/serve.h"
#include "cli/command.h"
#include "cli/common.h"

namespace perfkit::cli {

namespace {

int RunServeBlk(app::ServeBlkRequest options) {
  options.on_listening = [&options] {
    fmt::print(stderr, "perfkit: serving {} on {}\n", options.blk.file, options.blk.socket_path);
  };
  auto report = app::ServeBlk(options);
  if (!report.ok()) return Fail(report.status());
  for (const std::string& e : report->errors) fmt::print(stderr, "perfkit: {}\n", e);
  const virtio::BlkStats& b = report->blk;
  fmt::print(stderr,
             "perfkit: served {} reads, {} writes, {} flushes ({} failed, {} malformed chains); "
             "{} kicks, {} interrupts\n",
             b.reads, b.writes, b.flushes, b.errors, report->malformed, report->kicks,
             report->notifications);
  return kExitSuccess;
}

int RunServeNet(app::ServeNetRequest options) {
  options.on_listening = [&options] {
    fmt::print(stderr, "perfkit: serving a virtio-net device ({} queue pair{}, {}) on {}\n",
               options.net.queue_pairs, options.net.queue_pairs == 1 ? "" : "s",
               options.net.reflect ? "reflecting frames" : "TAP " + options.net.tap,
               options.net.socket_path);
  };
  auto report = app::ServeNet(options);
  if (!report.ok()) return Fail(report.status());
  for (const std::string& e : report->errors) fmt::print(stderr, "perfkit: {}\n", e);
  const virtio::NetStats& n = report->net;
  fmt::print(stderr,
             "perfkit: sent {} frames ({} bytes) out of the guest, {} in ({} bytes, {} buffers), "
             "{} dropped for want of receive buffers, {} malformed chains; {} kicks, "
             "{} interrupts\n",
             n.tx_frames, n.tx_bytes, n.rx_frames, n.rx_bytes, n.rx_buffers, n.rx_dropped,
             report->malformed, report->kicks, report->notifications);
  return kExitSuccess;
}

}  // namespace

Runner AddVirtio(CLI::App& app) {
  auto opts = std::make_shared<app::ServeBlkRequest>();
  CLI::App* cmd = app.add_subcommand("virtio", "perfkit's virtio devices");
  cmd->require_subcommand(1);
  CLI::App* serve = cmd->add_subcommand(
      "serve-blk", "Serve FILE as a virtio-blk device to a vhost-user front end (QEMU)");
  serve->add_option("--socket", opts->blk.socket_path, "Unix socket to listen on")->required();
  serve->add_option("file", opts->blk.file, "The disk: a regular file")->required();
  serve->add_flag("!--no-event-idx", opts->blk.event_idx,
                  "Do not offer VIRTIO_F_EVENT_IDX (notification suppression)");
  serve->add_flag("!--no-indirect", opts->blk.indirect,
                  "Do not offer VIRTIO_F_INDIRECT_DESC (indirect descriptor tables)");
  serve
      ->add_option("--queue-size", opts->blk.queue_size,
                   "The front end's queue size, for seg_max (default 128)")
      ->check(CLI::Range(4, 32768));
  serve->add_option("--queues", opts->blk.max_queues, "Most queues offered (default 4)")
      ->check(CLI::Range(1, 16));
  serve
      ->add_option("--threads", opts->blk.threads,
                   "Threads serving the queues (default: one per queue, up to half the CPUs)")
      ->check(CLI::Range(1, 16));
  serve->add_flag("--keep-listening", opts->blk.keep_listening,
                  "After a front end disconnects, wait for the next (until SIGTERM)");
  serve->add_option("--ready-fd", opts->ready_fd, "Write 'ready' here once listening")
      ->check(CLI::NonNegativeNumber);

  CLI::App* net = cmd->add_subcommand(
      "serve-net",
      "Serve a virtio-net device to a vhost-user front end (QEMU's -netdev vhost-user)");
  net->add_option("--socket", opts->net.socket_path, "Unix socket to listen on")->required();
  net->add_option("--queues", opts->net.queue_pairs, "Queue pairs (default 1)")
      ->check(CLI::Range(1, 8));
  net->add_option("--threads", opts->net.threads,
                  "Threads serving the queue pairs (default: one per pair, up to half the CPUs)")
      ->check(CLI::Range(1, 8));
  auto* reflect = net->add_flag("--reflect", opts->net.reflect,
                                "Turn every frame around (answered as if by its destination; "
                                "ARP and ping answered), without any host network stack");
  auto* tap = net->add_option("--tap", opts->net.tap,
                              "Forward frames to and from this TAP device (one queue per pair)");
  reflect->excludes(tap);
  net->add_flag("!--no-event-idx", opts->net.event_idx,
                "Do not offer VIRTIO_F_EVENT_IDX (notification suppression)");
  net->add_flag("!--no-indirect", opts->net.indirect,
                "Do not offer VIRTIO_F_INDIRECT_DESC (indirect descriptor tables)");
  net->add_flag("!--no-offloads", opts->net.offloads,
                "With --tap, do not offer checksum and TCP segmentation offloads");
  net->add_flag("--keep-listening", opts->net.keep_listening,
                "After a front end disconnects, wait for the next (until SIGTERM)");
  net->add_option("--ready-fd", opts->ready_fd, "Write 'ready' here once listening")
      ->check(CLI::NonNegativeNumber);
  return [opts, serve] { return serve->parsed() ? RunServeBlk(*opts) : RunServeNet(*opts); };
}

}  // namespace perfkit::cli
