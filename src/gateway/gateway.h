// The gateway: what a mail-flow front-end (the milter) asks at each stage of an SMTP
// transaction, answered by the guard, the history's signals and the policy, with every
// decision written to the audit log, every hold to the quarantine index, and the mail it lets
// through to the history. Domains the history has learned count as known from the start. The
// front-end only translates the outcomes into its protocol's actions.
//
// When sendguard cannot decide (the store is unavailable, a stage ran over its time limit, an
// unexpected error), the configured gateway.on_failure applies: tempfail (the MTA keeps the
// mail and retries; fail closed) or accept (fail open). Each such event is logged and counted.
//
// Thread-safety: one Gateway serves every connection; all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "gateway/sender_notice.h"
#include "guard/guard.h"
#include "history/history_keys.h"
#include "history/recorder.h"
#include "history/signals.h"
#include "store/store.h"

namespace sendguard {

struct GatewayCounters {
  std::atomic<std::uint64_t> messages{0};             // end of data reached
  std::atomic<std::uint64_t> recipients_rejected{0};  // at RCPT time
  std::atomic<std::uint64_t> tagged{0}, held{0}, rejected{0}, recipients_dropped{0};
  std::atomic<std::uint64_t> overrides{0};
  std::atomic<std::uint64_t> monitored{0};  // monitor mode: would have acted
  std::atomic<std::uint64_t> failed_open{0}, failed_closed{0};
  // Notices to senders whose recipients were dropped at the end of the message.
  std::atomic<std::uint64_t> sender_notices{0}, sender_notices_failed{0};
};

// What the MTA is told about one recipient at RCPT time.
struct RcptOutcome {
  enum class Verb { kContinue, kReject, kTempfail };
  Verb verb = Verb::kContinue;
  std::string reply;  // reject, tempfail: the text of the reply (no code)
};

// What the MTA is told, and asked to do, at the end of the message.
struct MessageOutcome {
  enum class Verb { kAccept, kReject, kTempfail };
  Verb verb = Verb::kAccept;
  std::string reply;                                             // reject, tempfail
  std::vector<std::pair<std::string, std::string>> add_headers;  // name, value
  std::optional<std::string> new_subject;                        // replaces the Subject
  // Headers to delete: name and 1-based occurrence, last occurrence first so that deleting one
  // never renumbers the next (the sender's override confirmation is not for the recipients).
  std::vector<std::pair<std::string, int>> remove_headers;
  std::vector<std::string> remove_recipients;    // as the MTA gave them
  std::optional<std::string> quarantine_reason;  // hold: in the MTA's hold queue
  std::string quarantine_id;                     // the store's id for it
};

// One SMTP transaction as the front-end saw it.
struct Transaction {
  std::string queue_id;
  std::string sender;                   // MAIL FROM, as given (angle brackets allowed)
  std::string auth_user;                // {auth_authen}
  std::vector<std::string> recipients;  // RCPT TO accepted so far, as given
};

class Gateway {
 public:
  // Builds the guard and opens the store (migrating its schema). `extra_known_files` are the
  // --known-domains files; `state_dir` overrides gateway.state_dir when not empty.
  static Result<std::unique_ptr<Gateway>> open(const Config& config,
                                               const std::vector<std::string>& extra_known_files,
                                               const std::string& state_dir);

  // As open(), with a store the caller opened (several gateways may share one database).
  static Result<std::unique_ptr<Gateway>> open_with_store(
      const Config& config, const std::vector<std::string>& extra_known_files,
      std::unique_ptr<Store> store);

  RcptOutcome on_recipient(const Transaction& transaction, std::string_view recipient);
  // on_recipient()'s answer when it is an acceptance, which needs neither the store nor the
  // audit log: the recipient check and the policy's RCPT rules, in memory. std::nullopt when
  // the recipient is refused or dropped, or the check ran over gateway.rcpt_time_limit_ms:
  // on_recipient() then decides it in full.
  std::optional<RcptOutcome> quick_recipient(const Transaction& transaction,
                                             std::string_view recipient) const;
  MessageOutcome on_message(const Transaction& transaction, std::string_view raw_message);

  const GatewayCounters& counters() const { return counters_; }
  const GatewayConfig& config() const { return config_; }
  Store& store() { return *store_; }
  // Writes the history still queued (tests; the destructor does it too).
  void flush_history();
  // Waits until the sender notices queued so far were sent or failed (tests).
  void flush_notices();

 private:
  Gateway() = default;
  bool record_failure(const Transaction& transaction, std::string_view stage,
                      const std::string& why, std::string_view when_open,
                      std::string_view when_closed);
  RcptOutcome fail_rcpt(const Transaction& transaction, const std::string& why);
  MessageOutcome fail_message(const Transaction& transaction, const std::string& why);
  MessageOutcome apply(const Transaction& transaction, const Evaluation& evaluation);
  void record_delivery(const Transaction& transaction, const Evaluation& evaluation,
                       const MessageOutcome& outcome);
  void notify_sender(const Transaction& transaction, const Evaluation& evaluation,
                     const std::vector<DroppedRecipient>& dropped);
  std::vector<DroppedRecipient> drop_recipients(const Transaction& transaction,
                                                const Decision& decision,
                                                MessageOutcome& outcome);

  GatewayConfig config_;
  std::string node_;
  std::shared_ptr<const Guard> guard_;
  // In this order: members are destroyed in reverse, so the recorder writes its last batch
  // while the keys and the store are still there.
  std::unique_ptr<Store> store_;
  std::unique_ptr<HistoryKeys> history_keys_;
  std::unique_ptr<HistorySignals> signals_;
  std::unique_ptr<HistoryRecorder> recorder_;  // none when history.record is false
  GatewayCounters counters_;
  // After the counters, which it counts in: destroyed first, once its last notice went out.
  std::unique_ptr<SenderNotifier> notifier_;  // none when gateway.sender_notice_command is empty
};

// The state directory a command uses: --state-dir when given, else gateway.state_dir.
std::string effective_state_dir(const Config& config, const std::string& state_dir_option);
// Opens the store the configuration names (creating the state directory for SQLite).
Result<std::unique_ptr<Store>> open_configured_store(const Config& config,
                                                     const std::string& state_dir);

}  // namespace sendguard
