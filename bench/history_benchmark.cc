// History source throughput, each beside a baseline measured in the same run.
//
// 1. Postfix log: a synthetic mail.log of --log-mb MB (ordinary relayed traffic: smtpd,
//    cleanup, qmgr, smtp lines, some deferrals and bounces, some lines of other programs) is
//    read by read_postfix_logs() and, as the baseline, by plain read() of 4 MiB chunks with a
//    memchr line count: the least any line-oriented reader must do. The goal is at least
//    100 MB/s on one core for the whole import path, so the reader must stay well above it.
//    The same log's first --gzip-mb MB, gzip-compressed (level 6, as gzip and logrotate do),
//    are read the same way beside zlib alone: gzread() of 4 MiB chunks with the same line count.
// 2. mbox: --messages messages of 2 to 50 KB (text bodies, some with base64 attachments, some
//    body lines escaped as ">From ") are read by read_mbox() and, as the baseline, by GMime
//    alone: g_mime_parser in GMIME_FORMAT_MBOX constructing every message. The goal is at most
//    1.5 times GMime's time.
//
// 3. The whole paths, on the same files: `learn` (reading, normalising, counting into a new
//    SQLite store) and `investigate` (reading, learning from the source, classifying every
//    recipient domain, inspecting the content of the archive's slips). One recipient in a
//    thousand is a top-level-domain slip (of example.com, example.cm) for investigate to find.
//    Goals: at least 100 MB/s on the log, at most 1.5 times GMime's time on the mbox.
//
// Times are CPU time of this thread (these machines are shared; wall time mostly measures the
// wait for a core), medians of --runs runs. Files are generated once, then read while they are
// in the page cache, so disk speed is out of the picture for both sides alike.
//
// usage: history_benchmark [--log-mb N] [--gzip-mb N] [--messages N] [--runs N] [--workdir DIR]
#include <fcntl.h>
#include <gmime/gmime.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_options.h"
#include "bench_timing.h"
#include "core/config.h"
#include "history/history_keys.h"
#include "history/learner.h"
#include "history/mail_archive.h"
#include "history/mail_source.h"
#include "history/postfix_log.h"
#include "investigate/investigate.h"

namespace {

namespace fs = std::filesystem;

using sendguard::bench::median;
using sendguard::bench::thread_cpu_seconds;

// Writes through a large buffer: generation must not dominate the set-up time.
class Writer {
 public:
  explicit Writer(const fs::path& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) {
      std::perror(path.c_str());
      std::exit(2);
    }
    buffer_.reserve(8u << 20);
  }
  ~Writer() {
    flush();
    std::fclose(file_);
  }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= (8u << 20) - 65536) flush();
  }
  std::uint64_t written() const { return written_ + buffer_.size(); }

 private:
  void flush() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    written_ += buffer_.size();
    buffer_.clear();
  }
  std::FILE* file_;
  std::string buffer_;
  std::uint64_t written_ = 0;
};

// ---- the synthetic mail log ------------------------------------------------------------

// The organisation's correspondents. Mail is not spread evenly: a few partners get most of it
// and the tail gets a message now and then (Zipf's law, as in real mail logs), which is what
// lets learning sum many messages into few rows. Partner names are made of letters drawn from
// the partner's number, so that no two of them are near-misses of each other.
constexpr unsigned kPartners = 20000;

const std::string& partner_name(unsigned partner) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::mt19937_64 rng(4242);
    for (unsigned p = 0; p < kPartners; ++p) {
      std::string name;
      std::size_t length = 6 + rng() % 7;
      for (std::size_t i = 0; i < length; ++i) name += static_cast<char>('a' + rng() % 26);
      out.push_back(name + "-" + std::to_string(p % 10));
    }
    return out;
  }();
  return names[partner];
}

unsigned zipf_partner(std::mt19937_64& rng) {
  static std::discrete_distribution<unsigned> distribution = [] {
    std::vector<double> weights;
    for (unsigned rank = 1; rank <= kPartners; ++rank) weights.push_back(1.0 / rank);
    return std::discrete_distribution<unsigned>(weights.begin(), weights.end());
  }();
  return distribution(rng);
}

struct LogCorpus {
  std::uint64_t bytes = 0, lines = 0, delivered = 0;
};

LogCorpus write_mail_log(const fs::path& path, std::uint64_t target_bytes) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::mt19937_64 rng(20261128);
  Writer out(path);
  LogCorpus corpus;
  std::time_t now = 1793491200;  // 2026-11-01T00:00:00Z
  char stamp[32];
  auto line = [&](const char* format, auto... args) {
    std::string& b = out.buffer();
    std::size_t at = b.size();
    b.resize(at + 1024);
    int n = std::snprintf(b.data() + at, 1024, format, args...);
    b.resize(at + static_cast<std::size_t>(n));
    ++corpus.lines;
  };
  auto set_stamp = [&] {
    std::tm t{};
    gmtime_r(&now, &t);
    std::snprintf(stamp, sizeof stamp, "%s %2d %02d:%02d:%02d", kMonths[t.tm_mon], t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec);
  };
  std::uint64_t queue = 0x3A0000000ull;
  while (out.written() < target_bytes) {
    now += 1 + static_cast<std::time_t>(rng() % 2);
    set_stamp();
    unsigned ws = rng() % 900, user = rng() % 5000, pid = 1000 + rng() % 30000;
    char qid[16];
    std::snprintf(qid, sizeof qid, "%010llX", static_cast<unsigned long long>(++queue));
    line("%s mx1 postfix/smtpd[%u]: connect from ws%u.corp.example[10.0.%u.%u]\n", stamp, pid, ws,
         ws / 250, ws % 250);
    line(
        "%s mx1 postfix/smtpd[%u]: %s: client=ws%u.corp.example[10.0.%u.%u], "
        "sasl_method=PLAIN, sasl_username=user%u\n",
        stamp, pid, qid, ws, ws / 250, ws % 250, user);
    line("%s mx1 postfix/cleanup[2211]: %s: message-id=<%ld.%u.%s@corp.example>\n", stamp, qid,
         static_cast<long>(now), user, qid);
    unsigned recipients = 1 + rng() % 3;
    line(
        "%s mx1 postfix/qmgr[1201]: %s: from=<user%u@corp.example>, size=%u, nrcpt=%u (queue "
        "active)\n",
        stamp, qid, user, 2000 + static_cast<unsigned>(rng() % 48000), recipients);
    line(
        "%s mx1 postfix/smtpd[%u]: disconnect from ws%u.corp.example[10.0.%u.%u] ehlo=2 "
        "starttls=1 auth=1 mail=1 rcpt=%u data=1 quit=1 commands=%u\n",
        stamp, pid, ws, ws / 250, ws % 250, recipients, 8 + recipients);
    bool any_sent = false;
    for (unsigned r = 0; r < recipients; ++r) {
      unsigned partner = zipf_partner(rng), roll = rng() % 100;
      const char* status = roll < 3 ? "deferred" : roll < 4 ? "bounced" : "sent";
      const char* dsn = roll < 3 ? "4.4.1" : roll < 4 ? "5.1.1" : "2.0.0";
      // One recipient in a thousand is a slip of the top-level domain, for investigate to find.
      const char* tld = rng() % 1000 == 0 ? "cm" : "com";
      line(
          "%s mx1 postfix/smtp[%u]: %s: to=<contact%u@%s.%s>, "
          "relay=mx.%s.com[192.0.%u.%u]:25, delay=0.%u, delays=0.1/0.01/0.2/0.%u, "
          "dsn=%s, status=%s (250 2.0.0 Ok: queued as %08X)\n",
          stamp, pid + 7, qid, static_cast<unsigned>(rng() % 40), partner_name(partner).c_str(),
          tld, partner_name(partner).c_str(), partner / 250 % 250, partner % 250,
          static_cast<unsigned>(rng() % 99), static_cast<unsigned>(rng() % 99), dsn, status,
          static_cast<unsigned>(rng()));
      any_sent = any_sent || roll >= 4;
    }
    if (any_sent) ++corpus.delivered;
    line("%s mx1 postfix/qmgr[1201]: %s: removed\n", stamp, qid);
    if (rng() % 10 == 0) {
      line("%s mx1 dovecot: imap(user%u)<%u><abcdEFGH>: Logged out in=123 out=4567\n", stamp, user,
           pid);
    }
    if (rng() % 50 == 0) {
      line(
          "%s mx1 postfix/anvil[977]: statistics: max connection rate 3/60s for "
          "(smtp:10.0.0.5) at %s\n",
          stamp, stamp);
    }
    out.maybe_flush();
  }
  corpus.bytes = out.written();
  return corpus;
}

// ---- the synthetic mbox ----------------------------------------------------------------

std::uint64_t write_mbox(const fs::path& path, int messages) {
  static const char* kWords[] = {"the",     "meeting",  "report",  "team",     "review",  "draft",
                                 "monday",  "please",   "send",    "comments", "budget",  "quarter",
                                 "project", "schedule", "office",  "customer", "plan",    "thanks",
                                 "minutes", "attached", "summary", "contract", "invoice", "policy"};
  static const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937_64 rng(20261129);
  Writer out(path);
  for (int i = 0; i < messages; ++i) {
    std::string& b = out.buffer();
    // Sizes: most small, a long tail up to 50 KB.
    unsigned roll = rng() % 100;
    std::size_t target = roll < 60   ? 2048 + rng() % 6144
                         : roll < 90 ? 8192 + rng() % 22528
                                     : 30720 + rng() % 20480;
    bool attachment = target > 12000 && rng() % 2 == 0;
    unsigned user = rng() % 5000;
    char head[2048];
    unsigned to = zipf_partner(rng), cc = zipf_partner(rng);
    const char* to_domain = partner_name(to).c_str();
    std::snprintf(head, sizeof head,
                  "From user%u@corp.example Sat Nov 28 08:%02d:%02d 2026\n"
                  "Return-Path: <user%u@corp.example>\n"
                  "Received: from ws%u.corp.example (ws%u.corp.example [10.0.1.%u])\n"
                  "\tby mx1.corp.example (Postfix) with ESMTPSA id 4BC1D%05X\n"
                  "\tfor <contact%u@%s.com>; Sat, 28 Nov 2026 08:%02d:%02d +0000 (UTC)\n"
                  "From: User %u <user%u@corp.example>\n"
                  "To: Contact <contact%u@%s.%s>, other%u@%s.com\n"
                  "Cc: \"Team, Lead\" <lead%u@corp.example>\n"
                  "Subject: Re: the quarterly report %d\n"
                  "Date: Sat, 28 Nov 2026 08:%02d:%02d +0000\n"
                  "Message-ID: <%d.%u@corp.example>\n"
                  "MIME-Version: 1.0\n",
                  user, i / 60 % 60, i % 60, user, user % 900, user % 900, user % 250, i, i % 7,
                  to_domain, i / 60 % 60, i % 60, user, user, i % 7, to_domain,
                  i % 1000 == 999 ? "cm" : "com",  // one message in a thousand is a slip
                  (i + 1) % 7, partner_name(cc).c_str(), user % 50, i, i / 60 % 60, i % 60, i,
                  user);
    b += head;
    if (attachment) {
      b += "Content-Type: multipart/mixed; boundary=\"=-b" + std::to_string(i) + "\"\n\n";
      b += "--=-b" + std::to_string(i) + "\nContent-Type: text/plain; charset=utf-8\n\n";
    } else {
      b += "Content-Type: text/plain; charset=utf-8\n\n";
    }
    std::size_t body_start = b.size();
    std::size_t text_bytes = attachment ? (target - 1500) / 4 : target - 1000;
    while (b.size() - body_start < text_bytes) {
      if (rng() % 40 == 0) b += ">From the minutes of the last meeting:\n";  // escaped
      for (int w = 0; w < 11; ++w) {
        if (w) b += ' ';
        b += kWords[rng() % std::size(kWords)];
      }
      b += ".\n";
    }
    if (attachment) {
      b += "\n--=-b" + std::to_string(i) +
           "\nContent-Type: application/pdf; name=\"report.pdf\"\n"
           "Content-Transfer-Encoding: base64\n"
           "Content-Disposition: attachment; filename=\"report.pdf\"\n\n";
      std::size_t attachment_start = b.size();
      while (b.size() - attachment_start < target - text_bytes - 1500) {
        for (int c = 0; c < 76; ++c) b += kBase64[rng() % 64];
        b += '\n';
      }
      b += "--=-b" + std::to_string(i) + "--\n";
    }
    b += '\n';
    out.maybe_flush();
  }
  return out.written();
}

// ---- measurements ----------------------------------------------------------------------

struct Baseline {
  std::uint64_t lines = 0;
};

Baseline read_and_count_lines(const fs::path& path) {
  Baseline result;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buffer(4u << 20);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n <= 0) break;
    const char* p = buffer.data();
    const char* end = p + n;
    while ((p = static_cast<const char*>(
                std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
      ++result.lines;
      ++p;
    }
  }
  ::close(fd);
  return result;
}

// The first `bytes` of `source`, compressed at gzip's default level.
void write_gzip_prefix(const fs::path& source, const fs::path& target, std::uint64_t bytes) {
  std::FILE* in = std::fopen(source.c_str(), "rb");
  gzFile out = gzopen(target.c_str(), "wb6");
  std::vector<char> buffer(4u << 20);
  while (bytes > 0) {
    std::size_t n = std::fread(buffer.data(), 1, std::min<std::uint64_t>(buffer.size(), bytes), in);
    if (n == 0) break;
    gzwrite(out, buffer.data(), static_cast<unsigned>(n));
    bytes -= n;
  }
  gzclose(out);
  std::fclose(in);
}

// zlib alone: inflate in 4 MiB chunks and count lines. Returns the bytes inflated.
std::uint64_t gzread_and_count_lines(const fs::path& path, std::uint64_t& lines) {
  gzFile in = gzopen(path.c_str(), "rb");
  gzbuffer(in, 1u << 20);
  std::vector<char> buffer(4u << 20);
  std::uint64_t total = 0;
  lines = 0;
  for (;;) {
    int n = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n <= 0) break;
    total += static_cast<std::uint64_t>(n);
    const char* p = buffer.data();
    const char* end = p + n;
    while ((p = static_cast<const char*>(
                std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
      ++lines;
      ++p;
    }
  }
  gzclose(in);
  return total;
}

int gmime_parse_mbox(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  GMimeStream* stream = g_mime_stream_fs_new(fd);  // owns fd
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
  int count = 0;
  while (!g_mime_parser_eos(parser)) {
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    if (message == nullptr) break;
    ++count;
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return count;
}

}  // namespace

// ---- the whole import and investigation paths --------------------------------------------

// `sendguard learn` of one source into a new SQLite store: the messages counted.
std::uint64_t learn(const fs::path& source, const fs::path& database,
                    const sendguard::Config& config) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix);
  sendguard::StoreOptions options;
  options.sqlite_path = database.string();
  auto store = sendguard::open_store(options);
  if (!store) throw std::runtime_error(store.error().message);
  auto suffixes = sendguard::PublicSuffixList::load(config.public_suffix_list);
  if (!suffixes) throw std::runtime_error(suffixes.error().message);
  sendguard::HistoryKeys keys(
      std::make_shared<const sendguard::PublicSuffixList>(std::move(*suffixes)));
  auto learned = sendguard::learn_sources(**store, keys, config.history, {source}, {});
  if (!learned) throw std::runtime_error(learned.error().message);
  return learned->counts.added;
}

// `sendguard investigate` of one source without a history: the lookalike recipients found.
std::uint64_t investigate(const fs::path& source, const sendguard::Config& config) {
  sendguard::InvestigateOptions options;
  options.sources = {source};
  auto found = sendguard::investigate(config, {}, nullptr, options);
  if (!found) throw std::runtime_error(found.error().message);
  return found->misdirected.size();
}

int main(int argc, char** argv) {
  std::size_t log_mb = 1024, gzip_mb = 128;
  int messages = 100000, runs = 3;
  fs::path workdir = fs::temp_directory_path() / "sendguard-history-benchmark";
  sendguard::bench::read_options(
      argc, argv,
      {{"--log-mb", &log_mb},
       {"--gzip-mb", &gzip_mb},
       {"--messages", &messages},
       {"--runs", &runs},
       {"--workdir", &workdir}},
      "history_benchmark [--log-mb N] [--gzip-mb N] [--messages N] [--runs N] [--workdir DIR]");
  fs::create_directories(workdir);
  g_mime_init();

  fs::path log_path = workdir / "mail.log";
  LogCorpus log = write_mail_log(log_path, log_mb << 20);
  fs::path gzip_path = workdir / "mail.log.1.gz";
  write_gzip_prefix(log_path, gzip_path, gzip_mb << 20);
  fs::path mbox_path = workdir / "sent.mbox";
  std::uint64_t mbox_bytes = write_mbox(mbox_path, messages);

  std::vector<double> base_s, log_s, zlib_s, gzip_s, gmime_s, mbox_s;
  std::uint64_t gzip_content = 0, gzip_lines = 0, gzip_messages = 0;
  std::uint64_t base_lines = 0, log_messages = 0, mbox_messages = 0, mbox_raw = 0;
  int gmime_messages = 0;
  // Investigating the mbox alone (one day of mail: nothing learned from it) starts from the
  // partner domains a site would have configured or learned.
  auto config = sendguard::default_config();
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  sendguard::Config mbox_config_value = *config;
  for (unsigned p = 0; p < kPartners; ++p)
    mbox_config_value.recipients.known_domains.push_back(partner_name(p) + ".com");
  const sendguard::Config* mbox_config = &mbox_config_value;
  std::vector<double> learn_log_s, investigate_log_s, learn_mbox_s, investigate_mbox_s;
  std::uint64_t learned_log = 0, found_log = 0, learned_mbox = 0, found_mbox = 0;
  sendguard::PostfixLogOptions log_options;
  log_options.utc_offset = std::chrono::minutes(0);
  for (int r = 0; r < runs; ++r) {
    double start = thread_cpu_seconds();
    base_lines = read_and_count_lines(log_path).lines;
    base_s.push_back(thread_cpu_seconds() - start);

    log_messages = 0;
    start = thread_cpu_seconds();
    std::vector<fs::path> chain{log_path};
    auto read = sendguard::read_postfix_logs(chain, log_options,
                                             [&](sendguard::SentMail&&) { ++log_messages; });
    log_s.push_back(thread_cpu_seconds() - start);
    if (!read) {
      std::fprintf(stderr, "%s\n", read.error().message.c_str());
      return 2;
    }

    start = thread_cpu_seconds();
    gzip_content = gzread_and_count_lines(gzip_path, gzip_lines);
    zlib_s.push_back(thread_cpu_seconds() - start);

    gzip_messages = 0;
    start = thread_cpu_seconds();
    std::vector<fs::path> gzip_chain{gzip_path};
    auto gzip_read = sendguard::read_postfix_logs(gzip_chain, log_options,
                                                  [&](sendguard::SentMail&&) { ++gzip_messages; });
    gzip_s.push_back(thread_cpu_seconds() - start);
    if (!gzip_read) {
      std::fprintf(stderr, "%s\n", gzip_read.error().message.c_str());
      return 2;
    }

    start = thread_cpu_seconds();
    gmime_messages = gmime_parse_mbox(mbox_path);
    gmime_s.push_back(thread_cpu_seconds() - start);

    mbox_messages = mbox_raw = 0;
    start = thread_cpu_seconds();
    auto mbox = sendguard::read_mbox(mbox_path, {}, [&](sendguard::SentMail&& mail) {
      ++mbox_messages;
      mbox_raw += mail.raw.size();
    });
    mbox_s.push_back(thread_cpu_seconds() - start);
    if (!mbox) {
      std::fprintf(stderr, "%s\n", mbox.error().message.c_str());
      return 2;
    }

    start = thread_cpu_seconds();
    learned_log = learn(log_path, workdir / "learn.db", *config);
    learn_log_s.push_back(thread_cpu_seconds() - start);
    start = thread_cpu_seconds();
    found_log = investigate(log_path, *config);
    investigate_log_s.push_back(thread_cpu_seconds() - start);
    start = thread_cpu_seconds();
    learned_mbox = learn(mbox_path, workdir / "learn.db", *config);
    learn_mbox_s.push_back(thread_cpu_seconds() - start);
    start = thread_cpu_seconds();
    found_mbox = investigate(mbox_path, *mbox_config);
    investigate_mbox_s.push_back(thread_cpu_seconds() - start);
  }

  double log_mib = static_cast<double>(log.bytes) / (1 << 20);
  double base_rate = log_mib / median(base_s), log_rate = log_mib / median(log_s);
  std::printf("history sources: CPU time of one thread, medians of %d runs\n\n", runs);
  std::printf("Postfix log: %.1f MB, %llu lines, %llu messages delivered (%llu records read)\n",
              log_mib, static_cast<unsigned long long>(base_lines),
              static_cast<unsigned long long>(log.delivered),
              static_cast<unsigned long long>(log_messages));
  std::printf("  %-44s %9.1f MB/s\n", "baseline: read() 4 MiB + memchr line count", base_rate);
  std::printf("  %-44s %9.1f MB/s   %5.2fx the baseline's time\n", "read_postfix_logs", log_rate,
              base_rate / log_rate);
  double gzip_mib = static_cast<double>(gzip_content) / (1 << 20);
  double zlib_rate = gzip_mib / median(zlib_s), gzip_rate = gzip_mib / median(gzip_s);
  std::printf(
      "\ngzip log: the first %.1f MB of it (%.1f MB compressed), %llu lines, %llu records\n",
      gzip_mib, static_cast<double>(fs::file_size(gzip_path)) / (1 << 20),
      static_cast<unsigned long long>(gzip_lines), static_cast<unsigned long long>(gzip_messages));
  std::printf("  %-44s %9.1f MB/s\n", "baseline: gzread() 4 MiB + memchr line count", zlib_rate);
  std::printf("  %-44s %9.1f MB/s   %5.2fx the baseline's time\n", "read_postfix_logs", gzip_rate,
              zlib_rate / gzip_rate);
  double mbox_mib = static_cast<double>(mbox_bytes) / (1 << 20);
  std::printf("\nmbox: %d messages, %.1f MB (%d parsed by GMime, %llu records, %.1f MB raw)\n",
              messages, mbox_mib, gmime_messages, static_cast<unsigned long long>(mbox_messages),
              static_cast<double>(mbox_raw) / (1 << 20));
  std::printf("  %-44s %9.2f s  %7.1f MB/s\n", "baseline: GMime parser, GMIME_FORMAT_MBOX",
              median(gmime_s), mbox_mib / median(gmime_s));
  std::printf("  %-44s %9.2f s  %7.1f MB/s   ratio %.2fx GMime's time\n", "read_mbox",
              median(mbox_s), mbox_mib / median(mbox_s), median(mbox_s) / median(gmime_s));
  std::printf("\nthe whole paths (learn: into a new SQLite store; investigate: no history)\n");
  std::printf("  %-44s %9.1f MB/s   %llu messages counted\n", "learn, Postfix log",
              log_mib / median(learn_log_s), static_cast<unsigned long long>(learned_log));
  std::printf("  %-44s %9.1f MB/s   %llu lookalike recipients\n", "investigate, Postfix log",
              log_mib / median(investigate_log_s), static_cast<unsigned long long>(found_log));
  std::printf("  %-44s %9.2f s  ratio %.2fx GMime's time   %llu messages counted\n", "learn, mbox",
              median(learn_mbox_s), median(learn_mbox_s) / median(gmime_s),
              static_cast<unsigned long long>(learned_mbox));
  std::printf("  %-44s %9.2f s  ratio %.2fx GMime's time   %llu lookalike recipients\n",
              "investigate, mbox (and inspecting those)", median(investigate_mbox_s),
              median(investigate_mbox_s) / median(gmime_s),
              static_cast<unsigned long long>(found_mbox));
  bool complete = log_messages == log.delivered &&
                  mbox_messages == static_cast<std::uint64_t>(messages) && found_log > 0 &&
                  found_mbox > 0;
  return complete ? 0 : 1;
}
