#include "lookalike/confusables.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

namespace sendguard::lookalike_internal {
namespace {

// Lookalikes whose UTS #39 skeleton is not an ASCII letter (kra, dotless i, ...).
struct Extra {
  UChar32 code_point;
  const char* imitates;
};
constexpr Extra kExtraLookalikes[] = {
    {0x0138, "k"},  // LATIN SMALL LETTER KRA; also the skeleton of Greek kappa
    {0x0131, "i"},  // LATIN SMALL LETTER DOTLESS I
    {0x0237, "j"},  // LATIN SMALL LETTER DOTLESS J
    {0x03BA, "k"},  // GREEK SMALL LETTER KAPPA
    {0x0432, "b"},  // CYRILLIC SMALL LETTER VE (small capital B)
    {0x043D, "h"},  // CYRILLIC SMALL LETTER EN (small capital H)
    {0x0442, "t"},  // CYRILLIC SMALL LETTER TE (small capital T)
    {0x043C, "m"},  // CYRILLIC SMALL LETTER EM (small capital M)
};

bool is_ascii_label_text(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string to_utf8(UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, U8_MAX_LENGTH, c, error);
  return error ? std::string() : std::string(buf, static_cast<std::size_t>(len));
}

}  // namespace

void ConfusableFolder::Closer::operator()(USpoofChecker* checker) const { uspoof_close(checker); }

Result<ConfusableFolder> ConfusableFolder::create() {
  UErrorCode status = U_ZERO_ERROR;
  USpoofChecker* checker = uspoof_open(&status);
  if (U_FAILURE(status)) {
    return make_error(ErrorCode::kInternal,
                      std::string("ICU spoof checker unavailable: ") + u_errorName(status));
  }
  ConfusableFolder folder;
  folder.checker_ = std::shared_ptr<USpoofChecker>(checker, Closer{});
  return folder;
}

FoldedDomain ConfusableFolder::fold(std::string_view unicode_domain) const {
  FoldedDomain result;
  const auto* s = reinterpret_cast<const uint8_t*>(unicode_domain.data());
  int32_t length = static_cast<int32_t>(unicode_domain.size());
  int32_t i = 0;
  while (i < length) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c >= 0 && c < 0x80) {
      result.ascii += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    std::string shown(unicode_domain.substr(static_cast<std::size_t>(start),
                                            static_cast<std::size_t>(i - start)));
    std::string imitates;
    if (c >= 0) {
      for (const Extra& extra : kExtraLookalikes) {
        if (extra.code_point == c) imitates = extra.imitates;
      }
      if (imitates.empty()) {
        UErrorCode status = U_ZERO_ERROR;
        char skeleton[64];
        int32_t n = uspoof_getSkeletonUTF8(checker_.get(), 0, shown.c_str(),
                                           static_cast<int32_t>(shown.size()), skeleton,
                                           sizeof skeleton, &status);
        if (U_SUCCESS(status) && n > 0 && n < static_cast<int32_t>(sizeof skeleton)) {
          std::string folded;
          int32_t k = 0;
          while (k < n) {
            UChar32 sc;
            U8_NEXT(reinterpret_cast<const uint8_t*>(skeleton), k, n, sc);
            folded += to_utf8(u_foldCase(sc, U_FOLD_CASE_DEFAULT));
          }
          if (is_ascii_label_text(folded)) imitates = folded;
        }
      }
    }
    if (imitates.empty()) {
      result.all_ascii = false;
      result.ascii += shown;
      continue;
    }
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(c, &status);
    result.substitutions.push_back({shown, imitates,
                                    U_SUCCESS(status) ? uscript_getName(script) : "another",
                                    static_cast<std::uint32_t>(c)});
    result.ascii += imitates;
  }
  return result;
}

std::string_view fold_ascii_lookalikes(std::string_view ascii, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < ascii.size(); ++i) {
    char c = ascii[i];
    char next = i + 1 < ascii.size() ? ascii[i + 1] : 0;
    if (c == 'r' && next == 'n') {
      out[n++] = 'm', ++i;
    } else if (c == 'c' && next == 'l') {
      out[n++] = 'd', ++i;
    } else if (c == 'v' && next == 'v') {
      out[n++] = 'w', ++i;
    } else if (c == '0') {
      out[n++] = 'o';
    } else if (c == '1') {
      out[n++] = 'l';
    } else {
      out[n++] = c;
    }
  }
  return std::string_view(out, n);
}

std::string fold_ascii_lookalikes(std::string_view ascii) {
  std::string out(ascii.size(), '\0');
  out.resize(fold_ascii_lookalikes(ascii, out.data()).size());
  return out;
}

}  // namespace sendguard::lookalike_internal
