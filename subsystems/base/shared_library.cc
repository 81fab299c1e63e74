#include "subsystems/base/shared_library.h"

namespace perfkit {

SharedLibrary::SharedLibrary(const char* soname, const char* install) : soname_(soname) {
  handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* err = dlerror();
    why_ = soname_ + " cannot be loaded (" + (err != nullptr ? err : "?") + "; apt-get install " +
           install + ")";
  }
}

}  // namespace perfkit
