#include "history/history_keys.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace sendguard {
namespace {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  return out;
}

std::string_view strip_angle_brackets(std::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  return address;
}

}  // namespace

HistoryKeys::HistoryKeys(std::shared_ptr<const PublicSuffixList> suffixes)
    : suffixes_(std::move(suffixes)) {}

Result<HistoryKeys> HistoryKeys::open(std::shared_ptr<const PublicSuffixList> suffixes,
                                      const std::string& key_file) {
  HistoryKeys keys(std::move(suffixes));
  if (key_file.empty()) return keys;
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return make_error(ErrorCode::kConfig, "cannot read history.hash_key_file " + key_file);
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < 16) {
    return make_error(ErrorCode::kConfig,
                      "history.hash_key_file " + key_file +
                          " holds fewer than 16 bytes: a short key makes the hashes guessable "
                          "(create one with: head -c 32 /dev/urandom | base64 > FILE)");
  }
  keys.secret_ = std::move(secret);
  return keys;
}

std::string HistoryKeys::hide(std::string_view plain) const {
  if (secret_.empty()) return std::string(plain);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  // 128 bits: collisions stay out of reach for any mail volume, and keys stay short.
  for (unsigned int i = 0; i < 16 && i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string HistoryKeys::organisation_domain(std::string_view ascii_domain) const {
  if (!suffixes_ || ascii_domain.starts_with('[')) return std::string(ascii_domain);
  std::string registrable = suffixes_->registrable_domain(ascii_domain);
  return registrable.empty() ? std::string(ascii_domain) : registrable;
}

std::optional<HistoryRecipient> HistoryKeys::recipient(std::string_view address) const {
  auto mailbox = parse_mailbox(strip_angle_brackets(address));
  if (!mailbox) return std::nullopt;
  return recipient_of(*mailbox, organisation_domain(mailbox->domain.ascii));
}

std::optional<HistoryRecipient> HistoryKeys::recipient(std::string_view address,
                                                       DomainMemo& memo) const {
  const std::string* organisation = nullptr;
  auto mailbox = parse_mailbox(strip_angle_brackets(address), [&](std::string_view written) {
    const DomainMemo::Entry& entry =
        memo.find_or_add(written, [&](std::string_view text) -> DomainMemo::Entry {
          auto domain = normalize_domain(text);
          if (!domain) return {std::move(domain), {}};
          std::string registrable = organisation_domain(domain->ascii);
          return {std::move(domain), std::move(registrable)};
        });
    organisation = &entry.organisation;
    return entry.domain;
  });
  if (!mailbox) return std::nullopt;
  // An address literal is not looked up in the memo: its organisation is itself.
  return recipient_of(*mailbox, mailbox->is_address_literal || !organisation
                                    ? organisation_domain(mailbox->domain.ascii)
                                    : *organisation);
}

HistoryRecipient HistoryKeys::recipient_of(const Mailbox& mailbox,
                                           std::string organisation) const {
  // Local parts are case-sensitive on paper and never in practice: Bob@ and bob@ are one person.
  std::string local = lower_ascii(mailbox.local_part);
  return HistoryRecipient{hide(local + "@" + mailbox.domain.ascii), std::move(organisation),
                          hide(local)};
}

const DomainMemo::Entry& DomainMemo::find_or_add(
    std::string_view written, const std::function<Entry(std::string_view)>& normalize) {
  auto it = entries_.find(written);
  if (it != entries_.end()) return it->second;
  if (entries_.size() >= kLimit) entries_.clear();
  return entries_.emplace(std::string(written), normalize(written)).first->second;
}

std::string HistoryKeys::sender(std::string_view address) const {
  auto r = recipient(address);
  return r ? r->address : std::string();
}

std::uint64_t identity_digest(std::string_view identity) {
  // FNV-1a, then a murmur-style finaliser so that similar identities (queue ids a letter
  // apart) spread over all 64 bits.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : identity) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace sendguard
