// The two readers behind parse_message(), apart so that tests and the differential fuzz
// target can run each alone. Internal to mime/.
//
// read_common_message() reads the common, well-formed shapes of mail (one text or HTML part;
// multipart/alternative of such parts; multipart/mixed of a text body or an alternative and
// attachments) without building GMime's object tree, and declines (nullopt) anything else:
// other nesting, message/rfc822 parts, a boundary missing or doubtful, a header it does not
// fully understand, RFC 2231 or encoded-word parameters, NUL bytes, an unknown encoding or
// charset, a limit nearly reached. What it accepts it must read exactly as
// parse_message_with_gmime() does, field for field: two parsers that disagree about a message
// are a way to hide content from the guard. mime_fast_path_fuzz holds it to that.
//
// Thread-safety: both may run on many threads at once.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "mime/mime.h"

namespace sendguard::mime_internal {

std::optional<ParsedMessage> read_common_message(std::string_view raw, const MimeLimits& limits);

Result<ParsedMessage> parse_message_with_gmime(std::string_view raw, const MimeLimits& limits);

}  // namespace sendguard::mime_internal
