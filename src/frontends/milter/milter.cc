#include "frontends/milter/milter.h"

#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "core/config.h"
#include "gateway/gateway.h"

namespace sendguard::milter {
namespace {

// libmilter keeps one global set of callbacks, so the gateway they serve is global too.
Gateway* g_gateway = nullptr;
std::size_t g_max_message_bytes = 0;

// The state of one SMTP connection; a connection may carry several transactions.
struct Session {
  Transaction transaction;
  std::string raw;  // headers and body as received, up to the size limit (+1 byte to show it)
  // Steps the MTA agreed not to wait for a reply to (MAIL, headers, end of headers, body chunks).
  bool no_reply_mail = false, no_reply_headers = false, no_reply_eoh = false, no_reply_body = false;
};

// The actions sendguard may take and the protocol steps it does not need; what the MTA offers
// of them is agreed in on_negotiate.
constexpr unsigned long kActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT | SMFIF_QUARANTINE;
// Each step skipped or left without a reply is a round trip the MTA does not wait for, but only
// while the MTA still has something to send before its next read: Postfix buffers a command
// that needs no reply and writes it together with the next one. A command it must write on its
// own and then not wait for is the costly case: its next write, a moment later, is held by
// Nagle's algorithm (Postfix does not set TCP_NODELAY) until our delayed ACK, about 40 ms. So:
// - MAIL goes without a reply: Postfix writes it with the first RCPT.
// - RCPT needs a reply (a recipient may be refused there).
// - DATA is neither skipped nor left without a reply. The smtpd writes the DATA stage (with
//   SMFIP_NODATA, its macros still) just before it hands the milter connection to the cleanup
//   server, which then writes the headers and body: a capture showed that second write waiting
//   40 ms for our ACK on every message. The reply to DATA carries the ACK back at once.
// - Headers, end of headers and body go without replies: the cleanup server writes them and
//   the end of the message in one go and then reads our reply.
constexpr unsigned long kProtocol = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |
                                    SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;

Session* session_of(SMFICTX* ctx) { return static_cast<Session*>(smfi_getpriv(ctx)); }

std::string macro(SMFICTX* ctx, const char* name) {
  const char* value = smfi_getsymval(ctx, const_cast<char*>(name));
  return value ? value : "";
}

// A reply text libmilter accepts: one line, no CR/LF, '%' doubled (it is a format
// character to the MTA), within the SMTP line length.
std::string reply_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
    } else if (c == '%') {
      out += "%%";
    } else {
      out += c;
    }
    if (out.size() > 900) {
      out += "...";
      break;
    }
  }
  return out;
}

// Header values go out as printable ASCII: they hold only ids, levels and counts.
std::string header_value(const std::string& value) {
  std::string out;
  for (unsigned char c : value) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

void append_raw(Session& s, const char* data, std::size_t size) {
  std::size_t room =
      g_max_message_bytes + 1 > s.raw.size() ? g_max_message_bytes + 1 - s.raw.size() : 0;
  s.raw.append(data, std::min(size, room));
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long offered_actions, unsigned long offered_protocol,
                      unsigned long, unsigned long, unsigned long* actions, unsigned long* protocol,
                      unsigned long* reserved2, unsigned long* reserved3) {
  if ((offered_actions & kActions) != kActions) {
    spdlog::error(
        "the MTA does not offer every milter action sendguard needs (offered {:#x}, need {:#x})",
        offered_actions, kActions);
    return SMFIS_REJECT;  // libmilter then tells the MTA this filter cannot serve it
  }
  auto* session = new (std::nothrow) Session();
  if (!session) return SMFIS_TEMPFAIL;
  *actions = kActions;
  *protocol = offered_protocol & kProtocol;
  *reserved2 = *reserved3 = 0;
  session->no_reply_mail = (*protocol & SMFIP_NR_MAIL) != 0;
  session->no_reply_headers = (*protocol & SMFIP_NR_HDR) != 0;
  session->no_reply_eoh = (*protocol & SMFIP_NR_EOH) != 0;
  session->no_reply_body = (*protocol & SMFIP_NR_BODY) != 0;
  delete session_of(ctx);
  smfi_setpriv(ctx, session);
  return SMFIS_CONTINUE;
}

// MAIL is never refused here: a session lost at negotiation is refused at RCPT.
sfsistat on_mail_from(SMFICTX* ctx, char** argv) {
  Session* s = session_of(ctx);
  if (!s) return SMFIS_CONTINUE;
  s->transaction = Transaction{};
  s->raw.clear();
  // {mail_addr} is the address without brackets or ESMTP parameters, where the MTA sends it.
  std::string mail_addr = macro(ctx, "{mail_addr}");
  s->transaction.sender = !mail_addr.empty() ? mail_addr : (argv && argv[0] ? argv[0] : "");
  s->transaction.auth_user = macro(ctx, "{auth_authen}");
  s->transaction.queue_id = macro(ctx, "i");
  return s->no_reply_mail ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_rcpt_to(SMFICTX* ctx, char** argv) {
  Session* s = session_of(ctx);
  if (!s || !argv || !argv[0]) return SMFIS_TEMPFAIL;
  if (s->transaction.queue_id.empty()) s->transaction.queue_id = macro(ctx, "i");
  RcptOutcome outcome = g_gateway->on_recipient(s->transaction, argv[0]);
  switch (outcome.verb) {
    case RcptOutcome::Verb::kContinue:
      s->transaction.recipients.emplace_back(argv[0]);
      return SMFIS_CONTINUE;
    case RcptOutcome::Verb::kReject:
      smfi_setreply(ctx, const_cast<char*>("550"), const_cast<char*>("5.7.1"),
                    const_cast<char*>(reply_text(outcome.reply).c_str()));
      return SMFIS_REJECT;
    case RcptOutcome::Verb::kTempfail:
      smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.7.1"),
                    const_cast<char*>(reply_text(outcome.reply).c_str()));
      return SMFIS_TEMPFAIL;
  }
  return SMFIS_CONTINUE;
}

// Headers, end of headers and body chunks only collect the message; the decision comes at the
// end of the message. A session lost here is caught there (no session: tempfail).
sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  Session* s = session_of(ctx);
  if (!s) return SMFIS_CONTINUE;
  append_raw(*s, name, std::strlen(name));
  append_raw(*s, ": ", 2);
  append_raw(*s, value, std::strlen(value));
  append_raw(*s, "\r\n", 2);
  return s->no_reply_headers ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_end_of_headers(SMFICTX* ctx) {
  Session* s = session_of(ctx);
  if (!s) return SMFIS_CONTINUE;
  append_raw(*s, "\r\n", 2);
  return s->no_reply_eoh ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t size) {
  Session* s = session_of(ctx);
  if (!s) return SMFIS_CONTINUE;
  append_raw(*s, reinterpret_cast<const char*>(chunk), size);
  return s->no_reply_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_end_of_message(SMFICTX* ctx) {
  Session* s = session_of(ctx);
  if (!s) return SMFIS_TEMPFAIL;
  // Postfix gives the queue id once the queue file exists, which is after the first RCPT.
  if (std::string id = macro(ctx, "i"); !id.empty()) s->transaction.queue_id = id;
  MessageOutcome outcome = g_gateway->on_message(s->transaction, s->raw);
  s->raw.clear();
  s->raw.shrink_to_fit();
  switch (outcome.verb) {
    case MessageOutcome::Verb::kReject:
      smfi_setreply(ctx, const_cast<char*>("550"), const_cast<char*>("5.7.1"),
                    const_cast<char*>(reply_text(outcome.reply).c_str()));
      return SMFIS_REJECT;
    case MessageOutcome::Verb::kTempfail:
      smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.7.1"),
                    const_cast<char*>(reply_text(outcome.reply).c_str()));
      return SMFIS_TEMPFAIL;
    case MessageOutcome::Verb::kAccept:
      break;
  }
  bool ok = true;
  for (const auto& [name, value] : outcome.add_headers) {
    ok &= smfi_addheader(ctx, const_cast<char*>(name.c_str()),
                         const_cast<char*>(header_value(value).c_str())) == MI_SUCCESS;
  }
  for (const auto& [name, index] : outcome.remove_headers) {
    // A null value deletes that occurrence of the header.
    ok &= smfi_chgheader(ctx, const_cast<char*>(name.c_str()), index, nullptr) == MI_SUCCESS;
  }
  if (outcome.new_subject) {
    ok &=
        smfi_chgheader(ctx, const_cast<char*>("Subject"), 1,
                       const_cast<char*>(header_value(*outcome.new_subject).c_str())) == MI_SUCCESS;
  }
  for (std::string r : outcome.remove_recipients) {
    // The MTA matches the address in its queue file, which has no angle brackets.
    if (r.size() >= 2 && r.front() == '<' && r.back() == '>') r = r.substr(1, r.size() - 2);
    ok &= smfi_delrcpt(ctx, const_cast<char*>(r.c_str())) == MI_SUCCESS;
  }
  if (outcome.quarantine_reason) {
    if (smfi_quarantine(ctx, const_cast<char*>(reply_text(*outcome.quarantine_reason).c_str())) !=
        MI_SUCCESS) {
      // A message that was to be held must not slip out because the MTA refused the hold.
      spdlog::error("{}: the MTA refused to hold the message; asking it to retry",
                    s->transaction.queue_id);
      smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.7.1"),
                    const_cast<char*>(
                        "sendguard could not hold this message for review; it will be retried"));
      return SMFIS_TEMPFAIL;
    }
  }
  if (!ok)
    spdlog::warn("{}: the MTA refused a header or recipient change", s->transaction.queue_id);
  return SMFIS_CONTINUE;
}

sfsistat on_abort(SMFICTX* ctx) {
  if (Session* s = session_of(ctx)) {
    s->transaction = Transaction{};
    s->raw.clear();
  }
  return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
  delete session_of(ctx);
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

// libmilter writes a reply as several small packets (each added header, then "continue"); with
// Nagle's algorithm each one after the first waits for the MTA's delayed acknowledgement, about
// 40 ms apiece. libmilter does not expose its sockets, but Linux copies TCP_NODELAY from a
// listening socket to the connections it accepts, so it is set on our listening socket, found
// among the open descriptors by its port.
void disable_nagle_on_listener(const std::string& listen) {
  if (!listen.starts_with("inet:") && !listen.starts_with("inet6:")) return;
  std::string spec = listen.substr(listen.find(':') + 1);
  int port = std::atoi(spec.substr(0, spec.find('@')).c_str());
  if (port <= 0) return;
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    int bound = address.ss_family == AF_INET
                    ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
                : address.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                    : -1;
    if (bound != port) continue;
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
      spdlog::warn(
          "cannot set TCP_NODELAY on the milter socket: replies may be delayed by about 40 ms");
    }
    return;
  }
  spdlog::warn("milter socket not found to set TCP_NODELAY: replies may be delayed by about 40 ms");
}

// libmilter creates a unix socket with the process's umask; the MTA's user must be able to
// write to it, so it gets the configured mode instead. A TCP listener is left alone.
bool set_socket_mode(const std::string& listen, int mode) {
  std::string path;
  if (listen.starts_with("unix:")) path = listen.substr(5);
  if (listen.starts_with("local:")) path = listen.substr(6);
  if (path.empty()) return true;
  if (chmod(path.c_str(), static_cast<mode_t>(mode)) == 0) return true;
  std::cerr << "sendguard: cannot set the mode of " << path << ": " << std::strerror(errno) << '\n';
  return false;
}

// libmilter starts a thread for every MTA connection with the default attributes, so each gets
// a stack of RLIMIT_STACK (8 MiB by default). glibc keeps freed stacks for reuse only up to
// 40 MiB in all, so with more than five connections at once every new thread mapped a fresh
// stack and every finished one unmapped its own: a profile under 20 connections put munmap and
// the stack set-up in pthread_create at about 8% of the milter's CPU time. A message's work
// needs far less than 1 MiB of stack (MIME nesting is bounded by content.limits.max_depth), and
// at that size forty stacks are kept for reuse.
constexpr std::size_t kConnectionStackBytes = 1 << 20;

void use_small_thread_stacks() {
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return;
  if (pthread_attr_setstacksize(&attributes, kConnectionStackBytes) != 0 ||
      pthread_setattr_default_np(&attributes) != 0) {
    spdlog::warn("cannot set the connection threads' stack size; keeping the default");
  }
  pthread_attr_destroy(&attributes);
}

void log_counters(const GatewayCounters& c) {
  spdlog::info(
      "counters: messages {}, recipients rejected at RCPT {}, tagged {}, held {}, rejected {}, "
      "recipients dropped "
      "{}, sender notices {} (failed {}), overrides {}, monitor-mode would-act {}, failed open {}, "
      "failed closed {}",
      c.messages.load(), c.recipients_rejected.load(), c.tagged.load(), c.held.load(),
      c.rejected.load(), c.recipients_dropped.load(), c.sender_notices.load(),
      c.sender_notices_failed.load(), c.overrides.load(), c.monitored.load(), c.failed_open.load(),
      c.failed_closed.load());
}

}  // namespace

int run(const Config& config, const MilterOptions& options) {
  auto gateway = Gateway::open(config, options.known_domains, options.state_dir);
  if (!gateway) {
    std::cerr << "sendguard: " << gateway.error().message << '\n';
    return 2;
  }
  g_gateway = gateway->get();
  g_max_message_bytes = config.content.limits.max_message_bytes;
  std::string listen = options.listen.empty() ? config.gateway.listen : options.listen;

  smfiDesc description{};
  description.xxfi_name = const_cast<char*>("sendguard");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = kActions;
  description.xxfi_negotiate = on_negotiate;
  description.xxfi_envfrom = on_mail_from;
  description.xxfi_envrcpt = on_rcpt_to;
  description.xxfi_header = on_header;
  description.xxfi_eoh = on_end_of_headers;
  description.xxfi_body = on_body;
  description.xxfi_eom = on_end_of_message;
  description.xxfi_abort = on_abort;
  description.xxfi_close = on_close;
  if (smfi_setconn(const_cast<char*>(listen.c_str())) != MI_SUCCESS ||
      smfi_settimeout(config.gateway.mta_timeout_s) != MI_SUCCESS ||
      smfi_register(description) != MI_SUCCESS) {
    std::cerr << "sendguard: cannot set up the milter on " << listen << '\n';
    return 2;
  }
  // Opened here rather than inside smfi_main so that a port in use is reported at once.
  if (smfi_opensocket(1) != MI_SUCCESS) {
    std::cerr << "sendguard: cannot listen on " << listen << " (in use, or no permission?)\n";
    return 2;
  }
  if (!set_socket_mode(listen, config.gateway.socket_mode)) return 2;
  disable_nagle_on_listener(listen);
  use_small_thread_stacks();
  spdlog::info("sendguard milter listening on {} (policy mode {}, on failure {}, state in {})",
               listen, config.policy.mode, config.gateway.on_failure,
               effective_state_dir(config, options.state_dir));
  int status = smfi_main();
  log_counters((*gateway)->counters());
  spdlog::info("sendguard milter stopped");
  g_gateway = nullptr;
  return status == MI_SUCCESS ? 0 : 2;
}

}  // namespace sendguard::milter
