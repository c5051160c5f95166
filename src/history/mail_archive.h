// Sent-mail archives as a history source: mbox files (mboxo and mboxrd, LF or CRLF), Maildir
// folders (cur/ and new/), directories of .eml files (searched recursively) and single .eml
// files. Each message becomes one SentMail:
//   sender      the From address (Resent-From for a re-sent message, see below)
//   recipients  the To, Cc and Bcc addresses, groups flattened, in that order, duplicates once
//   time        the Date header; the file's modification time when it is missing or unreadable
//   message_id  the Message-ID, without angle brackets
//   origin      "sent.mbox:#17" (the 17th message of the mbox, counted from 1), or the file's
//               path below the given folder, starting with that folder's name
//               ("Maildir/cur/1700000000.M1P2.host:2,S")
//   identity    the Message-ID; without one, "header-fnv1a64:" and a digest of the header block
//   raw         the whole message as stored (for an mbox: without its "From " line, ">From "
//               unescaped)
// A message carrying Resent-To/Cc/Bcc (RFC 5322 section 3.6.6) was re-sent by the archive's
// owner to those recipients: they, Resent-From and Resent-Date describe the sending the archive
// records, so they take the place of To/Cc/Bcc, From and Date (the newest Resent- block, the
// topmost, counts). Its identity adds the Resent-Message-ID (or the Resent-Date), so the
// original and its re-sending stay two records.
//
// mbox: a message starts at a "From " line that opens the file (blank lines before it are
// tolerated) or follows a blank line; lines ">From ", ">>From ", ... lose one '>' (mboxrd; for
// mboxo this is right for all but bodies that really began with ">From "). Only the header block
// is parsed; bodies are copied.
//
// Limits: a message larger than max_message_bytes, or one without any recipient, is skipped and
// counted (MailArchiveStats::skipped). An unreadable file or folder is an Error naming it.
// Thread-safety: reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "history/sent_mail.h"

namespace sendguard {

struct MailArchiveOptions {
  // Larger messages are skipped and counted. Default 64 MiB, as MimeLimits::max_message_bytes.
  std::size_t max_message_bytes = 64u << 20;
  // Bytes of a header block read; the rest of a longer block is ignored. Default 1 MiB.
  std::size_t max_header_bytes = 1u << 20;
  // false: SentMail::raw stays empty, and an mbox's bodies are neither copied nor unescaped.
  // For readers that want the envelope alone (learning), which then read at the speed of the
  // separator search.
  bool keep_bodies = true;
};

struct MailArchiveStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;  // SentMail records handed to the sink
  std::uint64_t skipped = 0;   // too large, or no recipient
};

using ArchiveSink = std::function<void(SentMail&&)>;
using ArchiveProgress = std::function<void(std::uint64_t bytes_done)>;

// One raw message to a SentMail; none when it names no recipient. `file_time` stands in for a
// missing or unreadable Date.
std::optional<SentMail> sent_mail_from_message(std::string raw,
                                               std::chrono::system_clock::time_point file_time,
                                               std::string origin,
                                               const MailArchiveOptions& options);

// Splits mbox content into its messages, still escaped, without their "From " lines, calling
// `each(message, number)` with number counting from 1; stops early when `each` returns false.
void split_mbox(std::string_view content,
                const std::function<bool(std::string_view, std::uint64_t)>& each);

// ">From " -> "From ", ">>From " -> ">From ", ... at the start of every line.
std::string unescape_mbox_message(std::string_view message);

Result<MailArchiveStats> read_mbox(const std::filesystem::path& file,
                                   const MailArchiveOptions& options, const ArchiveSink& sink,
                                   const ArchiveProgress& progress = {});
Result<MailArchiveStats> read_maildir(const std::filesystem::path& folder,
                                      const MailArchiveOptions& options, const ArchiveSink& sink,
                                      const ArchiveProgress& progress = {});
// A single .eml file, or every *.eml file below a folder (in path order).
Result<MailArchiveStats> read_eml(const std::filesystem::path& file_or_folder,
                                  const MailArchiveOptions& options, const ArchiveSink& sink,
                                  const ArchiveProgress& progress = {});

}  // namespace sendguard
