// Files compiled into the binary so that it runs with no installed data (core internal).
#pragma once

#include <string_view>

namespace sendguard::embedded {

std::string_view default_config();    // config/sendguard.yaml
std::string_view mail_providers();    // data/mail-providers.txt

}  // namespace sendguard::embedded
