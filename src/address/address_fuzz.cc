// libFuzzer target: the address parser, the domain normaliser and the lookalike classifier must
// survive any bytes without crashing, hanging or tripping a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "address/address.h"
#include "lookalike/lookalike.h"

namespace {

const sendguard::LookalikeIndex& index_for_fuzzing() {
  static const std::shared_ptr<const sendguard::LookalikeIndex> index = [] {
    auto psl = sendguard::PublicSuffixList::load(sendguard::PublicSuffixList::kDefaultPath);
    if (!psl) std::abort();
    sendguard::LookalikeOptions options;
    options.known_domains = {"army.mil", "lloydsbank.co.uk", "aol.com", "nhs.uk",
                             "northropgrumman.com", "mail.navy.mil", "bücher.de"};
    options.mail_providers = {"gmail.com", "ymail.com"};
    auto built = sendguard::LookalikeIndex::build(
        options, std::make_shared<const sendguard::PublicSuffixList>(std::move(*psl)));
    if (!built) std::abort();
    return *built;
  }();
  return *index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto mailbox = sendguard::parse_mailbox(input);
  if (mailbox && !mailbox->domain.ascii.empty() && !mailbox->is_address_literal) {
    // A normalised domain is a fixed point of normalisation.
    auto again = sendguard::normalize_domain(mailbox->domain.ascii);
    if (!again || again->ascii != mailbox->domain.ascii) std::abort();
  }
  (void)sendguard::normalize_domain(input);
  sendguard::RecipientVerdict verdict = index_for_fuzzing().check_address(input);
  if (verdict.explanation.empty()) std::abort();
  return 0;
}
