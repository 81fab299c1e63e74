// Ctrl-C for commands that run until they finish or are stopped: while an
// InterruptScope lives, the first SIGINT/SIGTERM asks the work to stop (it
// polls Interrupted()) and a second one terminates as usual.
#pragma once

namespace perfkit::app {

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

bool Interrupted();

}  // namespace perfkit::app
