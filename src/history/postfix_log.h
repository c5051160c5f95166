// Postfix's mail log as a history source: one SentMail per message that Postfix delivered, by
// SMTP or LMTP, to at least one recipient.
//
// A message's lines are joined by host, Postfix instance and queue id:
//   cleanup  QID: message-id=<...>
//   qmgr     QID: from=<sender>, size=..., nrcpt=N (queue active)
//   smtp     QID: to=<rcpt>, [orig_to=<...>,] relay=..., dsn=2.0.0, status=sent (...)
//   qmgr     QID: removed
// `removed` ends a queue id's life: queue ids are reused (short ones within days), so lines
// after it belong to a new message. Only status=sent counts: a recipient deferred and later
// sent counts once, a bounced one never. A hand-off to a content filter on loopback ("relay=
// 127.0.0.1[...]... queued as ...") is not a delivery: the message comes back under a new
// queue id and its real delivery is counted there. Messages from the null sender (bounces
// Postfix itself sends) are kept, with an empty sender; the consumer decides about them.
// The service is the tag's last component, so postfix/smtp, postfix/relay/smtp,
// postfix/submission/smtp and postmulti instances (postfix-out/smtp, keyed apart as their
// queues are) are all read.
//
// Times: the first status=sent line's, in UTC (see syslog_time.h for traditional timestamps
// and their year). identity = postfix_identity() of host (plus the instance for postmulti),
// queue id and the day it was first seen: the same each time the same lines are read, and the
// same the gateway gives the message it saw. origin = "file:line" of the first delivery line.
//
// Limits: lines longer than max_line_bytes are skipped and counted as malformed; a queue id
// open for longer than max_queue_lifetime (no `removed` line was logged, or it was lost) is
// closed then, which also bounds the memory the join holds. Any bytes, invalid UTF-8 included,
// are read without a crash; addresses keep their bytes as logged.
//
// Thread-safety: a PostfixLogJoiner is used by one thread; read_postfix_logs() is reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "history/sent_mail.h"

namespace sendguard {

struct PostfixLogOptions {
  // UTC offset of traditional "Nov 28 08:07:26" timestamps; none (the default): this machine's
  // time zone (TZ), which is what the syslog daemon that wrote them used on a single host.
  std::optional<std::chrono::minutes> utc_offset;
  // Longest time a queue id stays open without `removed`. Default 6 days: Postfix's
  // maximal_queue_lifetime default (5 days) and a day of slack.
  std::chrono::hours max_queue_lifetime{6 * 24};
  // Longer lines are skipped and counted as malformed. Default 64 KiB (Postfix's own log lines
  // stay far below: line_length_limit is 2048).
  std::size_t max_line_bytes = 64u << 10;
  // Latest time a file's modification time may stand for (see syslog_time.h); default: when
  // the options were made.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct PostfixLogStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;  // bytes of the files (compressed size for gzip)
  std::uint64_t lines = 0;
  std::uint64_t messages = 0;         // SentMail records handed to the sink
  std::uint64_t malformed_lines = 0;  // no timestamp, unreadable Postfix line, overlong
};

using SentMailSink = std::function<void(SentMail&&)>;

// What one line meant to the join.
enum class LogLineKind {
  kIgnored,    // a well-formed line that says nothing about a delivery (other programs too)
  kMessageId,  // cleanup: message-id=
  kSender,     // qmgr: from=
  kDelivery,   // smtp/lmtp: to=, any status
  kRemoved,    // qmgr: removed
  kMalformed,  // no timestamp, or a Postfix line of a known kind that cannot be read
};

// One syslog line, cut into the parts the join uses. Views into the line.
struct PostfixLogLine {
  LogLineKind kind = LogLineKind::kIgnored;
  std::string_view timestamp;  // as written, e.g. "Nov 28 08:07:26"
  std::string_view host;
  std::string_view instance;  // "postfix-out" for a postmulti instance; empty for the default
  std::string_view queue_id;
  std::string_view address;     // message-id (without <>), sender, or recipient
  std::string_view status;      // deliveries: "sent", "deferred", "bounced", ...
  bool content_filter = false;  // deliveries: a hand-off to a content filter on loopback
};

// Cuts one line (no parsing of the timestamp's value); never fails, never reads past `line`.
PostfixLogLine parse_postfix_log_line(std::string_view line);

// Joins the lines of one continuous log stream (a rotation family, oldest file first).
class PostfixLogJoiner {
 public:
  PostfixLogJoiner(const PostfixLogOptions& options, SentMailSink sink);
  ~PostfixLogJoiner();
  PostfixLogJoiner(const PostfixLogJoiner&) = delete;
  PostfixLogJoiner& operator=(const PostfixLogJoiner&) = delete;

  // The lines that follow come from `name` ("mail.log.1"), last modified at `modified`.
  void begin_file(std::string name, std::chrono::system_clock::time_point modified);
  LogLineKind add_line(std::string_view line, std::uint64_t line_number);
  // Hands out the messages still open (delivered, never `removed` in what was read).
  void finish();

  std::uint64_t messages() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Reads the files of one rotation family, oldest first, as one stream. Gzip is recognised by
// content. An unreadable or damaged file is an Error naming it; the messages completed before
// it have reached the sink by then. `progress` (optional) gets the file bytes read so far.
Result<PostfixLogStats> read_postfix_logs(std::span<const std::filesystem::path> oldest_first,
                                          const PostfixLogOptions& options,
                                          const SentMailSink& sink,
                                          const std::function<void(std::uint64_t)>& progress = {});

}  // namespace sendguard
