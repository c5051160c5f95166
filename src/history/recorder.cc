#include "history/recorder.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace sendguard {

HistoryRecorder::HistoryRecorder(Store& store, const HistoryKeys& keys, const HistoryConfig& config)
    : store_(store), keys_(keys), config_(config), writer_([this] { run(); }) {}

HistoryRecorder::~HistoryRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void HistoryRecorder::record(SentMail mail) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      // The store has not kept up for a long while; the mail flow must not wait for it.
      spdlog::warn("history: {} messages waiting to be recorded; not recording {}", queue_.size(),
                   mail.queue_id.empty() ? "-" : mail.queue_id);
      return;
    }
    queue_.push_back(std::move(mail));
    ++queued_total_;
    if (queue_.size() < kBatch) return;
  }
  wake_.notify_one();
}

void HistoryRecorder::flush() {
  std::unique_lock lock(mutex_);
  std::size_t target = queued_total_;
  flush_requested_ = true;
  wake_.notify_one();
  written_.wait(lock, [&] { return written_total_ >= target; });
}

void HistoryRecorder::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    // A second's worth in one transaction, or a full batch; at once when asked to stop or
    // flush.
    wake_.wait_for(lock, std::chrono::seconds(1),
                   [&] { return stopping_ || flush_requested_ || queue_.size() >= kBatch; });
    flush_requested_ = false;
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::vector<SentMail> batch;
    batch.swap(queue_);
    lock.unlock();
    write(batch);
    lock.lock();
    written_total_ += batch.size();
    written_.notify_all();
  }
}

void HistoryRecorder::write(std::vector<SentMail>& mails) {
  HistoryLearner learner(store_, keys_, config_, mails.size() + 1);
  for (const SentMail& m : mails) {
    if (auto ok = learner.add(m); !ok) {
      spdlog::error("history: cannot record {} messages: {}", mails.size(), ok.error().message);
      return;
    }
  }
  if (auto done = learner.finish(); !done) {
    spdlog::error("history: cannot record {} messages: {}", mails.size(), done.error().message);
  }
}

}  // namespace sendguard
