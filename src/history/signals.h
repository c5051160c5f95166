// The history's signals about the recipients of one message, as findings the policy can name
// (where = "recipient:<address>", so that a rule acts on that recipient alone):
//   recipient.first-time-domain     nobody in the organisation has written to the recipient's
//                                   domain before (medium)
//   recipient.first-time-for-sender the sender has not written to this address before (low; medium
//                                   when nobody in the organisation has)
//   recipient.unusual-group         the recipient does not fit the sender's usual correspondents:
//                                   the same name at another domain the sender writes to (high:
//                                   the classic wrong-autocomplete slip), or a stranger added to
//                                   recipients the sender often addresses together (medium)
// Each finding's excerpt quotes the evidence ("you have written 12 messages to
// john.smith@army.mil and none to john.smith@gmail.com"). The signals stay silent until the
// history holds history.signals_after_messages messages.
//
// Thread-safety: any number of threads may share one HistorySignals.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"
#include "core/config.h"
#include "core/error.h"
#include "history/history_keys.h"
#include "lookalike/lookalike.h"
#include "store/store.h"

namespace sendguard {

class HistorySignals {
 public:
  HistorySignals(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                 std::vector<std::string> internal_domains);

  // Findings about `recipients` of a message from `sender` (an address as given).
  Result<std::vector<Finding>> for_message(std::string_view sender,
                                           const std::vector<RecipientVerdict>& recipients);

  // For a lookalike recipient: "You have sent 143 messages to army.mil and none to army.ml."
  // Empty when the history has nothing to say.
  Result<std::string> lookalike_evidence(const RecipientVerdict& recipient);

 private:
  Result<bool> history_is_large_enough();
  bool internal(std::string_view domain) const;

  Store& store_;
  const HistoryKeys& keys_;
  HistoryConfig config_;
  std::vector<std::string> internal_domains_;
  // The history's size, read at most once a minute: counting on every message would cost
  // more than the signals themselves.
  std::mutex size_mutex_;
  std::int64_t known_messages_ = -1;
  std::chrono::steady_clock::time_point size_checked_;
};

}  // namespace sendguard
