// The history sources behind one call: Postfix mail logs (plain or gzip, rotated chains),
// mbox files, Maildir folders, folders of .eml files and single .eml files, each reduced to
// SentMail records (sent_mail.h).
//
// What a path is comes from its content, never its name: a folder with cur/ or new/ is a
// Maildir, any other folder is searched for *.eml files; a file starting with "From " is an
// mbox, one whose first lines carry syslog timestamps is a mail log (gzip inflated first), one
// starting with a header field is a single message, an empty one is a log with no lines yet
// (as a freshly rotated mail.log is). Logs are grouped into rotation families (rotation.h) and
// each family is read oldest first as one stream, so messages are joined across rotations.
// Sources are read in the order the paths were given (a family where its first member was).
//
// Errors: a path that is missing, unreadable, of no kind above, or damaged (a truncated gzip)
// is an Error naming it, and reading stops there; every record read before it has reached the
// sink. See postfix_log.h and mail_archive.h for what each source makes of its input and for
// the limits it applies.
//
// Thread-safety: reentrant; the sink and progress callbacks run on the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "core/error.h"
#include "history/mail_archive.h"
#include "history/postfix_log.h"
#include "history/sent_mail.h"

namespace sendguard {

struct MailSourceOptions {
  // Records whose time is before `since` (inclusive bound) or at/after `until` (exclusive) are
  // skipped and counted; none: no bound.
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  // The reference "now": the latest a log file's modification time may stand for when
  // inferring the years of traditional syslog timestamps. Default: when the options were made.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  PostfixLogOptions log;  // its own `now` is ignored: the one above is used
  MailArchiveOptions archive;
};

struct SourceStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;                // bytes of the files as stored (gzip: compressed)
  std::uint64_t lines = 0;                // log lines read
  std::uint64_t messages = 0;             // records handed to the sink
  std::uint64_t malformed_lines = 0;      // log lines skipped as unreadable (see postfix_log.h)
  std::uint64_t skipped_messages = 0;     // archive messages too large or without recipients
  std::uint64_t outside_time_bounds = 0;  // records before `since` or not before `until`
};

enum class SourceKind { kMailLog, kMbox, kMaildir, kEmlFolder, kEmlFile };

// What `path` holds, by content (see above).
Result<SourceKind> detect_source_kind(const std::filesystem::path& path);

using MailSink = std::function<void(SentMail&&)>;
// Bytes read so far and the bytes of all the given sources (for a progress line).
using MailProgress = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

Result<SourceStats> read_mail_sources(const std::vector<std::filesystem::path>& paths,
                                      const MailSourceOptions& options, const MailSink& sink,
                                      const MailProgress& progress = {});

}  // namespace sendguard
