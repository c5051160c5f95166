// Detecting, grouping and reading history sources (see mail_source.h).
#include "history/mail_source.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <system_error>

#include "history/byte_stream.h"
#include "history/rotation.h"
#include "history/syslog_time.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;

// Enough of a file to see what it is: a few log lines or the first header fields.
constexpr std::size_t kSniffBytes = 8192;
constexpr int kSniffLines = 8;

bool is_header_field_line(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c <= 32 || c >= 127) return false;  // RFC 5322 ftext
  }
  return true;
}

Result<SourceKind> detect_file_kind(const fs::path& path) {
  auto stream = history_internal::ByteStream::open(path);
  if (!stream) return std::unexpected(stream.error());
  std::array<char, kSniffBytes> buffer;
  std::size_t got = 0;
  while (got < buffer.size()) {
    auto n = (*stream)->read(std::span<char>(buffer.data() + got, buffer.size() - got));
    if (!n) {
      if (got == 0) return std::unexpected(n.error());
      break;  // a damaged gzip: what inflated decides; reading it will report the damage
    }
    if (*n == 0) break;
    got += *n;
  }
  std::string_view head(buffer.data(), got);
  if (head.empty()) return SourceKind::kMailLog;
  std::size_t lead = head.find_first_not_of("\r\n");
  if (lead != std::string_view::npos && head.substr(lead).starts_with("From ")) {
    if ((*stream)->is_gzip()) {
      return make_error(ErrorCode::kInvalidInput,
                        path.string() + ": a compressed mbox; decompress it before reading");
    }
    return SourceKind::kMbox;
  }
  std::string_view rest = head;
  for (int i = 0; i < kSniffLines && !rest.empty(); ++i) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    history_internal::SyslogTimestamp stamp;
    if (history_internal::parse_syslog_timestamp(line, stamp) > 0) return SourceKind::kMailLog;
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  if (!(*stream)->is_gzip() && is_header_field_line(head.substr(0, head.find('\n')))) {
    return SourceKind::kEmlFile;
  }
  return make_error(ErrorCode::kInvalidInput,
                    path.string() + ": neither a mail log, an mbox, nor a message");
}

std::uint64_t folder_bytes(const fs::path& folder) {
  std::uint64_t total = 0;
  std::error_code error;
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored)) total += it->file_size(ignored);
  }
  return total;
}

// One thing to read: a rotation family of logs, or one archive.
struct Unit {
  SourceKind kind;
  std::vector<fs::path> paths;
};

}  // namespace

Result<SourceKind> detect_source_kind(const fs::path& path) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) {
    return make_error(ErrorCode::kIo,
                      path.string() + ": " + (error ? error.message() : "no such file or folder"));
  }
  if (fs::is_directory(status)) {
    if (fs::is_directory(path / "cur", error) || fs::is_directory(path / "new", error)) {
      return SourceKind::kMaildir;
    }
    return SourceKind::kEmlFolder;
  }
  if (!fs::is_regular_file(status)) {
    return make_error(ErrorCode::kInvalidInput, path.string() + ": not a file or a folder");
  }
  return detect_file_kind(path);
}

namespace {

struct ReadingPlan {
  std::vector<Unit> units;  // in the order the paths were given
  std::uint64_t total_bytes = 0;
};

// What each path is, and the order to read them in: an archive where it was given, a log
// family where its first member was given.
Result<ReadingPlan> plan_reading(const std::vector<fs::path>& paths) {
  ReadingPlan plan;
  std::vector<std::pair<fs::path, SourceKind>> kinds;
  std::vector<fs::path> logs;
  for (const auto& path : paths) {
    auto kind = detect_source_kind(path);
    if (!kind) return std::unexpected(kind.error());
    std::error_code error;
    if (*kind == SourceKind::kMaildir || *kind == SourceKind::kEmlFolder) {
      plan.total_bytes += folder_bytes(path);
    } else {
      plan.total_bytes += fs::file_size(path, error);
    }
    if (*kind == SourceKind::kMailLog) logs.push_back(path);
    kinds.emplace_back(path, *kind);
  }
  std::vector<std::vector<fs::path>> families = history_internal::group_rotation_families(logs);
  std::vector<bool> family_placed(families.size(), false);
  for (const auto& [path, kind] : kinds) {
    if (kind != SourceKind::kMailLog) {
      plan.units.push_back({kind, {path}});
      continue;
    }
    for (std::size_t i = 0; i < families.size(); ++i) {
      bool member = std::find(families[i].begin(), families[i].end(), path) != families[i].end();
      if (member && !family_placed[i]) {
        family_placed[i] = true;
        plan.units.push_back({kind, families[i]});
      }
    }
  }
  return plan;
}

Result<MailArchiveStats> read_archive(const Unit& unit, const MailArchiveOptions& options,
                                      const ArchiveSink& sink, const ArchiveProgress& progress) {
  const fs::path& path = unit.paths.front();
  switch (unit.kind) {
    case SourceKind::kMbox:
      return read_mbox(path, options, sink, progress);
    case SourceKind::kMaildir:
      return read_maildir(path, options, sink, progress);
    default:
      return read_eml(path, options, sink, progress);
  }
}

}  // namespace

Result<SourceStats> read_mail_sources(const std::vector<fs::path>& paths,
                                      const MailSourceOptions& options, const MailSink& sink,
                                      const MailProgress& progress) {
  auto plan = plan_reading(paths);
  if (!plan) return std::unexpected(plan.error());
  const std::uint64_t total_bytes = plan->total_bytes;

  SourceStats stats;
  auto bounded_sink = [&](SentMail&& mail) {
    if ((options.since && mail.time < *options.since) ||
        (options.until && mail.time >= *options.until)) {
      ++stats.outside_time_bounds;
      return;
    }
    ++stats.messages;
    sink(std::move(mail));
  };
  std::uint64_t done_before = 0;
  auto unit_progress = [&](std::uint64_t done) {
    if (progress) progress(done_before + done, total_bytes);
  };
  PostfixLogOptions log_options = options.log;
  log_options.now = options.now;
  for (const auto& unit : plan->units) {
    if (unit.kind == SourceKind::kMailLog) {
      auto read = read_postfix_logs(unit.paths, log_options, bounded_sink, unit_progress);
      if (!read) return std::unexpected(read.error());
      stats.files += read->files;
      stats.bytes += read->bytes;
      stats.lines += read->lines;
      stats.malformed_lines += read->malformed_lines;
      done_before += read->bytes;
      continue;
    }
    auto read = read_archive(unit, options.archive, bounded_sink, unit_progress);
    if (!read) return std::unexpected(read.error());
    stats.files += read->files;
    stats.bytes += read->bytes;
    stats.skipped_messages += read->skipped;
    done_before += read->bytes;
  }
  if (progress) progress(done_before, total_bytes);
  return stats;
}

}  // namespace sendguard
