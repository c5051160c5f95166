// How the history names what it counts: a recipient's normalised address, its registrable
// domain and its local part; a sender; a message's identity. With a key file, addresses and
// local parts become keyed hashes (HMAC-SHA256, 128 bits in hex), so that the history holds no
// plain address while equal addresses still meet. Domains stay plain: learning known domains
// needs them, and a domain names an organisation, not a person.
//
// Thread-safety: immutable after construction; any number of threads may use one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "address/address.h"
#include "core/error.h"
#include "core/string_hash.h"
#include "store/store.h"

namespace sendguard {

// Domains normalised once for one bulk job (learning), by their text as the source wrote them:
// a log names a few thousand domains in a million addresses, and IDNA and the Public Suffix
// List are most of the cost of normalising an address. One thread's; bounded, so that a
// hostile log cannot grow it without end.
class DomainMemo {
 public:
  struct Entry {
    Result<Domain> domain;
    std::string organisation;  // its registrable domain; empty when `domain` is an error
  };
  const Entry& find_or_add(std::string_view written,
                           const std::function<Entry(std::string_view)>& normalize);

 private:
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries_;
  static constexpr std::size_t kLimit = 200'000;
};

class HistoryKeys {
 public:
  // Plain keys.
  explicit HistoryKeys(std::shared_ptr<const PublicSuffixList> suffixes);
  // Keyed hashes with the secret in `key_file` (at least 16 bytes; a final newline is not part
  // of the key). An empty path gives plain keys.
  static Result<HistoryKeys> open(std::shared_ptr<const PublicSuffixList> suffixes,
                                  const std::string& key_file);

  // The recipient as the history keeps it, from an address as a source gives it ("Bob
  // <Bob@Army.MIL>", "<bob@army.mil>", "bob@army.mil"); none when it is not an address.
  std::optional<HistoryRecipient> recipient(std::string_view address) const;
  // The same, with the domain looked up in `memo` first.
  std::optional<HistoryRecipient> recipient(std::string_view address, DomainMemo& memo) const;
  // The sender's key; empty for the null sender ("<>") and for text that is not an address.
  std::string sender(std::string_view address) const;
  // The registrable domain ("army.mil" for "hq.army.mil") of a normalised ASCII domain, or
  // the domain itself when it has none.
  std::string organisation_domain(std::string_view ascii_domain) const;
  // The key of a plain local part or address, as recipient() computes it.
  std::string hide(std::string_view plain) const;

  bool hashed() const { return !secret_.empty(); }

 private:
  HistoryRecipient recipient_of(const Mailbox& mailbox, std::string organisation) const;

  std::shared_ptr<const PublicSuffixList> suffixes_;
  std::string secret_;
};

// A stable 64-bit digest of a source's message identity (SentMail::identity).
std::uint64_t identity_digest(std::string_view identity);

}  // namespace sendguard
