// One milter connection's protocol state, with no I/O: bytes from the MTA go in, reply bytes
// come out, and at RCPT and at the end of the message the session stops and asks for the
// gateway's decision, which it then translates into the protocol's replies and actions.
//
// The server (milter_server.h) owns the socket and decides where the gateway runs; the session
// only knows the protocol, so it can be tested and fuzzed packet by packet.
//
// Thread-safety: none; one session is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/milter/milter_protocol.h"
#include "gateway/gateway.h"

namespace sendguard::milter {

// The actions sendguard may take; an MTA that does not offer all of them is not served.
inline constexpr std::uint32_t kRequiredActions =
    action::kAddHeaders | action::kChangeHeaders | action::kDeleteRecipients | action::kQuarantine;

// The protocol steps sendguard skips or leaves without a reply (as far as the MTA offers them).
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
inline constexpr std::uint32_t kWantedSteps = step::kNoConnect | step::kNoHelo | step::kNoUnknown |
                                              step::kNoReplyMail | step::kNoReplyHeader |
                                              step::kNoReplyEndOfHeaders | step::kNoReplyBody;

struct SessionOptions {
  // Headers and body are kept up to this many bytes, plus one so that an oversized message is
  // seen as such (content.limits.max_message_bytes).
  std::size_t max_message_bytes = 25 << 20;
  // The largest packet accepted (bytes, command byte included); a larger one closes the
  // connection.
  std::size_t max_packet_bytes = kMaxPacketBytes;
};

class Session {
 public:
  enum class Step {
    kNeedInput,        // every complete packet is handled: read more
    kDecideRecipient,  // ask the gateway about recipient(), then call finish_recipient
    kDecideMessage,    // ask the gateway about message(), then call finish_message
    kClose,            // close the connection; close_reason() says why (empty: the MTA quit)
  };

  explicit Session(SessionOptions options) : options_(options) {}

  // Appends bytes read from the MTA.
  void receive(std::string_view bytes);
  // Handles the buffered packets in order, appending replies to `out`, until one needs a
  // decision, the input ends inside a packet, or the connection must close. Must not be called
  // while a decision is pending.
  Step advance(std::string& out);

  const Transaction& transaction() const { return transaction_; }
  const std::string& recipient() const { return recipient_; }
  std::string_view message() const { return message_; }
  // Translate the gateway's answer into replies (appended to `out`) and resume.
  void finish_recipient(const RcptOutcome& outcome, std::string& out);
  void finish_message(const MessageOutcome& outcome, std::string& out);

  // Between MAIL and the reply to the end of the message (or an abort): a message is in flight.
  bool in_transaction() const { return in_transaction_; }
  bool decision_pending() const { return pending_ != Step::kNeedInput; }
  const std::string& close_reason() const { return close_reason_; }
  // Bytes received and not yet handled.
  std::size_t buffered() const { return input_.size() - input_start_; }
  // Steps agreed in the negotiation (0 before it).
  std::uint32_t agreed_steps() const { return steps_; }

 private:
  struct Macro {
    int stage;
    std::string name;  // without braces
    std::string value;
  };

  Step handle(const Packet& packet, std::string& out);
  Step close(std::string reason);
  Step negotiate(std::string_view data, std::string& out);
  void set_macros(const Macros& macros);
  std::string macro(std::string_view name) const;
  void reset_transaction();
  void append_message(std::string_view bytes);
  void reply_continue_unless(std::uint32_t no_reply_step, std::string& out) const;

  SessionOptions options_;
  std::string input_;
  std::size_t input_start_ = 0;  // handled bytes at the front of input_
  bool negotiated_ = false;
  std::uint32_t steps_ = 0;
  std::vector<Macro> macros_;
  Transaction transaction_;
  std::string recipient_;  // awaiting its decision
  std::string message_;    // headers and body as received
  bool in_transaction_ = false;
  Step pending_ = Step::kNeedInput;
  std::string close_reason_;
};

}  // namespace sendguard::milter
