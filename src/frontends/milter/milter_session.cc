#include "frontends/milter/milter_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace sendguard::milter {
namespace {

// Macros belong to the stage they were sent for; a later stage's value wins, and new values for
// a stage replace that stage's and every later stage's (a new MAIL forgets the last RCPT's).
int stage_index(char stage) {
  constexpr std::string_view kStages = "CHMRTNE";
  std::size_t i = kStages.find(stage);
  return i == std::string_view::npos ? static_cast<int>(kStages.size()) : static_cast<int>(i);
}
constexpr int kMailStage = 2;
constexpr std::size_t kKeptMessageCapacity = 256 << 10;

std::string_view without_braces(std::string_view name) {
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
    return name.substr(1, name.size() - 2);
  return name;
}

std::string printable_command(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7f ? fmt::format("'{}'", c) : fmt::format("0x{:02x}", u);
}

}  // namespace

void Session::receive(std::string_view bytes) {
  // Handled bytes are dropped before new ones are added, so the buffer holds about one burst.
  if (input_start_ > 0) {
    input_.erase(0, input_start_);
    input_start_ = 0;
  }
  input_.append(bytes);
}

Session::Step Session::close(std::string reason) {
  close_reason_ = std::move(reason);
  pending_ = Step::kClose;
  return Step::kClose;
}

Session::Step Session::advance(std::string& out) {
  if (pending_ == Step::kClose) return Step::kClose;
  while (true) {
    std::size_t consumed = 0;
    std::string_view rest = std::string_view(input_).substr(input_start_);
    auto packet = next_packet(rest, &consumed, options_.max_packet_bytes);
    if (!packet) return close(packet.error().message);
    if (!*packet) {
      if (input_start_ == input_.size()) {
        input_.clear();
        input_start_ = 0;
      }
      return Step::kNeedInput;
    }
    Step step = handle(**packet, out);
    input_start_ += consumed;
    if (step != Step::kNeedInput) return step;
  }
}

Session::Step Session::negotiate(std::string_view data, std::string& out) {
  auto offer = parse_negotiation(data);
  if (!offer) return close(offer.error().message);
  if (offer->version < kOldestProtocolVersion) {
    return close(fmt::format("the MTA speaks milter protocol version {}; sendguard needs {} to {}",
                             offer->version, kOldestProtocolVersion, kProtocolVersion));
  }
  if ((offer->actions & kRequiredActions) != kRequiredActions) {
    return close(fmt::format(
        "the MTA does not offer every milter action sendguard needs (offered {:#x}, need {:#x})",
        offer->actions, kRequiredActions));
  }
  steps_ = offer->steps & kWantedSteps;
  negotiated_ = true;
  append_negotiation(
      out, Negotiation{std::min(offer->version, kProtocolVersion), kRequiredActions, steps_});
  return Step::kNeedInput;
}

void Session::set_macros(const Macros& macros) {
  int stage = stage_index(macros.stage);
  std::erase_if(macros_, [&](const Macro& m) { return m.stage >= stage; });
  for (const auto& [name, value] : macros.values)
    macros_.push_back({stage, std::string(without_braces(name)), std::string(value)});
}

std::string Session::macro(std::string_view name) const {
  name = without_braces(name);
  const Macro* found = nullptr;
  for (const Macro& m : macros_) {
    if (m.name == name && (!found || m.stage >= found->stage)) found = &m;
  }
  return found ? found->value : std::string();
}

void Session::reset_transaction() {
  transaction_ = Transaction{};
  message_.clear();
  in_transaction_ = false;
}

void Session::append_message(std::string_view bytes) {
  std::size_t limit = options_.max_message_bytes + 1;
  std::size_t room = limit > message_.size() ? limit - message_.size() : 0;
  message_.append(bytes.substr(0, std::min(bytes.size(), room)));
}

void Session::reply_continue_unless(std::uint32_t no_reply_step, std::string& out) const {
  if ((steps_ & no_reply_step) == 0) append_packet(out, reply::kContinue);
}

Session::Step Session::handle(const Packet& packet, std::string& out) {
  if (packet.command == command::kNegotiate) return negotiate(packet.data, out);
  if (!negotiated_) {
    return close(fmt::format("milter command {} before the option negotiation",
                             printable_command(packet.command)));
  }
  switch (packet.command) {
    case command::kMacro: {
      auto macros = parse_macros(packet.data);
      if (!macros) return close(macros.error().message);
      set_macros(*macros);
      return Step::kNeedInput;
    }
    case command::kConnect:
      reply_continue_unless(step::kNoReplyConnect, out);
      return Step::kNeedInput;
    case command::kHelo:
      reply_continue_unless(step::kNoReplyHelo, out);
      return Step::kNeedInput;
    case command::kUnknown:
      reply_continue_unless(step::kNoReplyUnknown, out);
      return Step::kNeedInput;
    case command::kMail: {
      auto args = parse_strings(packet.data);
      if (!args) return close("MAIL: " + args.error().message);
      reset_transaction();
      in_transaction_ = true;
      // {mail_addr} is the address without brackets or ESMTP parameters, where the MTA sends it.
      std::string mail_addr = macro("mail_addr");
      transaction_.sender = !mail_addr.empty() ? mail_addr : std::string((*args)[0]);
      transaction_.auth_user = macro("auth_authen");
      transaction_.queue_id = macro("i");
      reply_continue_unless(step::kNoReplyMail, out);
      return Step::kNeedInput;
    }
    case command::kRecipient: {
      auto args = parse_strings(packet.data);
      if (!args) return close("RCPT: " + args.error().message);
      recipient_.assign((*args)[0]);
      // Postfix gives the queue id once the queue file exists, which is after the first RCPT.
      if (transaction_.queue_id.empty()) transaction_.queue_id = macro("i");
      pending_ = Step::kDecideRecipient;
      return pending_;
    }
    case command::kData:
      reply_continue_unless(step::kNoReplyData, out);
      return Step::kNeedInput;
    case command::kHeader: {
      auto header = parse_header(packet.data);
      if (!header) return close(header.error().message);
      append_message(header->name);
      append_message(": ");
      append_message(header->value);
      append_message("\r\n");
      reply_continue_unless(step::kNoReplyHeader, out);
      return Step::kNeedInput;
    }
    case command::kEndOfHeaders:
      append_message("\r\n");
      reply_continue_unless(step::kNoReplyEndOfHeaders, out);
      return Step::kNeedInput;
    case command::kBody:
      append_message(packet.data);
      reply_continue_unless(step::kNoReplyBody, out);
      return Step::kNeedInput;
    case command::kEndOfMessage:
      append_message(packet.data);  // a last body chunk, where the MTA sends one here
      if (std::string id = macro("i"); !id.empty()) transaction_.queue_id = id;
      pending_ = Step::kDecideMessage;
      return pending_;
    case command::kAbort:
      reset_transaction();
      std::erase_if(macros_, [](const Macro& m) { return m.stage >= kMailStage; });
      return Step::kNeedInput;
    case command::kQuit:
      return close("");
    case command::kQuitNewConnection:
      // The MTA reuses the socket for a new SMTP connection, starting with a new negotiation.
      reset_transaction();
      macros_.clear();
      negotiated_ = false;
      steps_ = 0;
      return Step::kNeedInput;
    default:
      return close(fmt::format("unknown milter command {} ({} bytes)",
                               printable_command(packet.command), packet.data.size() + 1));
  }
}

void Session::finish_recipient(const RcptOutcome& outcome, std::string& out) {
  pending_ = Step::kNeedInput;
  switch (outcome.verb) {
    case RcptOutcome::Verb::kContinue:
      transaction_.recipients.push_back(recipient_);
      append_packet(out, reply::kContinue);
      break;
    case RcptOutcome::Verb::kReject:
      append_reply_code(out, "550", "5.7.1", reply_text(outcome.reply));
      break;
    case RcptOutcome::Verb::kTempfail:
      append_reply_code(out, "451", "4.7.1", reply_text(outcome.reply));
      break;
  }
  recipient_.clear();
}

void Session::finish_message(const MessageOutcome& outcome, std::string& out) {
  pending_ = Step::kNeedInput;
  switch (outcome.verb) {
    case MessageOutcome::Verb::kReject:
      append_reply_code(out, "550", "5.7.1", reply_text(outcome.reply));
      break;
    case MessageOutcome::Verb::kTempfail:
      append_reply_code(out, "451", "4.7.1", reply_text(outcome.reply));
      break;
    case MessageOutcome::Verb::kAccept:
      // The actions were all agreed in the negotiation, so the MTA takes each of them; they
      // precede the final reply, which makes them take effect.
      for (const auto& [name, value] : outcome.add_headers)
        append_add_header(out, name, header_value(value));
      for (const auto& [name, index] : outcome.remove_headers) {
        // An empty value deletes that occurrence of the header.
        append_change_header(out, static_cast<std::uint32_t>(index), name, "");
      }
      if (outcome.new_subject)
        append_change_header(out, 1, "Subject", header_value(*outcome.new_subject));
      for (std::string_view r : outcome.remove_recipients) {
        // The MTA matches the address in its queue file, which has no angle brackets.
        if (r.size() >= 2 && r.front() == '<' && r.back() == '>') r = r.substr(1, r.size() - 2);
        append_delete_recipient(out, r);
      }
      if (outcome.quarantine_reason) append_quarantine(out, reply_text(*outcome.quarantine_reason));
      append_packet(out, reply::kContinue);
      break;
  }
  reset_transaction();
  // A connection may carry many messages: keep the buffer of an ordinary one for the next, but
  // not the memory of a large one.
  if (message_.capacity() > kKeptMessageCapacity) message_.shrink_to_fit();
}

}  // namespace sendguard::milter
