// Error values returned across module boundaries.
//
// sendguard reports failures as values (std::expected<T, Error>) rather than exceptions, so
// that every caller decides what a failure means for the message at hand. An Error carries a
// stable code for programs and a message a person can act on. Thread-safe: plain values.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sendguard {

enum class ErrorCode {
  kInvalidInput,   // the input (an address, a message) is malformed
  kLimitExceeded,  // the input is larger or deeper than the configured limits allow
  kConfig,         // a configuration file or value is wrong
  kIo,             // a file could not be read or written
  kInternal,       // a library call failed in a way the input does not explain
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace sendguard
