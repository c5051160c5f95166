#include "frontends/cli/recipient_output.h"

#include "guard/report_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace sendguard::cli {

void write_json_line(std::ostream& out, const RecipientVerdict& v) {
  out << dump_line(to_json(v)) << '\n';
}

void write_table(std::ostream& out, const std::vector<RecipientVerdict>& verdicts) {
  std::size_t address_width = 7, verdict_width = 9, intended_width = 8;
  auto shown_width = [](const std::string& s) {
    // Count code points, not bytes, so that Unicode domains line up.
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  };
  for (const auto& v : verdicts) {
    address_width = std::max(address_width, std::min<std::size_t>(shown_width(v.address), 48));
    intended_width = std::max(intended_width, v.intended.size());
  }
  auto pad = [&](const std::string& s, std::size_t width) {
    std::size_t w = shown_width(s);
    return s + std::string(w < width ? width - w : 0, ' ');
  };
  out << pad("ADDRESS", address_width) << "  " << pad("VERDICT", verdict_width) << "  "
      << pad("INTENDED", intended_width) << "  SCORE\n";
  for (const auto& v : verdicts) {
    char score[16] = "";
    if (v.verdict == Verdict::kLookalike) std::snprintf(score, sizeof score, "%.2f", v.score);
    out << pad(v.address, address_width) << "  " << pad(std::string(to_string(v.verdict)), verdict_width)
        << "  " << pad(v.verdict == Verdict::kLookalike ? v.intended : "", intended_width) << "  "
        << score << '\n';
    if (v.verdict == Verdict::kLookalike || v.verdict == Verdict::kInvalid) {
      out << "    " << v.explanation << '\n';
    }
  }
}

}  // namespace sendguard::cli
