#include "app/interrupt.h"

#include "suites/harness/interrupt.h"

namespace perfkit::app {

InterruptScope::InterruptScope() { harness::InstallInterruptHandler(); }
InterruptScope::~InterruptScope() { harness::RemoveInterruptHandler(); }

bool Interrupted() { return harness::InterruptRequested(); }

}  // namespace perfkit::app
