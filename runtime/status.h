// Status: the outcome of a runtime operation, an error message with its context or OK (LevelDB style).
#pragma once

#include <string>
#include <utility>

namespace stack::runtime {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }
  // An error from errno: "what: strerror(errno)".
  static Status from_errno(const std::string& what);
  static Status from_errno(const std::string& what, int err);

  bool is_ok() const { return message_.empty(); }
  explicit operator bool() const { return is_ok(); }
  const std::string& message() const { return message_; }
  // Adds context in front: "importing x: " + message.
  Status with_context(const std::string& context) const {
    return is_ok() ? *this : Status(context + ": " + message_);
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {
    if (message_.empty()) message_ = "unknown error";
  }
  std::string message_;
};

}  // namespace stack::runtime
