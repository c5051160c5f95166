#include "gateway/sender_notice.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <cstdio>
#include <ctime>

#include "gateway/run_program.h"
#include "mime/mime.h"

namespace sendguard {
namespace {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::string_view trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Text from the original message (decoded, so possibly with line breaks a sender smuggled into
// encoded words) on one line of at most `limit` bytes, cut at a character boundary.
std::string one_line(std::string_view text, std::size_t limit = 200) {
  std::string out;
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  if (out.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return std::string(trim(out));
}

// RFC 5322 date in UTC; names spelled out so that the locale cannot change them.
std::string rfc5322_date(std::chrono::system_clock::time_point now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buffer;
}

// An address that can stand in "To: <address>" as it is: no space, control character or
// anything that would end or extend the header or the angle brackets.
bool writable_in_header(std::string_view address) {
  if (address.empty() || address.size() > 320) return false;
  for (unsigned char c : address) {
    if (c <= 0x20 || c == 0x7f ||
        std::string_view("<>(),;:\"\\[]").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> notice_refusal(
    std::string_view sender, const std::vector<std::pair<std::string, std::string>>& headers) {
  if (sender.empty() || sender == "<>") return "the message has the null sender (a bounce)";
  std::string_view local = sender.substr(0, sender.rfind('@'));
  if (ascii_lower(local) == "mailer-daemon") return "the message comes from a mailer-daemon";
  // RFC 3834: nothing automatic answers automatic mail.
  for (const auto& [name, value] : headers) {
    std::string v = ascii_lower(trim(value));
    if (strcasecmp(name.c_str(), "Auto-Submitted") == 0) {
      std::string_view keyword = trim(std::string_view(v).substr(0, v.find(';')));
      if (keyword != "no") return "the message is itself automatic (Auto-Submitted: " + v + ")";
    }
    if (strcasecmp(name.c_str(), "Precedence") == 0 &&
        (v == "bulk" || v == "junk" || v == "list")) {
      return "the message is bulk or list mail (Precedence: " + v + ")";
    }
  }
  if (!writable_in_header(sender)) return "the sender address cannot be written into a header";
  return std::nullopt;
}

std::string compose_sender_notice(const SenderNotice& notice, std::string_view from,
                                  std::chrono::system_clock::time_point now) {
  std::string subject = one_line(notice.subject);
  std::string message_id = one_line(notice.message_id, 300);
  std::string notice_subject =
      notice.dropped.size() == 1
          ? "Not delivered to " + one_line(notice.dropped[0].address, 320)
          : "Not delivered to " + std::to_string(notice.dropped.size()) + " recipients";
  if (!subject.empty()) notice_subject += ": " + subject;

  std::string out;
  out += "From: " + one_line(from, 320) + "\n";
  out += "To: <" + notice.sender + ">\n";
  out += "Subject: " + encode_header_text(notice_subject) + "\n";
  out += "Date: " + rfc5322_date(now) + "\n";
  // Auto-Submitted keeps auto-responders (and sendguard itself) from answering the notice.
  out += "Auto-Submitted: auto-replied\n";
  out += "X-Sendguard-Notice: drop-recipient\n";
  // A message id in angle brackets with nothing else is what threading expects.
  if (message_id.size() > 2 && message_id.front() == '<' && message_id.back() == '>' &&
      message_id.find(' ') == std::string::npos) {
    out += "In-Reply-To: " + message_id + "\n";
    out += "References: " + message_id + "\n";
  }
  out += "MIME-Version: 1.0\n";
  out += "Content-Type: text/plain; charset=utf-8\n";
  out += "Content-Transfer-Encoding: 8bit\n";
  out += "\n";

  bool one = notice.dropped.size() == 1;
  out += one ? "Your message was not delivered to this recipient:\n\n"
             : "Your message was not delivered to these recipients:\n\n";
  for (const DroppedRecipient& d : notice.dropped) {
    std::string reason = one_line(d.reason, 600);
    out += "    " + one_line(d.address, 320) + "\n";
    out += "    Why:  " +
           (reason.empty() ? "your organisation's mail policy does not allow this message to go "
                             "to this recipient."
                           : reason) +
           "\n";
    out += "    Rule: " + one_line(d.rule) + "\n\n";
  }
  out += "It was delivered to its other recipients as usual.\n\n";
  out += "Your message:\n";
  out += "    Subject:    " + (subject.empty() ? std::string("(none)") : subject) + "\n";
  if (!message_id.empty()) out += "    Message-ID: " + message_id + "\n";
  if (!notice.queue_id.empty()) out += "    Queue id:   " + one_line(notice.queue_id) + "\n";
  out += "\n";
  out += "What to do: check the address. If it is right and the message must reach ";
  out += one ? "this recipient" : "these recipients";
  out +=
      ", ask your mail administrator, quoting the rule and the Message-ID above. Sending "
      "the same message again would have the same result.\n\n";
  out +=
      "This notice was sent automatically by sendguard, the guard on your organisation's "
      "outgoing mail; replies to it are not read.\n";
  return out;
}

SenderNotifier::SenderNotifier(SenderNotifierOptions options, std::atomic<std::uint64_t>& sent,
                               std::atomic<std::uint64_t>& failed)
    : options_(std::move(options)), sent_(sent), failed_(failed) {
  worker_ = std::thread([this] { run(); });
}

SenderNotifier::~SenderNotifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void SenderNotifier::send(SenderNotice notice) {
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() < options_.max_pending) {
      pending_.push_back(std::move(notice));
      wake_.notify_one();
      return;
    }
  }
  std::uint64_t n = failed_.fetch_add(1) + 1;
  spdlog::warn("{}: sender notice not sent: {} notices are already waiting (failure #{})",
               notice.queue_id.empty() ? "-" : notice.queue_id, options_.max_pending, n);
}

void SenderNotifier::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return pending_.empty() && !busy_; });
}

void SenderNotifier::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing left to send
    SenderNotice notice = std::move(pending_.front());
    pending_.pop_front();
    busy_ = true;
    lock.unlock();
    deliver(notice);
    lock.lock();
    busy_ = false;
    idle_.notify_all();
  }
}

void SenderNotifier::deliver(const SenderNotice& notice) {
  std::string queue_id = notice.queue_id.empty() ? "-" : notice.queue_id;
  std::string text = compose_sender_notice(notice, options_.from, std::chrono::system_clock::now());
  auto ran = run_program(options_.command, text, options_.time_limit);
  std::string why;
  if (!ran) {
    why = ran.error().message;
  } else if (ran->timed_out) {
    why = options_.command[0] + " ran over its time limit and was stopped";
  } else if (ran->status != 0) {
    why = options_.command[0] + " exited with status " + std::to_string(ran->status) + ": " +
          one_line(ran->output, 300);
  }
  if (!why.empty()) {
    std::uint64_t n = failed_.fetch_add(1) + 1;
    spdlog::warn(
        "{}: could not tell the sender that {} recipient(s) were removed: {} (failure #{})",
        queue_id, notice.dropped.size(), why, n);
    return;
  }
  sent_.fetch_add(1);
  spdlog::info("{}: told the sender that {} recipient(s) were removed", queue_id,
               notice.dropped.size());
}

}  // namespace sendguard
