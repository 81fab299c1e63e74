#include "suites/virtio_serve.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "subsystems/base/fd_io.h"

namespace perfkit::suites {
namespace {

int g_stop_fd = -1;

void OnSignal(int) {
  const uint64_t one = 1;
  const int saved = errno;
  (void)!write(g_stop_fd, &one, sizeof one);
  errno = saved;
}

// Serves until the front end leaves or SIGINT/SIGTERM, which end the wait.
template <typename Server>
auto ServeUntilStopped(Server& server, const VirtioServeOptions& options)
    -> decltype(server.Serve(-1)) {
  g_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (g_stop_fd < 0) return Status::Error(std::string("eventfd: ") + std::strerror(errno));
  struct sigaction sa {};
  sa.sa_handler = &OnSignal;
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  if (options.on_listening) options.on_listening();
  if (options.ready_fd >= 0) {
    (void)WriteFull(options.ready_fd, "ready\n", 6);
    close(options.ready_fd);
  }
  auto report = server.Serve(g_stop_fd);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  close(g_stop_fd);
  g_stop_fd = -1;
  return report;
}

}  // namespace

Result<virtio::VhostUserBlkReport> ServeVirtioBlk(const VirtioServeOptions& options) {
  auto server = virtio::VhostUserBlkServer::Listen(options.blk);
  if (!server.ok()) return server.status();
  return ServeUntilStopped(*server, options);
}

Result<virtio::VhostUserNetReport> ServeVirtioNet(const VirtioServeOptions& options) {
  auto server = virtio::VhostUserNetServer::Listen(options.net);
  if (!server.ok()) return server.status();
  return ServeUntilStopped(*server, options);
}

}  // namespace perfkit::suites
