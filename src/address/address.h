// Recipient addresses: parsing RFC 5321/5322 mailboxes and normalising their domains.
//
// Everything that comes from a user or an MTA is untrusted: parse_mailbox() accepts at most
// kMaxAddressBytes, never throws, and explains every rejection in words a sender understands.
// Domains are normalised with libidn2 (UTS #46, non-transitional, NFC) to the canonical
// lower-case A-label form, so that fullwidth letters, soft hyphens and case differences all
// compare equal. PublicSuffixList wraps libpsl loaded from the system list file.
//
// Thread-safety: the free functions are reentrant; a loaded PublicSuffixList is immutable and
// may be shared by any number of threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

struct psl_ctx_st;

namespace sendguard {

inline constexpr std::size_t kMaxAddressBytes = 1024;  // far above RFC 5321's 256-octet path
inline constexpr std::size_t kMaxLocalPartBytes = 64;  // RFC 5321 section 4.5.3.1.1
inline constexpr std::size_t kMaxDomainBytes = 253;    // RFC 1035, without the trailing dot
inline constexpr std::size_t kMaxLabelBytes = 63;      // RFC 1035

struct Domain {
  std::string ascii;    // canonical form: lower case, A-labels, no trailing dot ("xn--...")
  std::string unicode;  // the same domain with U-labels, for showing to people
};

struct Mailbox {
  std::string display_name;  // the phrase before "<...>", unquoted; empty when absent
  std::string local_part;    // as written (a quoted local part keeps its quotes)
  Domain domain;             // for an address literal, ascii == unicode == "[192.0.2.1]"
  bool is_address_literal = false;
};

// Parses `Name <local@domain>`, `<local@domain>` or bare `local@domain`.
Result<Mailbox> parse_mailbox(std::string_view input);
// The same, with the domain normalised by `normalize` instead of normalize_domain(): a bulk job
// that meets the same few thousand domains in millions of addresses puts a memo of
// normalize_domain() there.
using DomainNormalizer = std::function<Result<Domain>(std::string_view)>;
Result<Mailbox> parse_mailbox(std::string_view input, const DomainNormalizer& normalize);

// Normalises a domain name (U-labels or A-labels, any case, optional trailing dot).
Result<Domain> normalize_domain(std::string_view input);

// The Public Suffix List, from a file (Debian's `publicsuffix` package by default) rather than
// libpsl's built-in copy, which is as old as the library build.
//
// The rules are also read into a hash table of our own and ASCII domains are answered from it,
// with libpsl's algorithm (the longest matching rule, wildcards and exceptions, the implicit
// "*" rule): libpsl copies each domain and searches a sorted rule list, once per label, and the
// lookalike index asks for every recipient. libpsl still answers for anything else.
class PublicSuffixList {
 public:
  static constexpr const char* kDefaultPath = "/usr/share/publicsuffix/public_suffix_list.dat";

  static Result<PublicSuffixList> load(const std::string& path);

  PublicSuffixList(PublicSuffixList&&) noexcept;
  PublicSuffixList& operator=(PublicSuffixList&&) noexcept;
  ~PublicSuffixList();

  // The public suffix of an ASCII domain ("co.uk" for "a.b.co.uk"). A domain whose last label
  // is not on the list yields that last label (the list's implicit "*" rule).
  std::string public_suffix(std::string_view ascii_domain) const;

  // The registrable domain ("b.co.uk" for "a.b.co.uk"); empty when the domain is itself a
  // public suffix.
  std::string registrable_domain(std::string_view ascii_domain) const;

  // public_suffix() as a view into `ascii_domain`, without allocating.
  std::string_view public_suffix_view(std::string_view ascii_domain) const;

  // Whether `ascii_domain` ends in a suffix on the list, i.e. its top-level domain exists
  // (".comm" and the retired ".yu" do not).
  bool has_known_top_level_domain(std::string_view ascii_domain) const;

 private:
  struct Deleter {
    void operator()(psl_ctx_st* ctx) const;
  };
  struct Rules;
  PublicSuffixList(psl_ctx_st* ctx, std::unique_ptr<const Rules> rules);
  // Whether the rules make `domain` a public suffix; `star_rule`: a single label is one.
  bool is_public_suffix(std::string_view domain, bool star_rule) const;
  // The public suffix of a plain ASCII domain, and its registrable domain when asked for.
  std::string_view plain_public_suffix(std::string_view ascii_domain,
                                       std::string_view* registrable) const;
  std::unique_ptr<psl_ctx_st, Deleter> ctx_;
  std::unique_ptr<const Rules> rules_;
};

}  // namespace sendguard
