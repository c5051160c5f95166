// The gateway's side of learning: the mail it lets through goes into the history in the
// background, a batch at a time, so that recording costs a message nothing but a queue push.
//
// What is queued and not yet written when the process dies (at most about a second of mail)
// is lost from the history, never from the mail flow; `sendguard learn` over the MTA's logs
// fills such gaps, counting nothing twice.
//
// Thread-safety: record() may be called from any number of threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "history/learner.h"

namespace sendguard {

class HistoryRecorder {
 public:
  HistoryRecorder(Store& store, const HistoryKeys& keys, const HistoryConfig& config);
  // Writes what is still queued.
  ~HistoryRecorder();
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  void record(SentMail mail);
  // Writes everything queued so far before returning (tests, shutdown).
  void flush();

 private:
  void run();
  void write(std::vector<SentMail>& mails);

  Store& store_;
  const HistoryKeys& keys_;
  HistoryConfig config_;
  std::mutex mutex_;
  std::condition_variable wake_, written_;
  std::vector<SentMail> queue_;
  std::size_t queued_total_ = 0, written_total_ = 0;
  bool stopping_ = false;
  bool flush_requested_ = false;
  std::thread writer_;
  static constexpr std::size_t kBatch = 1'000;
  static constexpr std::size_t kMaxQueued = 100'000;  // beyond this, mail is not recorded
};

}  // namespace sendguard
