// Chunked file reading with transparent gzip inflation (see byte_stream.h).
#include "history/byte_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sendguard::history_internal {
namespace {

constexpr std::size_t kCompressedBufferBytes = 1u << 20;

Error io_error(const std::filesystem::path& path, const std::string& what) {
  return Error{ErrorCode::kIo, path.string() + ": " + what + ": " + std::strerror(errno)};
}

}  // namespace

Result<std::unique_ptr<ByteStream>> ByteStream::open(const std::filesystem::path& path) {
  std::unique_ptr<ByteStream> stream(new ByteStream());
  stream->path_ = path;
  stream->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (stream->fd_ < 0) return std::unexpected(io_error(path, "cannot open"));
  struct stat st {};
  if (::fstat(stream->fd_, &st) != 0) return std::unexpected(io_error(path, "cannot stat"));
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kIo, path.string() + ": not a regular file");
  }
  stream->file_size_ = static_cast<std::uint64_t>(st.st_size);
  ::posix_fadvise(stream->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);

  // Sniff the gzip magic; whatever was read is handed out (or inflated) first.
  char magic[2];
  std::size_t got = 0;
  while (got < sizeof magic) {
    auto n = stream->read_file(magic + got, sizeof magic - got);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    got += *n;
  }
  stream->gzip_ = got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                  static_cast<unsigned char>(magic[1]) == 0x8b;
  if (stream->gzip_) {
    if (inflateInit2(&stream->zs_, 16 + MAX_WBITS) != Z_OK) {
      return make_error(ErrorCode::kInternal, path.string() + ": zlib could not be initialised");
    }
    stream->zs_ready_ = true;
    stream->compressed_.resize(kCompressedBufferBytes);
    std::memcpy(stream->compressed_.data(), magic, got);
    stream->zs_.next_in = stream->compressed_.data();
    stream->zs_.avail_in = static_cast<uInt>(got);
  } else {
    stream->pending_.assign(magic, magic + got);
  }
  return stream;
}

ByteStream::~ByteStream() {
  if (zs_ready_) inflateEnd(&zs_);
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> ByteStream::read_file(char* out, std::size_t capacity) {
  if (file_eof_) return 0;
  for (;;) {
    ssize_t n = ::read(fd_, out, capacity);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error(path_, "read failed"));
    }
    if (n == 0) file_eof_ = true;
    file_bytes_read_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

Error ByteStream::damaged(const std::string& what) const {
  return Error{ErrorCode::kInvalidInput, path_.string() + ": " + what + " after " +
                                             std::to_string(content_bytes_) +
                                             " bytes of content; the file is damaged"};
}

Result<std::size_t> ByteStream::read(std::span<char> out) {
  if (out.empty()) return 0;
  if (pending_at_ < pending_.size()) {
    std::size_t n = std::min(out.size(), pending_.size() - pending_at_);
    std::memcpy(out.data(), pending_.data() + pending_at_, n);
    pending_at_ += n;
    content_bytes_ += n;
    return n;
  }
  if (gzip_) return inflate_into(out);
  auto n = read_file(out.data(), out.size());
  if (n) content_bytes_ += *n;
  return n;
}

Result<std::size_t> ByteStream::inflate_into(std::span<char> out) {
  for (;;) {
    if (zs_.avail_in == 0 && !file_eof_) {
      auto n = read_file(reinterpret_cast<char*>(compressed_.data()), compressed_.size());
      if (!n) return std::unexpected(n.error());
      zs_.next_in = compressed_.data();
      zs_.avail_in = static_cast<uInt>(*n);
    }
    if (member_ended_) {
      // After a complete member: another member may follow; zero bytes are tape padding.
      while (zs_.avail_in > 0 && *zs_.next_in == 0) {
        ++zs_.next_in;
        --zs_.avail_in;
      }
      if (zs_.avail_in == 0) {
        if (file_eof_) return 0;
        continue;
      }
      inflateReset(&zs_);
      member_ended_ = false;
    }
    if (zs_.avail_in == 0 && file_eof_) {
      return std::unexpected(damaged("the gzip data ends before its end marker (truncated)"));
    }
    zs_.next_out = reinterpret_cast<unsigned char*>(out.data());
    zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size(), 1u << 30));
    uInt before = zs_.avail_out;
    int ret = inflate(&zs_, Z_NO_FLUSH);
    std::size_t produced = before - zs_.avail_out;
    content_bytes_ += produced;
    if (ret == Z_STREAM_END) {
      member_ended_ = true;
    } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
      std::string why = zs_.msg != nullptr ? zs_.msg : "zlib error " + std::to_string(ret);
      return std::unexpected(damaged("the gzip data is corrupt (" + why + ")"));
    }
    if (produced > 0) return produced;
  }
}

}  // namespace sendguard::history_internal
