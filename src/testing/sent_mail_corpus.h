// A small organisation's sent mail over twenty days, as Postfix logs and an mbox, with known
// misdirections mixed into ordinary traffic: what the history and investigation tests read.
//
//   logs   mail.log.2.gz (days 1-7), mail.log.1 (days 8-14), mail.log (days 15-20), RFC 3339
//          timestamps; every day alice@corp.example writes to bob@army.mil and
//          carol@partner.co.uk, erin@corp.example to dave@supplier.com.
//   mbox   sent.mbox: alice's messages to bob@army.mil on days 1-20, and two slips.
//
// The slips (kLogSlips, kMboxSlips) include one joined across a rotation, one behind a queue
// id reused from an ordinary message days earlier, one deferred before it was sent, and a
// bounced one that never left (not a slip: listed nowhere).
#pragma once

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sendguard::testing {

struct ExpectedSlip {
  std::string recipient, intended, id;  // id: the queue id (logs) or Message-ID (mbox)
};

inline const std::vector<ExpectedSlip> kLogSlips = {
    {"ops@army.ml", "army.mil", "5A000001"},
    {"carol@partner.co.um", "partner.co.uk", "9A000001"},
    {"x@army.ml", "army.mil", "EA000001"},  // qmgr on day 14 in mail.log.1, sent on day 15
    {"dave@suplier.com", "supplier.com", "10A00001"},
    {"bob@arny.mil", "army.mil", "ABCDEF01"},   // the queue id of an ordinary message on day 3
    {"bob@arrny.mil", "army.mil", "12A00001"},  // deferred, then sent
};
inline const std::vector<ExpectedSlip> kMboxSlips = {
    {"bob@army.ml", "army.mil", "slip-1@corp.example"},  // carries OFFICIAL-SENSITIVE
    {"carol@partner.co.um", "partner.co.uk", "slip-2@corp.example"},
};

class SentMailCorpus {
 public:
  explicit SentMailCorpus(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    std::string days_1_7, days_8_14, days_15_20;
    for (int day = 1; day <= 20; ++day) {
      std::string& log = day <= 7 ? days_1_7 : day <= 14 ? days_8_14 : days_15_20;
      log += message(day, "09:00:00", hex(day, 1), "alice@corp.example", "bob@army.mil", "sent");
      log += message(day, "10:00:00", hex(day, 2), "alice@corp.example", "carol@partner.co.uk",
                     "sent");
      log +=
          message(day, "11:00:00", hex(day, 3), "erin@corp.example", "dave@supplier.com", "sent");
    }
    days_1_7 += message(3, "12:00:00", "ABCDEF01", "alice@corp.example", "bob@army.mil", "sent");
    days_1_7 += message(5, "13:00:00", "5A000001", "alice@corp.example", "ops@army.ml", "sent");
    days_1_7 +=
        message(6, "13:00:00", "6B000001", "alice@corp.example", "nobody@army.ml", "bounced");
    days_8_14 +=
        message(9, "13:00:00", "9A000001", "erin@corp.example", "carol@partner.co.um", "sent");
    // Queued on day 14 just before midnight; the log rotates; delivered on day 15.
    days_8_14 +=
        line(14, "23:59:58", "postfix/cleanup", "EA000001: message-id=<EA000001@corp.example>");
    days_8_14 += line(14, "23:59:58", "postfix/qmgr",
                      "EA000001: from=<alice@corp.example>, size=900, nrcpt=1 (queue active)");
    days_15_20 += delivery(15, "00:00:01", "EA000001", "x@army.ml", "sent");
    days_15_20 += line(15, "00:00:01", "postfix/qmgr", "EA000001: removed");
    days_15_20 +=
        message(16, "13:00:00", "10A00001", "erin@corp.example", "dave@suplier.com", "sent");
    days_15_20 += message(17, "13:00:00", "ABCDEF01", "alice@corp.example", "bob@arny.mil", "sent");
    std::string deferred = message(18, "13:00:00", "12A00001", "alice@corp.example",
                                   "bob@arrny.mil", "deferred", /*removed=*/false);
    deferred += delivery(18, "13:30:00", "12A00001", "bob@arrny.mil", "sent");
    deferred += line(18, "13:30:00", "postfix/qmgr", "12A00001: removed");
    days_15_20 += deferred;

    write_gzip(dir_ / "mail.log.2.gz", days_1_7);
    write(dir_ / "mail.log.1", days_8_14);
    write(dir_ / "mail.log", days_15_20);

    std::string mbox;
    for (int day = 1; day <= 20; ++day) {
      mbox += mbox_message(day, "alice@corp.example", "bob@army.mil",
                           "m" + std::to_string(day) + "@corp.example", "Weekly report",
                           "All quiet this week.");
    }
    mbox +=
        mbox_message(7, "alice@corp.example", "Bob <bob@army.ml>", "slip-1@corp.example", "Budget",
                     "OFFICIAL-SENSITIVE\n\nThe budget figures for next year.\n\n"
                     "OFFICIAL-SENSITIVE");
    mbox += mbox_message(8, "alice@corp.example", "carol@partner.co.um", "slip-2@corp.example",
                         "Lunch", "Friday?");
    write(dir_ / "sent.mbox", mbox);
  }

  std::vector<std::filesystem::path> logs() const {
    return {dir_ / "mail.log.2.gz", dir_ / "mail.log.1", dir_ / "mail.log"};
  }
  std::filesystem::path mbox() const { return dir_ / "sent.mbox"; }

 private:
  static std::string date(int day) {
    char text[16];
    std::snprintf(text, sizeof text, "2026-11-%02d", day);
    return text;
  }
  static std::string hex(int day, int n) {
    char text[16];
    std::snprintf(text, sizeof text, "%02X%06X", day, n);
    return text;
  }
  static std::string line(int day, const std::string& time, const std::string& tag,
                          const std::string& text) {
    return date(day) + "T" + time + ".000000+00:00 mx1 " + tag + "[4242]: " + text + "\n";
  }
  static std::string delivery(int day, const std::string& time, const std::string& id,
                              const std::string& to, const std::string& status) {
    std::string dsn = status == "sent" ? "2.0.0" : status == "bounced" ? "5.1.1" : "4.4.1";
    return line(day, time, "postfix/smtp",
                id + ": to=<" + to +
                    ">, relay=mx.remote.example[192.0.2.25]:25, delay=0.4, "
                    "delays=0.1/0/0.1/0.2, dsn=" +
                    dsn + ", status=" + status + " (remote said so)");
  }
  static std::string message(int day, const std::string& time, const std::string& id,
                             const std::string& from, const std::string& to,
                             const std::string& status, bool removed = true) {
    std::string out = line(day, time, "postfix/smtpd", id + ": client=ws1.corp.example[10.0.0.5]");
    out += line(day, time, "postfix/cleanup", id + ": message-id=<" + id + "@corp.example>");
    out += line(day, time, "postfix/qmgr",
                id + ": from=<" + from + ">, size=2211, nrcpt=1 (queue active)");
    out += delivery(day, time, id, to, status);
    if (removed) out += line(day, time, "postfix/qmgr", id + ": removed");
    return out;
  }
  static std::string mbox_message(int day, const std::string& from, const std::string& to,
                                  const std::string& message_id, const std::string& subject,
                                  const std::string& body) {
    char when[64];
    std::snprintf(when, sizeof when, "%02d Nov 2026 10:00:00 +0000", day);
    return "From " + from + " Sat Nov 28 10:00:00 2026\nFrom: Alice <" + from + ">\nTo: " + to +
           "\nSubject: " + subject + "\nDate: " + when + "\nMessage-ID: <" + message_id + ">\n\n" +
           body + "\n\n";
  }
  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static void write_gzip(const std::filesystem::path& path, const std::string& text) {
    gzFile out = gzopen(path.c_str(), "wb");
    gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
    gzclose(out);
  }

  std::filesystem::path dir_;
};

}  // namespace sendguard::testing
