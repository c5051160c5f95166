// Sent-mail archives to SentMail records (see mail_archive.h).
#include "history/mail_archive.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "history/message_headers.h"
#include "history/unix_time.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using history_internal::MessageHeaders;
using std::chrono::system_clock;

Error io_error(const fs::path& path, const std::string& what, int error_number) {
  return Error{ErrorCode::kIo, path.string() + ": " + what + ": " + std::strerror(error_number)};
}

// A file time past what system_clock holds (a broken clock, a crafted archive) reads as the epoch.
system_clock::time_point modification_time(const struct stat& st) {
  return history_internal::from_unix_seconds(st.st_mtim.tv_sec)
      .value_or(system_clock::time_point{});
}

// A read-only mapping of a whole file; an mbox is read once, front to back.
class MappedFile {
 public:
  static Result<MappedFile> open(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(io_error(path, "cannot open", errno));
    MappedFile file;
    if (::fstat(fd, &file.stat_) != 0) {
      int saved = errno;
      ::close(fd);
      return std::unexpected(io_error(path, "cannot stat", saved));
    }
    std::size_t size = static_cast<std::size_t>(file.stat_.st_size);
    if (size > 0) {
      void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        int saved = errno;
        ::close(fd);
        return std::unexpected(io_error(path, "cannot map", saved));
      }
      ::madvise(data, size, MADV_SEQUENTIAL);
      file.data_ = static_cast<const char*>(data);
      file.size_ = size;
    }
    ::close(fd);
    return file;
  }
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(other.size_), stat_(other.stat_) {}
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view content() const { return {data_, size_}; }
  const struct stat& status() const { return stat_; }

 private:
  MappedFile() = default;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  struct stat stat_ {};
};

Result<std::string> read_whole_file(const fs::path& path, struct stat& st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error(path, "cannot open", errno));
  std::string content;
  if (::fstat(fd, &st) == 0 && st.st_size > 0)
    content.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return std::unexpected(io_error(path, "read failed", saved));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

void add_addresses(std::vector<std::string>& out, const std::string& list) {
  for (auto& address : history_internal::parse_address_list(list)) {
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(std::move(address));
  }
}

// string_view::find looks for the first byte with memchr and compares from there, which on
// mail (a '\n' every line) costs a call a line; glibc's memmem skips far better.
// The high bit of each byte of `word` that equals `byte` (and at most of a byte 0x01 above one:
// a false hit, which callers verify; there are no misses).
std::uint64_t bytes_equal(std::uint64_t word, unsigned char byte) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  std::uint64_t x = word ^ (kOnes * byte);
  return (x - kOnes) & ~x & (kOnes * 0x80);
}

// Where the next line starting with `prefix` begins, as the position of the '\n' before it, at
// or after `from`; npos when there is none. An mbox is mostly bodies, and this search runs over
// all of it: eight bytes at a time it looks for a '\n' followed by the prefix's first byte,
// several times faster than memmem.
std::size_t find_line_start(std::string_view text, std::string_view prefix, std::size_t from) {
  auto starts_line_at = [&](std::size_t at) {
    return text[at] == '\n' && text.substr(at + 1, prefix.size()) == prefix;
  };
  std::size_t at = from;
  if constexpr (std::endian::native == std::endian::little) {
    const auto first = static_cast<unsigned char>(prefix.front());
    for (; at + 9 <= text.size(); at += 8) {
      std::uint64_t here = 0, next = 0;
      std::memcpy(&here, text.data() + at, 8);
      std::memcpy(&next, text.data() + at + 1, 8);
      for (std::uint64_t hits = bytes_equal(here, '\n') & bytes_equal(next, first); hits != 0;
           hits &= hits - 1) {
        std::size_t candidate = at + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
        if (starts_line_at(candidate)) return candidate;
      }
    }
  }
  for (; at < text.size(); ++at) {
    if (starts_line_at(at)) return at;
  }
  return std::string_view::npos;
}

// Where a blank line ends at `newline` (the '\n' before "From "): the message ends before it.
// Returns the message's end, or npos when the line before is not blank.
std::size_t end_before_blank_line(std::string_view content, std::size_t newline) {
  if (newline >= 1 && content[newline - 1] == '\n') return newline;
  if (newline >= 2 && content[newline - 1] == '\r' && content[newline - 2] == '\n') {
    return newline - 1;
  }
  return std::string_view::npos;
}

// The header block of a message with the blank line that ends it; the whole message when it
// has no body.
std::string_view header_block_of(std::string_view message) {
  for (std::size_t at = message.find('\n'); at != std::string_view::npos;
       at = message.find('\n', at + 1)) {
    std::size_t next = at + 1;
    if (next < message.size() && message[next] == '\r') ++next;
    if (next < message.size() && message[next] == '\n') return message.substr(0, next + 1);
  }
  return message;
}

}  // namespace

std::optional<SentMail> sent_mail_from_message(std::string raw, system_clock::time_point file_time,
                                               std::string origin,
                                               const MailArchiveOptions& options) {
  MessageHeaders headers = history_internal::read_message_headers(raw, options.max_header_bytes);
  bool resent =
      !headers.resent_to.empty() || !headers.resent_cc.empty() || !headers.resent_bcc.empty();
  SentMail mail;
  std::vector<std::string> from = history_internal::parse_address_list(
      resent && !headers.resent_from.empty() ? headers.resent_from : headers.from);
  if (!from.empty()) mail.sender = std::move(from.front());
  add_addresses(mail.recipients, resent ? headers.resent_to : headers.to);
  add_addresses(mail.recipients, resent ? headers.resent_cc : headers.cc);
  add_addresses(mail.recipients, resent ? headers.resent_bcc : headers.bcc);
  if (mail.recipients.empty()) return std::nullopt;

  const std::string& date =
      resent && !headers.resent_date.empty() ? headers.resent_date : headers.date;
  mail.time = history_internal::parse_date_header(date).value_or(file_time);
  if (!headers.message_id.empty())
    mail.message_id = history_internal::message_id_value(headers.message_id);
  mail.identity = !mail.message_id.empty()
                      ? mail.message_id
                      : "header-fnv1a64:" + history_internal::header_digest(headers.block);
  if (resent) {
    mail.identity +=
        " resent:" + (!headers.resent_message_id.empty()
                          ? history_internal::message_id_value(headers.resent_message_id)
                          : headers.resent_date);
  }
  mail.origin = std::move(origin);
  if (options.keep_bodies) mail.raw = std::move(raw);
  return mail;
}

void split_mbox(std::string_view content,
                const std::function<bool(std::string_view, std::uint64_t)>& each) {
  static constexpr std::string_view kFromLine = "From ";
  // The first message starts at the first "From " line (blank lines before it are tolerated);
  // anything else before it is not mail.
  std::size_t lead = content.find_first_not_of("\r\n");
  std::size_t from_line = lead != std::string_view::npos && content.substr(lead, 5) == "From "
                              ? lead
                              : std::string_view::npos;
  if (from_line == std::string_view::npos) {
    for (std::size_t at = find_line_start(content, kFromLine, 0); at != std::string_view::npos;
         at = find_line_start(content, kFromLine, at + 1)) {
      if (end_before_blank_line(content, at) != std::string_view::npos) {
        from_line = at + 1;
        break;
      }
    }
  }
  std::uint64_t number = 0;
  while (from_line != std::string_view::npos && from_line < content.size()) {
    std::size_t newline = content.find('\n', from_line);
    if (newline == std::string_view::npos) return;  // a "From " line and nothing after it
    std::size_t start = newline + 1;
    std::size_t end = content.size();
    std::size_t next = std::string_view::npos;
    for (std::size_t at = find_line_start(content, kFromLine, start > 0 ? start - 1 : 0);
         at != std::string_view::npos; at = find_line_start(content, kFromLine, at + 1)) {
      std::size_t message_end = end_before_blank_line(content, at);
      if (message_end != std::string_view::npos && message_end >= start) {
        end = message_end;
        next = at + 1;
        break;
      }
    }
    std::string_view message = content.substr(start, end - start);
    if (next == std::string_view::npos) {
      // The last message: the blank line that closes an mbox is not part of it.
      if (message.ends_with("\r\n\r\n")) {
        message.remove_suffix(2);
      } else if (message.ends_with("\n\n")) {
        message.remove_suffix(1);
      }
    }
    if (!each(message, ++number)) return;
    from_line = next;
  }
}

std::string unescape_mbox_message(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  std::size_t copied = 0;
  // Only lines starting with '>' can be escapes; look at those alone.
  for (std::size_t at = find_line_start(message, ">", 0); at != std::string_view::npos;
       at = find_line_start(message, ">", at + 1)) {
    std::size_t quotes = at + 1;
    while (quotes < message.size() && message[quotes] == '>') ++quotes;
    if (message.substr(quotes, 5) == "From ") {
      out.append(message.substr(copied, at + 1 - copied));
      copied = at + 2;  // drop one '>'
    }
  }
  out.append(message.substr(copied));
  return out;
}

Result<MailArchiveStats> read_mbox(const fs::path& file, const MailArchiveOptions& options,
                                   const ArchiveSink& sink, const ArchiveProgress& progress) {
  auto mapped = MappedFile::open(file);
  if (!mapped) return std::unexpected(mapped.error());
  MailArchiveStats stats;
  stats.files = 1;
  stats.bytes = mapped->content().size();
  system_clock::time_point file_time = modification_time(mapped->status());
  std::string name = file.filename().string();
  const char* base = mapped->content().data();
  split_mbox(mapped->content(), [&](std::string_view message, std::uint64_t number) {
    if (message.size() > options.max_message_bytes) {
      ++stats.skipped;
      return true;
    }
    std::string_view wanted = options.keep_bodies ? message : header_block_of(message);
    auto mail = sent_mail_from_message(unescape_mbox_message(wanted), file_time,
                                       name + ":#" + std::to_string(number), options);
    if (!mail) {
      ++stats.skipped;
    } else {
      ++stats.messages;
      sink(std::move(*mail));
    }
    if (progress && number % 256 == 0) {
      progress(static_cast<std::uint64_t>(message.data() + message.size() - base));
    }
    return true;
  });
  if (progress) progress(stats.bytes);
  return stats;
}

namespace {

// Reads each file as one message; `label` names it in origins.
Result<MailArchiveStats> read_message_files(const std::vector<fs::path>& files,
                                            const fs::path& root, const MailArchiveOptions& options,
                                            const ArchiveSink& sink,
                                            const ArchiveProgress& progress) {
  MailArchiveStats stats;
  fs::path label_root = root.filename().empty() ? root.parent_path().filename() : root.filename();
  for (const auto& path : files) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return std::unexpected(io_error(path, "cannot stat", errno));
    ++stats.files;
    stats.bytes += static_cast<std::uint64_t>(st.st_size);
    if (static_cast<std::uint64_t>(st.st_size) > options.max_message_bytes) {
      ++stats.skipped;
      continue;
    }
    auto raw = read_whole_file(path, st);
    if (!raw) return std::unexpected(raw.error());
    std::string origin = path == root ? path.filename().string()
                                      : (label_root / path.lexically_relative(root)).string();
    auto mail =
        sent_mail_from_message(std::move(*raw), modification_time(st), std::move(origin), options);
    if (!mail) {
      ++stats.skipped;
    } else {
      ++stats.messages;
      sink(std::move(*mail));
    }
    if (progress) progress(stats.bytes);
  }
  return stats;
}

Result<void> list_files(const fs::path& folder, bool recursive, bool eml_only,
                        std::vector<fs::path>& out) {
  std::error_code error;
  auto consider = [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file(error)) return;
    if (eml_only) {
      std::string extension = entry.path().extension().string();
      std::transform(extension.begin(), extension.end(), extension.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (extension != ".eml") return;
    }
    out.push_back(entry.path());
  };
  if (recursive) {
    fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied,
                                        error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) consider(*it);
  } else {
    fs::directory_iterator it(folder, error);
    for (; !error && it != fs::directory_iterator(); it.increment(error)) consider(*it);
  }
  if (error) {
    return make_error(ErrorCode::kIo, folder.string() + ": cannot list: " + error.message());
  }
  return {};
}

}  // namespace

Result<MailArchiveStats> read_maildir(const fs::path& folder, const MailArchiveOptions& options,
                                      const ArchiveSink& sink, const ArchiveProgress& progress) {
  std::vector<fs::path> files;
  // tmp/ holds messages still being written: not yet part of the folder.
  for (const char* sub : {"cur", "new"}) {
    std::error_code error;
    if (!fs::is_directory(folder / sub, error)) continue;
    if (auto ok = list_files(folder / sub, false, false, files); !ok) {
      return std::unexpected(ok.error());
    }
  }
  std::sort(files.begin(), files.end());
  return read_message_files(files, folder, options, sink, progress);
}

Result<MailArchiveStats> read_eml(const fs::path& file_or_folder, const MailArchiveOptions& options,
                                  const ArchiveSink& sink, const ArchiveProgress& progress) {
  std::error_code error;
  if (!fs::is_directory(file_or_folder, error)) {
    return read_message_files({file_or_folder}, file_or_folder, options, sink, progress);
  }
  std::vector<fs::path> files;
  if (auto ok = list_files(file_or_folder, true, true, files); !ok)
    return std::unexpected(ok.error());
  std::sort(files.begin(), files.end());
  return read_message_files(files, file_or_folder, options, sink, progress);
}

}  // namespace sendguard
