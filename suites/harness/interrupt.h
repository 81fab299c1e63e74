// SIGINT/SIGTERM handling for runs: the first signal asks the run to stop after
// the benchmark in flight (so the store can mark the run interrupted); a second
// one terminates as usual.
#pragma once

namespace perfkit::harness {

void InstallInterruptHandler();
void RemoveInterruptHandler();
bool InterruptRequested();
// Tests and in-process reruns start clean.
void ClearInterrupt();
// Simulates the signal (tests).
void RequestInterrupt();

}  // namespace perfkit::harness
