#include "app/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace perfkit::app {

namespace {

Status WriteError(const std::string& path, const std::string& why) {
  return Status::Error("cannot write '" + path + "': " + why);
}

Status WriteAll(int fd, const std::string& path, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return WriteError(path, std::strerror(n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

// A device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written
// where it is: renaming a file over it would replace it.
Status WriteInPlace(const std::string& path, const std::string& content) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return WriteError(path, std::strerror(errno));
  Status s = WriteAll(fd, path, content);
  close(fd);
  return s;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string target = path;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // The link stays; the file it names is what gets replaced.
    char* real = realpath(path.c_str(), nullptr);
    if (real != nullptr) {
      target = real;
      std::free(real);
    }
  }
  if (stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return WriteError(path, "is a directory");
    if (!S_ISREG(st.st_mode)) return WriteInPlace(target, content);
  }
  // A name of our own beside it (mkstemp never opens a file that exists),
  // so no file of the user's with a similar name is touched.
  std::string tmp = target + ".perfkit-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return WriteError(path, std::strerror(errno));
  // mkstemp makes 0600; a new file gets what the umask allows, a replaced
  // one keeps its mode.
  const mode_t mask = umask(0);
  umask(mask);
  const bool existed = stat(target.c_str(), &st) == 0;
  fchmod(fd, existed ? (st.st_mode & 07777) : (0666 & ~mask));
  Status s = WriteAll(fd, path, content);
  if (close(fd) != 0 && s.ok()) s = WriteError(path, std::strerror(errno));
  if (s.ok() && rename(tmp.c_str(), target.c_str()) != 0)
    s = WriteError(path, std::strerror(errno));
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

Result<std::string> ReadFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::Error("cannot read '" + path + "': is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read '" + path + "'");
  return out.str();
}

}  // namespace perfkit::app
