// `perfkit rings peer`: the second process of the rings suite's
// cross-process benchmarks. perfkit starts it; it is not meant to be run by
// hand (it serves the descriptors it inherited, then exits).
#include <CLI/CLI.hpp>

#include "app/serve.h"
#include "cli/command.h"

namespace perfkit::cli {

Runner AddRings(CLI::App& app) {
  auto opts = std::make_shared<app::RingPeerRequest>();
  auto transport = std::make_shared<std::string>("shm");
  CLI::App* cmd = app.add_subcommand("rings", "Helpers of the rings suite");
  cmd->require_subcommand(1);
  CLI::App* peer = cmd->add_subcommand(
      "peer", "The receiving process of the rings suite's IPC benchmarks (started by perfkit)");
  peer->add_option("--transport", *transport, "shm, stream or vmwrite")
      ->check(CLI::IsMember({"shm", "stream", "vmwrite"}));
  peer->add_option("--fd", opts->fd, "Inherited descriptor to receive on")->required();
  peer->add_option("--out-fd", opts->out_fd, "Inherited descriptor to answer on");
  peer->add_option("--cpu", opts->cpu, "CPU to pin to");
  return [opts, transport] {
    app::RingPeerRequest o = *opts;
    o.transport = *transport == "shm"      ? app::Transport::kShm
                  : *transport == "stream" ? app::Transport::kStream
                                           : app::Transport::kVmWrite;
    return app::RunRingPeer(o);
  };
}

}  // namespace perfkit::cli
