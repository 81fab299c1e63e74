#include "suites/harness/interrupt.h"

#include <csignal>

namespace perfkit::harness {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void OnSignal(int sig) {
  g_interrupted = 1;
  std::signal(sig, SIG_DFL);
}

}  // namespace

void InstallInterruptHandler() {
  g_interrupted = 0;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

void RemoveInterruptHandler() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

bool InterruptRequested() { return g_interrupted != 0; }
void ClearInterrupt() { g_interrupted = 0; }
void RequestInterrupt() { g_interrupted = 1; }

}  // namespace perfkit::harness
