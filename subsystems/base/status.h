// Expected failures as values: subsystems and the store return Status or
// Result<T> instead of throwing (abseil's StatusOr, ninja's `std::string* err`).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "subsystems/base/check.h"

namespace perfkit {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const {
    PERFKIT_CHECK(!ok());
    return *message_;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

inline Status OkStatus() { return Status(); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
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
