// Postfix log lines joined into SentMail records (see postfix_log.h).
#include "history/postfix_log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <utility>
#include <vector>

#include "history/byte_stream.h"
#include "history/line_reader.h"
#include "history/syslog_time.h"
#include "history/unix_time.h"

namespace sendguard {
namespace {

using history_internal::SyslogTimestamp;
using std::chrono::system_clock;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Short queue ids are hex ("4BC1D2E3F4"); long ones (enable_long_queue_ids) are base-52 with a
// 'z' ("4Nc1Xz0abcDEfG"). Both are letters and digits only.
bool is_queue_id(std::string_view s) {
  if (s.size() < 5 || s.size() > 32) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!alnum) return false;
  }
  return s != "NOQUEUE";
}

enum class Service { kOther, kSmtp, kQmgr, kCleanup };

Service service_of(std::string_view tag) {
  std::size_t slash = tag.rfind('/');
  std::string_view name = slash == std::string_view::npos ? tag : tag.substr(slash + 1);
  if (name == "smtp" || name == "lmtp") return Service::kSmtp;
  if (name == "qmgr") return Service::kQmgr;
  if (name == "cleanup") return Service::kCleanup;
  return Service::kOther;
}

// "<addr>" at the start of `s` up to the '>' that ends the field (followed by ',' or the end).
bool angle_address(std::string_view s, std::string_view& out) {
  if (s.empty() || s.front() != '<') return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '>' && (i + 1 == s.size() || s[i + 1] == ',' || s[i + 1] == ' ')) {
      out = s.substr(1, i - 1);
      return true;
    }
  }
  return false;
}

bool loopback_relay(std::string_view relay) {
  return starts_with(relay, "127.") || starts_with(relay, "localhost") ||
         starts_with(relay, "[::1]") || starts_with(relay, "::1");
}

PostfixLogLine cut_line(std::string_view line, SyslogTimestamp& time) {
  PostfixLogLine out;
  std::size_t at = history_internal::parse_syslog_timestamp(line, time);
  if (at == 0) {
    out.kind = LogLineKind::kMalformed;
    return out;
  }
  out.timestamp = line.substr(0, at - 1);
  std::string_view rest = line.substr(at);
  std::size_t space = rest.find(' ');
  if (space == std::string_view::npos || space == 0) {
    out.kind = LogLineKind::kMalformed;
    return out;
  }
  out.host = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  // The tag runs to "[pid]: " or ": ".
  std::size_t tag_end = 0;
  while (tag_end < rest.size() && rest[tag_end] != '[' && rest[tag_end] != ':' &&
         rest[tag_end] != ' ') {
    ++tag_end;
  }
  std::string_view tag = rest.substr(0, tag_end);
  Service service = service_of(tag);
  if (service == Service::kOther) return out;
  if (starts_with(tag, "postfix-")) out.instance = tag.substr(0, tag.find('/'));
  rest.remove_prefix(tag_end);
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return out;
    rest.remove_prefix(close + 1);
  }
  if (!starts_with(rest, ": ")) return out;
  rest.remove_prefix(2);
  std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos || !is_queue_id(rest.substr(0, colon))) return out;
  out.queue_id = rest.substr(0, colon);
  if (colon + 1 >= rest.size() || rest[colon + 1] != ' ') return out;
  std::string_view message = rest.substr(colon + 2);

  switch (service) {
    case Service::kCleanup:
      if (starts_with(message, "message-id=")) {
        std::string_view id = message.substr(11);
        if (!angle_address(id, out.address)) out.address = id.substr(0, id.find(','));
        out.kind = LogLineKind::kMessageId;
      }
      break;
    case Service::kQmgr:
      if (message == "removed") {
        out.kind = LogLineKind::kRemoved;
      } else if (starts_with(message, "from=")) {
        out.kind = angle_address(message.substr(5), out.address) ? LogLineKind::kSender
                                                                 : LogLineKind::kMalformed;
      }
      break;
    case Service::kSmtp: {
      if (!starts_with(message, "to=")) break;
      message.remove_prefix(3);
      if (!angle_address(message, out.address)) {
        out.kind = LogLineKind::kMalformed;
        break;
      }
      message.remove_prefix(out.address.size() + 2);
      std::size_t status = message.find(" status=");
      if (status == std::string_view::npos) {
        out.kind = LogLineKind::kMalformed;
        break;
      }
      std::string_view value = message.substr(status + 8);
      out.status = value.substr(0, value.find(' '));
      out.kind = LogLineKind::kDelivery;
      if (out.status == "sent") {
        std::size_t relay = message.find(" relay=");
        out.content_filter = relay != std::string_view::npos && relay < status &&
                             loopback_relay(message.substr(relay + 7)) &&
                             value.find("queued as ") != std::string_view::npos;
      }
      break;
    }
    case Service::kOther:
      break;
  }
  return out;
}

}  // namespace

PostfixLogLine parse_postfix_log_line(std::string_view line) {
  SyslogTimestamp time;
  return cut_line(line, time);
}

struct PostfixLogJoiner::State {
  struct OpenMessage {
    std::string host, instance, queue_id;
    system_clock::time_point first_seen;
    std::string sender, message_id;
    std::vector<std::string> recipients;
    system_clock::time_point first_sent;
    std::string origin;  // of the first delivery line
  };

  PostfixLogOptions options;
  SentMailSink sink;
  history_internal::SyslogClock clock;
  std::string file_name;
  std::unordered_map<std::string, OpenMessage> open;
  std::string key;  // reused for lookups, so that a line allocates nothing in the common case
  system_clock::time_point next_sweep = system_clock::time_point::min();
  std::uint64_t messages = 0;

  State(const PostfixLogOptions& o, SentMailSink s)
      : options(o), sink(std::move(s)), clock(o.utc_offset) {}

  void emit(OpenMessage&& m) {
    if (m.recipients.empty()) return;
    SentMail mail;
    mail.time = m.first_sent;
    mail.sender = std::move(m.sender);
    mail.recipients = std::move(m.recipients);
    mail.message_id = std::move(m.message_id);
    mail.origin = std::move(m.origin);
    mail.identity = postfix_identity(m.instance.empty() ? m.host : m.host + "/" + m.instance,
                                     m.queue_id, m.first_seen);
    mail.queue_id = std::move(m.queue_id);
    ++messages;
    sink(std::move(mail));
  }

  // Closes the queue ids open for longer than a message can live: their `removed` was lost.
  void sweep(system_clock::time_point now) {
    if (now < next_sweep) return;
    next_sweep = now + std::chrono::hours(1);
    for (auto it = open.begin(); it != open.end();) {
      if (now - it->second.first_seen > options.max_queue_lifetime) {
        emit(std::move(it->second));
        it = open.erase(it);
      } else {
        ++it;
      }
    }
  }

  const std::string& key_of(const PostfixLogLine& line) {
    key.assign(line.host);
    key += '\0';
    key.append(line.instance);
    key += '\0';
    key.append(line.queue_id);
    return key;
  }

  OpenMessage& find_or_open(const PostfixLogLine& line, system_clock::time_point now) {
    auto it = open.find(key_of(line));
    if (it != open.end() && now - it->second.first_seen > options.max_queue_lifetime) {
      emit(std::move(it->second));  // a stale entry: this is a new message under a reused id
      open.erase(it);
      it = open.end();
    }
    if (it == open.end()) {
      it = open.emplace(key, OpenMessage{}).first;
      OpenMessage& m = it->second;
      m.host = line.host;
      m.instance = line.instance;
      m.queue_id = line.queue_id;
      m.first_seen = now;
    }
    return it->second;
  }

  LogLineKind add(std::string_view text, std::uint64_t line_number) {
    SyslogTimestamp stamp;
    PostfixLogLine line = cut_line(text, stamp);
    if (line.kind == LogLineKind::kIgnored || line.kind == LogLineKind::kMalformed) {
      return line.kind;
    }
    auto when = clock.to_utc(stamp);
    if (!when) return LogLineKind::kMalformed;
    sweep(*when);
    if (line.kind == LogLineKind::kRemoved) {
      if (auto it = open.find(key_of(line)); it != open.end()) {
        emit(std::move(it->second));
        open.erase(it);
      }
      return line.kind;
    }
    if (line.kind == LogLineKind::kDelivery && (line.status != "sent" || line.content_filter)) {
      return line.kind;
    }
    OpenMessage& m = find_or_open(line, *when);
    switch (line.kind) {
      case LogLineKind::kMessageId:
        if (m.message_id.empty()) m.message_id = line.address;
        break;
      case LogLineKind::kSender:
        if (m.sender.empty()) m.sender = line.address;
        break;
      case LogLineKind::kDelivery: {
        if (m.recipients.empty()) {
          m.first_sent = *when;
          m.origin = file_name + ":" + std::to_string(line_number);
        }
        bool seen = false;
        for (const auto& r : m.recipients) seen = seen || r == line.address;
        if (!seen) m.recipients.emplace_back(line.address);
        break;
      }
      default:
        break;
    }
    return line.kind;
  }
};

PostfixLogJoiner::PostfixLogJoiner(const PostfixLogOptions& options, SentMailSink sink)
    : state_(std::make_unique<State>(options, std::move(sink))) {}

PostfixLogJoiner::~PostfixLogJoiner() = default;

void PostfixLogJoiner::begin_file(std::string name, system_clock::time_point modified) {
  state_->file_name = std::move(name);
  state_->clock.set_reference(std::min(modified, state_->options.now));
}

LogLineKind PostfixLogJoiner::add_line(std::string_view line, std::uint64_t line_number) {
  return state_->add(line, line_number);
}

void PostfixLogJoiner::finish() {
  // In the order they were first seen, so that the output does not depend on hashing.
  std::vector<State::OpenMessage> left;
  for (auto& [key, m] : state_->open) left.push_back(std::move(m));
  state_->open.clear();
  std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) {
    return a.first_seen != b.first_seen ? a.first_seen < b.first_seen : a.queue_id < b.queue_id;
  });
  for (auto& m : left) state_->emit(std::move(m));
}

std::uint64_t PostfixLogJoiner::messages() const { return state_->messages; }

Result<PostfixLogStats> read_postfix_logs(std::span<const std::filesystem::path> oldest_first,
                                          const PostfixLogOptions& options,
                                          const SentMailSink& sink,
                                          const std::function<void(std::uint64_t)>& progress) {
  PostfixLogStats stats;
  PostfixLogJoiner joiner(options, sink);
  std::uint64_t bytes_before = 0;
  for (const auto& path : oldest_first) {
    auto stream = history_internal::ByteStream::open(path);
    if (!stream) {
      joiner.finish();
      return std::unexpected(stream.error());
    }
    struct stat st {};
    system_clock::time_point modified = options.now;
    if (::stat(path.c_str(), &st) == 0) {
      modified = history_internal::from_unix_seconds(st.st_mtim.tv_sec).value_or(options.now);
    }
    joiner.begin_file(path.filename().string(), modified);
    history_internal::LineReader reader(**stream, options.max_line_bytes);
    std::string_view line;
    std::uint64_t lines_at_progress = 0;
    for (;;) {
      auto more = reader.next(line);
      if (!more) {
        // Whatever was completed before the damage has been delivered; so are the messages
        // still open, since their delivery lines were read.
        joiner.finish();
        stats.messages = joiner.messages();
        return std::unexpected(more.error());
      }
      if (!*more) break;
      ++stats.lines;
      LogLineKind kind = joiner.add_line(line, reader.line_number());
      if (kind == LogLineKind::kMalformed && !line.empty()) ++stats.malformed_lines;
      if (progress && stats.lines - lines_at_progress >= 65536) {
        lines_at_progress = stats.lines;
        progress(bytes_before + (*stream)->file_bytes_read());
      }
    }
    stats.lines += reader.overlong_lines();
    stats.malformed_lines += reader.overlong_lines();
    ++stats.files;
    stats.bytes += (*stream)->file_bytes_read();
    bytes_before += (*stream)->file_bytes_read();
    if (progress) progress(bytes_before);
  }
  joiner.finish();
  stats.messages = joiner.messages();
  return stats;
}

}  // namespace sendguard
