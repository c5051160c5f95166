// Building a LookalikeIndex from a Config: the glue every front-end shares.
#include "lookalike/lookalike.h"

namespace sendguard {

Result<LookalikeOptions> lookalike_options(const Config& config,
                                           const std::vector<std::string>& extra_known_files) {
  LookalikeOptions options;
  const RecipientConfig& r = config.recipients;
  options.known_domains = r.known_domains;
  std::vector<std::string> files = r.known_domains_files;
  files.insert(files.end(), extra_known_files.begin(), extra_known_files.end());
  for (const std::string& file : files) {
    auto list = read_domain_list(file);
    if (!list) return std::unexpected(list.error());
    options.known_domains.insert(options.known_domains.end(), list->begin(), list->end());
  }
  options.trusted_suffixes = r.trusted_suffixes;
  options.sister_groups = r.sister_groups;
  if (r.mail_providers_file.empty()) {
    options.mail_providers = embedded_mail_providers();
  } else {
    auto providers = read_domain_list(r.mail_providers_file);
    if (!providers) return std::unexpected(providers.error());
    options.mail_providers = std::move(*providers);
  }
  return options;
}

Result<std::shared_ptr<const LookalikeIndex>> build_lookalike_index(
    const Config& config, const std::vector<std::string>& extra_known_files) {
  auto suffixes = PublicSuffixList::load(config.public_suffix_list);
  if (!suffixes) return std::unexpected(suffixes.error());
  auto options = lookalike_options(config, extra_known_files);
  if (!options) return std::unexpected(options.error());
  auto index = LookalikeIndex::build(
      *options, std::make_shared<const PublicSuffixList>(std::move(*suffixes)));
  if (!index) {
    return make_error(index.error().code, config.source + ": " + index.error().message);
  }
  return index;
}

}  // namespace sendguard
