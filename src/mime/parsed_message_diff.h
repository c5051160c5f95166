// Test-only: the first field in which two ParsedMessages differ, for the tests and the
// differential fuzz target that hold the two message readers to each other. Header-only; not
// part of sendguard_mime.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mime/mime.h"

namespace sendguard::mime_testing {

namespace diff_detail {

template <typename T, typename Same>
std::string first_in_lists(const char* field, const std::vector<T>& a, const std::vector<T>& b,
                           Same same) {
  if (a.size() != b.size()) {
    return std::string(field) + ": " + std::to_string(a.size()) + " entries against " +
           std::to_string(b.size());
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return std::string(field) + "[" + std::to_string(i) + "] differs";
  }
  return {};
}

}  // namespace diff_detail

// Empty when the two are equal in every field.
inline std::string first_difference(const ParsedMessage& a, const ParsedMessage& b) {
  using diff_detail::first_in_lists;
  auto equal = [](const auto& x, const auto& y) { return x == y; };
  std::string found;
  auto check = [&](std::string difference) {
    if (found.empty()) found = std::move(difference);
  };
  check(first_in_lists("headers", a.headers, b.headers, equal));
  if (a.subject != b.subject) check("subject: \"" + a.subject + "\" against \"" + b.subject + "\"");
  if (a.from != b.from) check("from: \"" + a.from + "\" against \"" + b.from + "\"");
  check(first_in_lists("to", a.to, b.to, equal));
  check(first_in_lists("cc", a.cc, b.cc, equal));
  check(first_in_lists("bcc", a.bcc, b.bcc, equal));
  check(first_in_lists("texts", a.texts, b.texts, [](const TextSegment& x, const TextSegment& y) {
    return x.where == y.where && x.text == y.text;
  }));
  check(first_in_lists("attachments", a.attachments, b.attachments,
                       [](const Attachment& x, const Attachment& y) {
                         return x.filename == y.filename && x.content_type == y.content_type &&
                                x.detected_type == y.detected_type && x.bytes == y.bytes;
                       }));
  check(first_in_lists(
      "unscannable", a.unscannable, b.unscannable, [](const Unscannable& x, const Unscannable& y) {
        return x.where == y.where && x.reason == y.reason && x.text_was_read == y.text_was_read;
      }));
  return found;
}

}  // namespace sendguard::mime_testing
