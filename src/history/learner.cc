#include "history/learner.h"

namespace sendguard {

HistoryLearner::HistoryLearner(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                               std::size_t batch_size)
    : store_(store),
      keys_(keys),
      max_together_(static_cast<std::size_t>(config.max_together)),
      batch_size_(batch_size) {}

const HistoryRecipient* HistoryLearner::recipient(const std::string& address) {
  auto it = cache_.find(address);
  if (it == cache_.end()) {
    if (cache_.size() >= kCacheLimit) cache_.clear();
    it = cache_.emplace(address, keys_.recipient(address)).first;
  }
  return it->second ? &*it->second : nullptr;
}

Result<void> HistoryLearner::add(const SentMail& mail) {
  ++counts_.messages;
  HistoryMessage message;
  message.identity = identity_digest(mail.identity);
  message.time = mail.time;
  if (!mail.sender.empty()) {
    const HistoryRecipient* sender = recipient(mail.sender);
    if (sender) message.sender = sender->address;
  }
  for (const std::string& address : mail.recipients) {
    if (const HistoryRecipient* r = recipient(address)) message.recipients.push_back(*r);
  }
  if (message.recipients.empty()) {
    ++counts_.skipped;
    return {};
  }
  batch_.push_back(std::move(message));
  if (batch_.size() >= batch_size_) return flush();
  return {};
}

Result<void> HistoryLearner::flush() {
  if (batch_.empty()) return {};
  auto counts = store_.import_history(batch_, max_together_);
  batch_.clear();
  if (!counts) return std::unexpected(counts.error());
  counts_.added += counts->added;
  counts_.already_known += counts->already_known;
  return {};
}

Result<LearnCounts> HistoryLearner::finish() {
  if (auto ok = flush(); !ok) return std::unexpected(ok.error());
  return counts_;
}

Result<SourcesLearned> learn_sources(Store& store, const HistoryKeys& keys,
                                     const HistoryConfig& config,
                                     const std::vector<std::filesystem::path>& sources,
                                     MailSourceOptions options, const MailProgress& progress) {
  options.archive.keep_bodies = false;
  HistoryLearner learner(store, keys, config);
  std::optional<Error> failure;
  auto read = read_mail_sources(
      sources, options,
      [&](SentMail&& mail) {
        if (failure) return;
        if (auto ok = learner.add(mail); !ok) failure = ok.error();
      },
      progress);
  // Written before any failure is reported: what was read stays counted.
  auto counts = learner.finish();
  if (failure) return std::unexpected(*failure);
  if (!read) return std::unexpected(read.error());
  if (!counts) return std::unexpected(counts.error());
  return SourcesLearned{*read, *counts};
}

}  // namespace sendguard
