// Reading a file's bytes in large chunks, inflating gzip transparently (history module
// internal).
//
// Whether a file is gzip is decided by its first two bytes (1f 8b), never by its name, since
// rotated logs are renamed and compressed by different tools. Concatenated gzip members (what
// `cat a.gz b.gz` and some rotators produce) are read as one stream. A stream that ends before
// its gzip trailer, or whose data does not inflate, is an Error naming the file; the bytes
// inflated before the damage have already been handed out by then.
//
// Thread-safety: one ByteStream per thread; distinct streams share nothing.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace sendguard::history_internal {

class ByteStream {
 public:
  static Result<std::unique_ptr<ByteStream>> open(const std::filesystem::path& path);
  ~ByteStream();
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Reads up to out.size() bytes of content (inflated for gzip) into `out`; 0 means the end.
  Result<std::size_t> read(std::span<char> out);

  bool is_gzip() const { return gzip_; }
  // Bytes taken from the file so far (compressed bytes for gzip): what progress counts.
  std::uint64_t file_bytes_read() const { return file_bytes_read_; }
  std::uint64_t file_size() const { return file_size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  ByteStream() = default;
  Result<std::size_t> read_file(char* out, std::size_t capacity);
  Result<std::size_t> inflate_into(std::span<char> out);
  Error damaged(const std::string& what) const;

  std::filesystem::path path_;
  int fd_ = -1;
  bool gzip_ = false;
  bool file_eof_ = false;
  bool member_ended_ = false;  // the last gzip member reached its trailer
  std::uint64_t file_size_ = 0;
  std::uint64_t file_bytes_read_ = 0;
  std::uint64_t content_bytes_ = 0;
  z_stream zs_{};
  bool zs_ready_ = false;
  std::vector<unsigned char> compressed_;  // gzip input buffer
  // Bytes read ahead to sniff the format, handed out before anything else.
  std::vector<char> pending_;
  std::size_t pending_at_ = 0;
};

}  // namespace sendguard::history_internal
