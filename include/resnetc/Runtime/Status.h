//===- Status.h - Error values of the runtime library -----------*- C++ -*-===//
//
// The runtime library reports every failure as a value, never by throwing or
// aborting (it is built with -fno-exceptions): an Error carries a message that
// names the file and what is wrong with it, Expected<T> holds either a T or an
// Error, and Status is the result of an operation that produces nothing.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_STATUS_H
#define RESNETC_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace resnetc::runtime {

/// A failure, described by a message such as
/// `w.safetensors: header length 8 exceeds the file size (4 bytes)`.
class Error {
public:
  explicit Error(std::string message) : msg(std::move(message)) {}

  /// The full message.
  const std::string &message() const { return msg; }

  /// Returns this error with `prefix: ` in front of its message.
  Error withPrefix(const std::string &prefix) const {
    return Error(prefix + ": " + msg);
  }

private:
  std::string msg;
};

/// Either a value of type T or the Error that prevented computing it. Test it
/// with `if (!result)` before dereferencing; dereferencing an Expected that
/// holds an Error is a programming error.
template <class T> class Expected {
public:
  /// A successful result.
  Expected(T value) : storage(std::in_place_index<0>, std::move(value)) {}
  /// A failed result.
  Expected(Error error) : storage(std::in_place_index<1>, std::move(error)) {}

  /// True when this holds a value.
  explicit operator bool() const { return storage.index() == 0; }

  T &operator*() { return *std::get_if<0>(&storage); }
  const T &operator*() const { return *std::get_if<0>(&storage); }
  T *operator->() { return std::get_if<0>(&storage); }
  const T *operator->() const { return std::get_if<0>(&storage); }

  /// The error; only valid when this does not hold a value.
  const Error &error() const { return *std::get_if<1>(&storage); }
  /// Moves the error out; only valid when this does not hold a value.
  Error takeError() { return std::move(*std::get_if<1>(&storage)); }
  /// Moves the value out; only valid when this holds a value.
  T take() { return std::move(*std::get_if<0>(&storage)); }

private:
  std::variant<T, Error> storage;
};

/// The result of an operation that produces no value: success or an Error.
class Status {
public:
  /// Success.
  Status() = default;
  /// Failure.
  Status(Error error) : err(std::move(error)) {}

  /// Success, spelled out.
  static Status success() { return Status(); }

  /// True on success.
  bool ok() const { return !err.has_value(); }
  explicit operator bool() const { return ok(); }

  /// The error message, or an empty string on success.
  const std::string &message() const {
    static const std::string empty;
    return err ? err->message() : empty;
  }
  /// The error; only valid on failure.
  const Error &error() const { return *err; }
  /// Moves the error out; only valid on failure.
  Error takeError() { return std::move(*err); }

private:
  std::optional<Error> err;
};

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_STATUS_H
