#include "app/run_record.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <random>

#include "baselines/location.h"
#include "build_info.h"
#include "git_commit.h"
#include "suites/harness/host_context.h"

namespace perfkit::app {
namespace {

std::string& InvocationStorage() {
  static std::string invocation;
  return invocation;
}

}  // namespace

void SetInvocation(const std::vector<std::string>& args) {
  std::string s;
  // Stored with every run: a database URI's password must not be.
  for (const auto& a : args) s += (s.empty() ? "" : " ") + store::RedactArgument(a);
  InvocationStorage() = s;
}

const std::string& Invocation() { return InvocationStorage(); }

std::string NowIso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NewUuid() {
  std::random_device rd;
  uint8_t b[16];
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

RunRecord NewRunRecord(const std::map<std::string, std::string>& tags, const std::string& source) {
  RunRecord run;
  run.uuid = NewUuid();
  run.started_at = NowIso8601();
  run.command_line = Invocation();
  run.perfkit_version = PERFKIT_VERSION;
  run.git_commit = PERFKIT_GIT_COMMIT;
  run.source = source;
  run.tags = tags;
  run.host = harness::ReadHostContext();
  run.owner = CurrentProcess();
  return run;
}

}  // namespace perfkit::app
