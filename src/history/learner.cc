#include "history/learner.h"

namespace sendguard {

HistoryLearner::HistoryLearner(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                               std::size_t batch_size, std::size_t batch_bytes)
    : store_(store),
      keys_(keys),
      max_together_(static_cast<std::size_t>(config.max_together)),
      batch_size_(batch_size),
      batch_bytes_(batch_bytes) {}

const HistoryBatch::Recipient* HistoryLearner::recipient(const std::string& address) {
  TextPool::Id raw = raw_.intern(address);
  if (raw == normalised_.size()) {
    HistoryBatch::Recipient numbers{HistoryBatch::kEmptyText, HistoryBatch::kEmptyText,
                                    HistoryBatch::kEmptyText};
    if (auto r = keys_.recipient(address, domains_)) {
      numbers = {batch_.intern(r->address), batch_.intern(r->domain), batch_.intern(r->local)};
    }
    normalised_.push_back(numbers);
  }
  const HistoryBatch::Recipient& numbers = normalised_[raw];
  return numbers.address == HistoryBatch::kEmptyText ? nullptr : &numbers;
}

Result<void> HistoryLearner::add(const SentMail& mail) {
  ++counts_.messages;
  HistoryBatch::TextId sender = HistoryBatch::kEmptyText;
  if (!mail.sender.empty()) {
    if (const HistoryBatch::Recipient* s = recipient(mail.sender)) sender = s->address;
  }
  recipients_.clear();
  for (const std::string& address : mail.recipients) {
    if (const HistoryBatch::Recipient* r = recipient(address)) recipients_.push_back(*r);
  }
  if (recipients_.empty()) {
    ++counts_.skipped;
    return {};
  }
  batch_.add(identity_digest(mail.identity), mail.time, sender, recipients_);
  if (batch_.size() >= batch_size_ ||
      batch_.memory_bytes() + raw_.memory_bytes() +
              normalised_.capacity() * sizeof(HistoryBatch::Recipient) >=
          batch_bytes_) {
    return flush();
  }
  return {};
}

Result<void> HistoryLearner::flush() {
  if (batch_.empty()) return {};
  auto counts = store_.import_history(batch_, max_together_);
  batch_.clear();
  raw_.clear();
  normalised_.clear();
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
