// Telling a sender that a recipient was removed from their message. At RCPT time the 550 reply
// tells them; at the end of the message (content rules) the milter can only remove the
// recipient, so the sender gets a short plain-text notice instead: which recipient, the rule,
// the reason, which message, and what to do. It goes out through the local MTA's submission
// command (Postfix's sendmail), from the null sender and marked Auto-Submitted, so that it can
// neither bounce back nor set off an auto-reply loop; and none is sent for mail from the null
// sender or for mail that is itself automatic.
//
// Sending happens on a background thread: the message the notice is about is never held up
// or put at risk by it. A notice that cannot be sent is logged and counted.
//
// Thread-safety: SenderNotifier::send may be called from any number of threads at once; the
// free functions are pure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sendguard {

struct DroppedRecipient {
  std::string address;  // bare address
  std::string rule;     // the rule that removed it
  std::string reason;   // the policy's explanation for the sender; may be empty
};

struct SenderNotice {
  std::string sender;      // the original message's envelope sender, bare
  std::string subject;     // the original message's Subject, decoded
  std::string message_id;  // the original message's Message-ID, as written
  std::string queue_id;    // the MTA's queue id of the original message
  std::vector<DroppedRecipient> dropped;
};

// Why no notice may go to this sender about this message, or none when one may: the null
// sender (bounces), a mailer-daemon, mail marked Auto-Submitted (other than "no") or
// Precedence bulk, junk or list, and sender addresses that cannot be written into a header.
// `headers` are the original message's (name, decoded value).
std::optional<std::string> notice_refusal(
    std::string_view sender, const std::vector<std::pair<std::string, std::string>>& headers);

// The notice as a complete message for `sendmail -t` (LF line ends, UTF-8 body): From `from`,
// To the sender, Auto-Submitted: auto-replied, In-Reply-To the original's Message-ID.
std::string compose_sender_notice(const SenderNotice& notice, std::string_view from,
                                  std::chrono::system_clock::time_point now);

struct SenderNotifierOptions {
  // The submission command, without a shell; the notice is written to its standard input.
  // It must read the recipient from the To header and use the null sender, e.g.
  // {"/usr/sbin/sendmail", "-t", "-oi", "-f", "<>"}. Empty: no notices are sent.
  std::vector<std::string> command;
  std::string from = "postmaster";               // the notice's From header
  std::chrono::milliseconds time_limit{30'000};  // per run of the command; then it is killed
  std::size_t max_pending = 1000;  // notices waiting beyond this are dropped (and counted)
};

class SenderNotifier {
 public:
  // `sent` and `failed` are counted as notices leave or fail (the gateway's counters).
  SenderNotifier(SenderNotifierOptions options, std::atomic<std::uint64_t>& sent,
                 std::atomic<std::uint64_t>& failed);
  // Sends what is still queued (each within its time limit), then stops.
  ~SenderNotifier();
  SenderNotifier(const SenderNotifier&) = delete;
  SenderNotifier& operator=(const SenderNotifier&) = delete;

  // Queues a notice and returns at once.
  void send(SenderNotice notice);
  // Waits until every notice queued so far was sent or failed (tests).
  void flush();

 private:
  void run();
  void deliver(const SenderNotice& notice);

  SenderNotifierOptions options_;
  std::atomic<std::uint64_t>& sent_;
  std::atomic<std::uint64_t>& failed_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<SenderNotice> pending_;
  bool busy_ = false, stopping_ = false;
  std::thread worker_;
};

}  // namespace sendguard
