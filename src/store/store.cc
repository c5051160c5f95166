#include "store/store.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/store_internal.h"

namespace sendguard {

std::string_view to_string(QuarantineState state) {
  switch (state) {
    case QuarantineState::kHeld:
      return "held";
    case QuarantineState::kReleasing:
      return "releasing";
    case QuarantineState::kReleased:
      return "released";
    case QuarantineState::kDiscarded:
      return "discarded";
  }
  return "unknown";
}

std::optional<QuarantineState> quarantine_state_from_string(std::string_view name) {
  for (QuarantineState state : {QuarantineState::kHeld, QuarantineState::kReleasing,
                                QuarantineState::kReleased, QuarantineState::kDiscarded}) {
    if (to_string(state) == name) return state;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  if (options.backend == "sqlite") return store_internal::open_sqlite_store(options);
  if (options.backend == "postgresql") return store_internal::open_postgresql_store(options);
  return make_error(ErrorCode::kConfig, "store backend '" + options.backend +
                                            "' is unknown: use \"sqlite\" or \"postgresql\"");
}

namespace store_internal {

std::int64_t to_micros(std::chrono::system_clock::time_point time) {
  return std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_micros(std::int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(micros)));
}

Result<std::string> new_quarantine_id() {
  std::array<unsigned char, 10> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(
          ErrorCode::kInternal,
          std::string("cannot draw a quarantine id: getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  // Crockford's alphabet leaves out i, l, o and u, so an id read aloud or retyped survives.
  static constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  std::string id;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return id;
}

std::string encode_recipients(const std::vector<std::string>& recipients) {
  return nlohmann::json(recipients).dump();
}

Result<std::vector<std::string>> decode_recipients(std::string_view json) {
  try {
    auto parsed = nlohmann::json::parse(json);
    return parsed.get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(
        ErrorCode::kInternal,
        std::string("stored recipients are not a JSON array of strings: ") + e.what());
  }
}

namespace {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length = 0;
    std::uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (int k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

Result<void> check_text(std::string_view field, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidInput,
                      "store: " + std::string(field) + " contains a NUL byte");
  }
  if (!is_valid_utf8(value)) {
    return make_error(ErrorCode::kInvalidInput,
                      "store: " + std::string(field) + " is not valid UTF-8");
  }
  return {};
}

namespace {

Result<void> check_recipients(const std::vector<std::string>& recipients) {
  for (const auto& recipient : recipients) {
    if (auto ok = check_text("recipient", recipient); !ok) return ok;
  }
  return {};
}

}  // namespace

std::string stored_details(const AuditRecord& record) {
  return record.details_json.empty() ? "{}" : record.details_json;
}

Result<void> check_audit_record(const AuditRecord& record) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"node", &record.node},
      {"stage", &record.stage},
      {"queue_id", &record.queue_id},
      {"message_id", &record.message_id},
      {"sender", &record.sender},
      {"auth_user", &record.auth_user},
      {"rule", &record.rule},
      {"action", &record.action},
      {"override_justification", &record.override_justification},
      {"details_json", &record.details_json},
  };
  for (const auto& [name, value] : fields) {
    if (auto ok = check_text(name, *value); !ok) return ok;
  }
  if (auto ok = check_recipients(record.recipients); !ok) return ok;
  if (!record.details_json.empty()) {
    // Checked without building the document (every decision passes here): valid JSON whose
    // first character is '{' is an object.
    std::size_t first = record.details_json.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || record.details_json[first] != '{' ||
        !nlohmann::json::accept(record.details_json)) {
      return make_error(ErrorCode::kInvalidInput, "store: details_json is not a JSON object");
    }
  }
  return {};
}

Result<void> check_quarantine_entry(const QuarantineEntry& entry) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"queue_id", &entry.queue_id},     {"message_id", &entry.message_id},
      {"sender", &entry.sender},         {"rule", &entry.rule},
      {"reason", &entry.reason},         {"location", &entry.location},
      {"changed_by", &entry.changed_by},
  };
  for (const auto& [name, value] : fields) {
    if (auto ok = check_text(name, *value); !ok) return ok;
  }
  return check_recipients(entry.recipients);
}

bool transition_allowed(QuarantineState from, QuarantineState to) {
  using S = QuarantineState;
  return (from == S::kHeld && (to == S::kReleasing || to == S::kDiscarded)) ||
         (from == S::kReleasing && (to == S::kReleased || to == S::kDiscarded || to == S::kHeld));
}

Result<void> check_transition(const std::string& id, QuarantineState from, QuarantineState to,
                              const std::string& by) {
  if (!transition_allowed(from, to)) {
    return make_error(ErrorCode::kInvalidInput, "quarantine " + id + ": cannot move from " +
                                                    std::string(to_string(from)) + " to " +
                                                    std::string(to_string(to)));
  }
  if (auto ok = check_text("quarantine id", id); !ok) return ok;
  return check_text("changed_by", by);
}

Result<void> check_take_over(const std::string& id, const std::string& by) {
  if (auto ok = check_text("quarantine id", id); !ok) return ok;
  return check_text("changed_by", by);
}

}  // namespace store_internal
}  // namespace sendguard
