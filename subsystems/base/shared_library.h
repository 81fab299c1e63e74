// A shared library loaded on first use rather than linked: what only some
// commands need (libpfm4's event tables, libpq) costs nothing at the start of
// every other one. Loaded once and never closed.
#pragma once

#include <dlfcn.h>

#include <string>

namespace perfkit {

class SharedLibrary {
 public:
  // `install` is the Debian package that provides it, for the reason.
  SharedLibrary(const char* soname, const char* install);
  bool ok() const { return handle_ != nullptr && why_.empty(); }
  // Why it is missing, or which symbol was.
  const std::string& why() const { return why_; }

  template <typename F>
  bool Resolve(const char* name, F* out) {
    *out = handle_ != nullptr ? reinterpret_cast<F>(dlsym(handle_, name)) : nullptr;
    if (*out == nullptr && why_.empty()) why_ = soname_ + " has no " + name;
    return *out != nullptr;
  }

 private:
  void* handle_ = nullptr;
  std::string soname_;
  std::string why_;
};

}  // namespace perfkit
