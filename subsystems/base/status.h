// Expected failures as values: subsystems and the store return Status or
// Result<T> instead of throwing (abseil's StatusOr, ninja's `std::string* err`).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "subsystems/base/check.h"

namespace perfkit {

// What kind of failure a Status is, so the CLI boundary can pick an exit
// code without parsing messages (abseil's StatusCode, much reduced).
enum class StatusCode {
  kOk,
  kFailed,           // could not do the work: I/O, a bad file, the database
  kInvalidArgument,  // the request itself is wrong: a usage error
  kCancelled,        // the user interrupted it
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Error(std::string message) {
    return Status(StatusCode::kFailed, std::move(message));
  }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status Cancelled(std::string message) {
    return Status(StatusCode::kCancelled, std::move(message));
  }

  bool ok() const { return !message_.has_value(); }
  StatusCode code() const { return code_; }
  const std::string& message() const {
    PERFKIT_CHECK(!ok());
    return *message_;
  }
  // The same failure with context in front: "database 'x': " + message.
  Status WithPrefix(const std::string& prefix) const {
    PERFKIT_CHECK(!ok());
    return Status(code_, prefix + *message_);
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::optional<std::string> message_;
};

inline Status OkStatus() { return Status(); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    PERFKIT_CHECK(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const std::string& error() const { return status_.message(); }

  T& value() & {
    PERFKIT_CHECK(ok());
    return *value_;
  }
  const T& value() const& {
    PERFKIT_CHECK(ok());
    return *value_;
  }
  T&& value() && {
    PERFKIT_CHECK(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace perfkit
