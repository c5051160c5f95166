// Writes the reports of one fixed Investigation into a directory, for the browser test
// (tests/integration/report_chromium_test.sh): 40 misdirected recipients over eleven days with
// quiet days between, messages with sensitive content, one message with two lookalike
// recipients, and values crafted as markup where an attacker controls them.
// usage: investigate_report_sample OUT_DIR [--empty]
//   --empty: the same investigation with nothing found.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>

#include "investigate/reports.h"

namespace {

using namespace std::chrono;
using sendguard::Confidence;
using sendguard::Finding;
using sendguard::Investigation;
using sendguard::MisdirectedMessage;

struct Lookalike {
  const char* domain;
  const char* intended;
  const char* kind;
  double score;
};

constexpr Lookalike kLookalikes[] = {
    {"army.ml", "army.mil", "omission", 0.97},
    {"arrny.mil", "army.mil", "lookalike", 0.93},
    {"army.mii", "army.mil", "replacement", 0.9},
    {"nhs.net.uk", "nhs.net", "insertion", 0.81},
    {"mod.gov.uk.co", "mod.gov.uk", "insertion", 0.78},
};
constexpr const char* kSenders[] = {"duty.officer@army.mil", "j.smith@army.mil",
                                    "ward.manager@nhs.net", "press@mod.gov.uk"};
// Days after 2026-11-02 with mail; the others are quiet.
constexpr int kDays[] = {0, 0, 1, 1, 1, 3, 4, 4, 7, 8, 10};

MisdirectedMessage message(int index) {
  const Lookalike& target = kLookalikes[index % std::size(kLookalikes)];
  MisdirectedMessage m;
  m.time = sys_days(2026y / November / 2) + days(kDays[index % std::size(kDays)]) +
           hours(8 + index % 9) + minutes(index * 7 % 60);
  m.sender = kSenders[index % std::size(kSenders)];
  m.recipient = "user" + std::to_string(index) + "@" + target.domain;
  m.domain = target.domain;
  m.intended = target.intended;
  m.kind = target.kind;
  m.score = target.score;
  m.explanation = std::string(target.domain) + " looks like " + target.intended;
  if (index % 3 == 0) {  // from an archive: its content was inspected
    m.message_id = "msg" + std::to_string(index) + "@mail.army.mil";
    m.origin = "Sent.mbox:#" + std::to_string(index);
    m.body_inspected = true;
  } else {
    m.queue_id = "4Q" + std::to_string(1000 + index) + "ZX";
    m.origin = "mail.log.1:" + std::to_string(100 + index * 13);
  }
  return m;
}

Investigation sample() {
  Investigation investigation;
  investigation.generated_at = sys_days(2026y / November / 28) + hours(9);
  investigation.since = sys_days(2026y / November / 1);
  investigation.until = sys_days(2026y / November / 28);
  investigation.sources = {"/var/log/mail.log.1", "/srv/archive/Sent.mbox"};
  investigation.messages_read = 5120;
  investigation.recipients_checked = 9876;
  investigation.known_domains = 214;
  for (int i = 0; i < 38; ++i) investigation.misdirected.push_back(message(i));

  // Sensitive content in some archived messages.
  investigation.misdirected[3].findings = {{"marking.uk", Confidence::kHigh, "subject", 1,
                                            "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", 3}};
  investigation.misdirected[9].findings = {
      {"pii.uk-nhs", Confidence::kHigh, "body", 2, "NHS number 943 *** ****", "", 0},
      {"marking.uk", Confidence::kMedium, "attachment:orders.pdf", 1, "SECRET", "SECRET", 6}};

  // Attacker-controlled values crafted as markup.
  MisdirectedMessage& hostile = investigation.misdirected[12];
  hostile.recipient = "\"<script>alert(1)</script>\"@army.ml";
  hostile.domain = "army.ml";
  hostile.message_id = "x</script><script>alert(2)</script>@evil";
  hostile.findings = {{"pii.uk-nhs", Confidence::kLow, "body", 1,
                       "<img src=https://tracker.invalid/p.gif onerror=alert(3)>", "", 0}};
  investigation.misdirected[13].sender = "=HYPERLINK(\"x\")@army.mil";

  // One message with a second lookalike recipient: two entries, one message.
  MisdirectedMessage second = investigation.misdirected[6];
  second.recipient = "second@arrny.mil";
  second.domain = "arrny.mil";
  investigation.misdirected.insert(investigation.misdirected.begin() + 7, second);

  std::stable_sort(investigation.misdirected.begin(), investigation.misdirected.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  return investigation;
}

}  // namespace

int main(int argc, char** argv) {
  const bool empty = argc == 3 && std::string_view(argv[2]) == "--empty";
  if (argc != 2 && !empty) {
    std::fprintf(stderr, "usage: %s OUT_DIR [--empty]\n", argv[0]);
    return 2;
  }
  Investigation investigation = sample();
  if (empty) investigation.misdirected.clear();
  const auto written = sendguard::write_investigation_reports(investigation, argv[1]);
  if (!written) {
    std::fprintf(stderr, "%s\n", written.error().message.c_str());
    return 1;
  }
  std::printf("%s\n%s\n%s\n", written->html.c_str(), written->csv.c_str(), written->json.c_str());
  return 0;
}
