// libpsl, loaded from a Public Suffix List file.
#include <libpsl.h>

#include <filesystem>

#include "address/address.h"

namespace sendguard {

void PublicSuffixList::Deleter::operator()(psl_ctx_st* ctx) const { psl_free(ctx); }

PublicSuffixList::~PublicSuffixList() = default;

Result<PublicSuffixList> PublicSuffixList::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kConfig, "public suffix list " + path +
                                              " not found (Debian package \"publicsuffix\")");
  }
  psl_ctx_st* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr || psl_suffix_count(ctx) < 1000) {
    if (ctx != nullptr) psl_free(ctx);
    return make_error(ErrorCode::kConfig,
                      "public suffix list " + path + " could not be read as a suffix list");
  }
  return PublicSuffixList(ctx);
}

std::string PublicSuffixList::public_suffix(std::string_view ascii_domain) const {
  std::string domain(ascii_domain);
  const char* suffix = psl_unregistrable_domain(ctx_.get(), domain.c_str());
  return suffix != nullptr ? std::string(suffix) : std::string();
}

std::string PublicSuffixList::registrable_domain(std::string_view ascii_domain) const {
  std::string domain(ascii_domain);
  const char* registrable = psl_registrable_domain(ctx_.get(), domain.c_str());
  return registrable != nullptr ? std::string(registrable) : std::string();
}

bool PublicSuffixList::has_known_top_level_domain(std::string_view ascii_domain) const {
  // Not every TLD is listed on its own (".za" is present only as co.za, org.za, ...), so look
  // for any listed suffix the domain ends with, without the implicit "*" rule.
  std::string domain(ascii_domain);
  for (std::size_t start = 0; start != std::string::npos;) {
    if (psl_is_public_suffix2(ctx_.get(), domain.c_str() + start,
                              PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0) {
      return true;
    }
    std::size_t dot = domain.find('.', start);
    start = dot == std::string::npos ? dot : dot + 1;
  }
  return false;
}

}  // namespace sendguard
