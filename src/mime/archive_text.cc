// Archives (ZIP, tar, 7z, RAR, gzip/bzip2/xz streams) with libarchive: each member is read as a
// file of its own, by its content, one nesting level deeper.
#include <archive.h>
#include <archive_entry.h>

#include <cctype>
#include <memory>
#include <string>

#include "mime/charset.h"
#include "mime/extract.h"

namespace sendguard::mime_internal {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A member name fit for a where-string: UTF-8, no control characters, no leading "./".
std::string member_name(archive_entry* entry, int index) {
  const char* raw = archive_entry_pathname_utf8(entry);
  if (raw == nullptr) raw = archive_entry_pathname(entry);
  std::string name = raw == nullptr ? std::string() : utf8_or_windows1252(raw);
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  while (name.starts_with("./")) name.erase(0, 2);
  if (name.empty()) name = "member-" + std::to_string(index);
  return name;
}

}  // namespace

void extract_archive(Sink& sink, std::string_view bytes, const FileType& type,
                     const std::string& path, int depth) {
  const std::string where = "attachment:" + path;
  Budget& budget = sink.budget();
  if (!budget.depth_allowed(depth + 1)) {
    sink.add_unscannable(where, "nesting deeper than " + std::to_string(budget.limits().max_depth));
    return;
  }
  const std::string format = upper(type.name);
  std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
  // Formats and filters are named one by one: archive_read_support_filter_all() would also
  // enable filters that run external programs (lrzip, lzop, grzip) on attacker bytes.
  archive_read_support_format_zip(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_7zip(reader.get());
  archive_read_support_format_rar(reader.get());
  archive_read_support_format_rar5(reader.get());
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_bzip2(reader.get());
  archive_read_support_filter_xz(reader.get());
  archive_read_support_filter_lzma(reader.get());
  if (type.name == "gzip" || type.name == "bzip2" || type.name == "xz") {
    // A compressed single file: "raw" hands over the decompressed stream as one member.
    archive_read_support_format_raw(reader.get());
  }
  if (archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    sink.add_unscannable(where, "corrupt " + format);
    return;
  }

  std::string member;
  for (int index = 0;; ++index) {
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      // 7z and RAR can encrypt the member list itself; then the header cannot be read.
      bool encrypted = archive_read_has_encrypted_entries(reader.get()) > 0;
      sink.add_unscannable(where, encrypted ? "password-protected " + format
                                            : "corrupt " + format);
      break;
    }
    if (!budget.take_part()) {
      sink.report_stop(where);
      break;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;  // directories, links, devices
    const std::string member_path = path + "/" + member_name(entry, index);
    const std::string member_where = "attachment:" + member_path;
    la_int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (archive_entry_is_encrypted(entry)) {
      sink.add_attachment({member_path, "", "encrypted",
                           static_cast<std::size_t>(declared > 0 ? declared : 0)});
      sink.add_unscannable(member_where, "password-protected " + format);
      continue;
    }
    if (declared > 0 && static_cast<std::uint64_t>(declared) > budget.bytes_left()) {
      // The header already says it is too big: stop before inflating anything.
      budget.take_bytes(budget.bytes_left() + 1);
      sink.report_stop(member_where);
      break;
    }
    // Decompressed bytes are counted as they come: a header that lies about the size (the
    // classic ZIP bomb) is stopped at the cap all the same.
    member.clear();
    bool member_ok = true;
    char buffer[64 * 1024];
    for (;;) {
      la_ssize_t got = archive_read_data(reader.get(), buffer, sizeof buffer);
      if (got == 0) break;
      if (got < 0) {
        member_ok = false;
        break;
      }
      if (!budget.take_bytes(static_cast<std::size_t>(got))) break;
      member.append(buffer, static_cast<std::size_t>(got));
    }
    if (budget.stopped()) {
      sink.add_attachment({member_path, "", "unread", member.size()});
      sink.report_stop(member_where);
      break;
    }
    if (!member_ok) {
      sink.add_attachment({member_path, "", "unread", member.size()});
      sink.add_unscannable(member_where, "corrupt " + format + " member");
      continue;
    }
    extract_file(sink, member, member_path, {}, depth + 1);
    if (budget.stopped()) {
      sink.report_stop(member_where);
      break;
    }
  }
}

}  // namespace sendguard::mime_internal
