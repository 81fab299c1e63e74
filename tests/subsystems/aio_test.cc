// Every read engine reads what it is asked at every depth and times each
// read; io_uring where the kernel refuses it is skipped with the reason;
// O_DIRECT falls back to buffered reads where the file system refuses it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "subsystems/aio/read_engines.h"

namespace perfkit::aio {
namespace {

class Engines : public ::testing::TestWithParam<EngineKind> {};

TEST_P(Engines, ReadEveryOffsetAtEveryDepth) {
  const std::string path = "/var/tmp/perfkit-aio-test-" + std::to_string(getpid());
  ASSERT_TRUE(WriteTestFile(path, 8 << 20).ok());
  auto file = OpenForReading(path);
  ASSERT_TRUE(file.ok()) << file.error();
  for (unsigned depth : {1u, 8u, 32u}) {
    auto engine = MakeEngine(GetParam(), depth, 4096);
    if (!engine.ok()) {
      std::remove(path.c_str());
      GTEST_SKIP() << EngineName(GetParam()) << ": " << engine.error();
    }
    ReadPlan plan;
    plan.fd = file->fd;
    for (uint64_t i = 0; i < 500; ++i) plan.offsets.push_back((i * 7919 % 2048) * 4096);
    auto stats = (*engine)->Run(plan);
    ASSERT_TRUE(stats.ok()) << EngineName(GetParam()) << " qd" << depth << ": " << stats.error();
    EXPECT_EQ(stats->bytes, 500u * 4096);
    EXPECT_EQ(stats->latency_ns.size(), 500u);
    EXPECT_GT(stats->seconds, 0);
    plan.offsets = {(8u << 20) - 4096 + 4096};  // past the end: a short read is an error
    EXPECT_FALSE((*engine)->Run(plan).ok());
  }
  close(file->fd);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(All, Engines,
                         ::testing::Values(EngineKind::kPread, EngineKind::kThreadPool,
                                           EngineKind::kLinuxAio, EngineKind::kUring,
                                           EngineKind::kUringSqpoll));

// tmpfs refuses O_DIRECT before Linux 6.6 and takes it since.
TEST(OpenForReading, SaysWhenItFallsBackToBufferedReads) {
  const std::string path = "/dev/shm/perfkit-aio-test-" + std::to_string(getpid());
  if (!WriteTestFile(path, 1 << 20).ok()) GTEST_SKIP() << "no /dev/shm";
  auto file = OpenForReading(path);
  ASSERT_TRUE(file.ok());
  if (file->direct) {
    EXPECT_TRUE(file->note.empty());
  } else {
    EXPECT_NE(file->note.find("buffered"), std::string::npos) << file->note;
  }
  auto engine = MakeEngine(EngineKind::kPread, 1, 4096);
  ReadPlan plan;
  plan.fd = file->fd;
  plan.offsets = {0, 4096};
  EXPECT_TRUE((*engine)->Run(plan).ok());
  close(file->fd);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace perfkit::aio
