// One message as a history source saw it leave the organisation.
//
// Every source (the gateway as it decides, Postfix logs, sent-mail archives) reduces what it
// reads to SentMail records; learning (history/) and investigation (investigate/) consume them
// and never look at the source's own format. Plain values: thread-safe to copy and read.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sendguard {

struct SentMail {
  // When it left: for a log, the time of the first delivery line; for an archive, the Date
  // header (the file's time when the header is missing or unreadable). UTC.
  std::chrono::system_clock::time_point time;
  std::string sender;                   // envelope sender (logs) or the From address (archives)
  std::vector<std::string> recipients;  // delivered (logs: status=sent) or addressed (To/Cc/Bcc)
  std::string queue_id;                 // Postfix queue id; empty for archives
  std::string message_id;               // Message-ID without angle brackets, when known
  // Where it was read, for a person to find it again: "mail.log.2.gz:1234", "sent.mbox:#17",
  // "Maildir/cur/1700000000.M1P2.host:2,S".
  std::string origin;
  // Stable across re-imports of the same source, so that importing twice does not count twice:
  // logs use postfix_identity() below, "postfix:mx1/4BC1D2E3F4:2026-11-28"; archives use the
  // Message-ID, or a digest of the header block when there is none,
  // "header-fnv1a64:0123456789abcdef" (postfix_log.h and mail_archive.h give the details).
  std::string identity;
  // Archives only: the whole raw message, so that investigation can inspect its content.
  // Empty for logs (they carry no bodies).
  std::string raw;
};

// The identity of a message Postfix handled: the MTA (host name, plus "/instance" for a
// postmulti instance), the queue id and the UTC day the queue id was first seen
// ("postfix:mx1/4F2A81C0D3:2026-11-28"). The log reader and the gateway (which learns the queue
// id from the milter and runs on the MTA's host) name a message alike, so that learning from
// both counts it once. Postfix reuses a queue id only after the file behind it is gone, and
// never on the same day in practice; the host keeps two MTAs' ids apart.
std::string postfix_identity(std::string_view mta, std::string_view queue_id,
                             std::chrono::system_clock::time_point first_seen);

}  // namespace sendguard
