#include "frontends/milter/milter_session.h"
#include "frontends/milter/milter_test_packets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendguard::milter {
namespace {

using namespace std::string_literals;
using Step = Session::Step;

using test_packets::packet;
using test_packets::u32;

using test_packets::postfix_negotiation;

// Splits replies into packets: "command:data" each.
std::vector<std::string> replies(const std::string& wire) {
  std::vector<std::string> out;
  std::string_view rest = wire;
  while (!rest.empty()) {
    std::size_t consumed = 0;
    auto p = next_packet(rest, &consumed);
    EXPECT_TRUE(p.has_value() && p->has_value()) << "bad reply bytes";
    if (!p || !*p) break;
    out.push_back(std::string(1, (*p)->command) + ":" + std::string((*p)->data));
    rest.remove_prefix(consumed);
  }
  return out;
}

class SessionTest : public ::testing::Test {
 protected:
  Session session{SessionOptions{.max_message_bytes = 1000}};
  std::string out;

  Step feed(const std::string& bytes) {
    session.receive(bytes);
    return session.advance(out);
  }
  std::vector<std::string> take() {
    auto r = replies(out);
    out.clear();
    return r;
  }
  void negotiate() {
    ASSERT_EQ(feed(postfix_negotiation()), Step::kNeedInput);
    take();
  }
};

TEST_F(SessionTest, NegotiatesTheActionsAndStepsItNeeds) {
  ASSERT_EQ(feed(postfix_negotiation()), Step::kNeedInput);
  EXPECT_EQ(take(),
            std::vector<std::string>{"O:" + u32(6) + u32(kRequiredActions) + u32(kWantedSteps)});
  EXPECT_EQ(session.agreed_steps(), kWantedSteps);
}

TEST_F(SessionTest, AsksOnlyForStepsTheMtaOffers) {
  ASSERT_EQ(feed(packet('O', u32(6) + u32(0x3f) + u32(step::kNoConnect | step::kNoReplyHeader))),
            Step::kNeedInput);
  EXPECT_EQ(session.agreed_steps(), step::kNoConnect | step::kNoReplyHeader);
  // Without a no-reply agreement for MAIL, MAIL is answered.
  EXPECT_EQ(feed(packet('M', "<a@example.org>\0"s)), Step::kNeedInput);
  EXPECT_EQ(take().back(), "c:");
}

TEST_F(SessionTest, RefusesAnMtaWithoutTheActions) {
  EXPECT_EQ(feed(packet('O', u32(6) + u32(action::kAddHeaders) + u32(0x1fffff))), Step::kClose);
  EXPECT_NE(session.close_reason().find("does not offer"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST_F(SessionTest, RefusesAVersionTooOld) {
  EXPECT_EQ(feed(packet('O', u32(1) + u32(0x1ff) + u32(0))), Step::kClose);
  EXPECT_NE(session.close_reason().find("version 1"), std::string::npos);
}

TEST_F(SessionTest, AnswersAnOlderVersionWithItsOwn) {
  ASSERT_EQ(feed(packet('O', u32(2) + u32(0x3f) + u32(0x7f))), Step::kNeedInput);
  EXPECT_EQ(take(), std::vector<std::string>{"O:" + u32(2) + u32(kRequiredActions) + u32(0x3)});
}

TEST_F(SessionTest, CommandsBeforeNegotiationCloseTheConnection) {
  EXPECT_EQ(feed(packet('M', "<a@b>\0"s)), Step::kClose);
  EXPECT_NE(session.close_reason().find("before the option negotiation"), std::string::npos);
}

TEST_F(SessionTest, APostfixTransactionEndToEnd) {
  negotiate();
  // Postfix's pattern: macros and MAIL (no reply), macros and RCPT, in one write.
  std::string burst = packet('D', "Mi\0\0{auth_authen}\0alice\0{mail_addr}\0alice@example.org\0"s) +
                      packet('M', "<alice@example.org>\0SIZE=100\0BODY=8BITMIME\0"s) +
                      packet('D', "Ri\0Q123\0{rcpt_addr}\0bob@army.ml\0"s) +
                      packet('R', "<bob@army.ml>\0"s);
  ASSERT_EQ(feed(burst), Step::kDecideRecipient);
  EXPECT_TRUE(take().empty());
  EXPECT_TRUE(session.in_transaction());
  EXPECT_EQ(session.recipient(), "<bob@army.ml>");
  EXPECT_EQ(session.transaction().sender, "alice@example.org");
  EXPECT_EQ(session.transaction().auth_user, "alice");
  EXPECT_EQ(session.transaction().queue_id, "Q123");  // given with the first RCPT
  session.finish_recipient({RcptOutcome::Verb::kReject, "Did you mean bob@army.mil?"}, out);
  EXPECT_EQ(take(), std::vector<std::string>{"y:550 5.7.1 Did you mean bob@army.mil?\0"s});

  ASSERT_EQ(feed(packet('D', "Ri\0Q123\0"s) + packet('R', "<carol@army.mil>\0"s)),
            Step::kDecideRecipient);
  session.finish_recipient({}, out);
  EXPECT_EQ(take(), std::vector<std::string>{"c:"});
  EXPECT_EQ(session.transaction().recipients, std::vector<std::string>{"<carol@army.mil>"});

  ASSERT_EQ(feed(packet('D', "Ti\0Q123\0"s) + packet('T')), Step::kNeedInput);
  EXPECT_EQ(take(), std::vector<std::string>{"c:"});

  std::string content = packet('D', "Li\0Q123\0"s) + packet('L', "Subject\0Budget\0"s) +
                        packet('L', "To\0carol@army.mil\0"s) + packet('N') +
                        packet('B', "Line one\r\n"s) + packet('B', "Line two\r\n"s) +
                        packet('D', "Ei\0Q123\0"s) + packet('E');
  // Fed a byte at a time, the session waits for each packet to complete.
  for (std::size_t i = 0; i + 1 < content.size(); ++i) {
    ASSERT_EQ(feed(content.substr(i, 1)), Step::kNeedInput) << i;
  }
  ASSERT_EQ(feed(content.substr(content.size() - 1)), Step::kDecideMessage);
  EXPECT_TRUE(take().empty());  // headers, end of headers, body: no replies
  EXPECT_EQ(session.message(),
            "Subject: Budget\r\nTo: carol@army.mil\r\n\r\nLine one\r\nLine two\r\n");

  MessageOutcome outcome;
  outcome.add_headers = {{"X-Sendguard-Action", "hold"}, {"X-Sendguard-Rule", "r\xc3\xa9gle"}};
  outcome.new_subject = "[held] Budget";
  outcome.remove_recipients = {"<dave@example.com>"};
  outcome.quarantine_reason = "sendguard: marked\nmail";
  session.finish_message(outcome, out);
  EXPECT_EQ(take(), (std::vector<std::string>{
                        "h:X-Sendguard-Action\0hold\0"s, "h:X-Sendguard-Rule\0r??gle\0"s,
                        "m:" + u32(1) + "Subject\0[held] Budget\0"s, "-:dave@example.com\0"s,
                        "q:sendguard: marked mail\0"s, "c:"}));
  EXPECT_FALSE(session.in_transaction());
  EXPECT_EQ(feed(packet('Q')), Step::kClose);
  EXPECT_EQ(session.close_reason(), "");
}

TEST_F(SessionTest, MailAddrMacroIsPreferredAndArgumentIsTheFallback) {
  negotiate();
  feed(packet('M', "<plain@example.org>\0"s));
  EXPECT_EQ(session.transaction().sender, "<plain@example.org>");
  EXPECT_EQ(session.transaction().auth_user, "");
  feed(packet('D', "M{mail_addr}\0x@example.org\0"s) + packet('M', "<x@example.org>\0"s));
  EXPECT_EQ(session.transaction().sender, "x@example.org");
  // A new MAIL's macros replace the last one's.
  feed(packet('D', "M"s) + packet('M', "<y@example.org>\0"s));
  EXPECT_EQ(session.transaction().sender, "<y@example.org>");
}

TEST_F(SessionTest, RejectAndTempfailAtEndOfMessage) {
  negotiate();
  feed(packet('M', "<a@b>\0"s));
  ASSERT_EQ(feed(packet('E')), Step::kDecideMessage);
  session.finish_message({.verb = MessageOutcome::Verb::kReject, .reply = "100% secret"}, out);
  EXPECT_EQ(take(), std::vector<std::string>{"y:550 5.7.1 100%% secret\0"s});
  feed(packet('M', "<a@b>\0"s));
  ASSERT_EQ(feed(packet('E')), Step::kDecideMessage);
  session.finish_message({.verb = MessageOutcome::Verb::kTempfail, .reply = "later"}, out);
  EXPECT_EQ(take(), std::vector<std::string>{"y:451 4.7.1 later\0"s});
}

TEST_F(SessionTest, TempfailAtRcpt) {
  negotiate();
  ASSERT_EQ(feed(packet('R', "<a@b>\0"s)), Step::kDecideRecipient);
  session.finish_recipient({RcptOutcome::Verb::kTempfail, "try later"}, out);
  EXPECT_EQ(take(), std::vector<std::string>{"y:451 4.7.1 try later\0"s});
  EXPECT_TRUE(session.transaction().recipients.empty());
}

TEST_F(SessionTest, MessageIsKeptUpToTheLimitPlusOne) {
  negotiate();
  feed(packet('M', "<a@b>\0"s));
  for (int i = 0; i < 5; ++i) feed(packet('B', std::string(400, 'x')));
  ASSERT_EQ(feed(packet('E', "tail"s)), Step::kDecideMessage);
  EXPECT_EQ(session.message().size(), 1001u);
}

TEST_F(SessionTest, AbortForgetsTheTransaction) {
  negotiate();
  feed(packet('D', "Mi\0Q1\0"s) + packet('M', "<a@b>\0"s) + packet('L', "Subject\0x\0"s));
  EXPECT_TRUE(session.in_transaction());
  EXPECT_EQ(feed(packet('A')), Step::kNeedInput);
  EXPECT_FALSE(session.in_transaction());
  EXPECT_TRUE(take().empty());
  feed(packet('M', "<c@d>\0"s));
  EXPECT_EQ(session.transaction().queue_id, "");
  ASSERT_EQ(feed(packet('E')), Step::kDecideMessage);
  EXPECT_EQ(session.message(), "");
}

TEST_F(SessionTest, QuitNewConnectionNegotiatesAgain) {
  negotiate();
  EXPECT_EQ(feed(packet('K')), Step::kNeedInput);
  EXPECT_EQ(feed(packet('M', "<a@b>\0"s)), Step::kClose);  // not negotiated any more
  Session again(SessionOptions{});
  std::string o;
  again.receive(postfix_negotiation() + packet('K') + postfix_negotiation());
  EXPECT_EQ(again.advance(o), Step::kNeedInput);
  EXPECT_EQ(replies(o).size(), 2u);
}

TEST_F(SessionTest, StepsNotSkippedAreAnswered) {
  ASSERT_EQ(feed(packet('O', u32(6) + u32(0x1ff) + u32(0))), Step::kNeedInput);
  take();
  feed(packet('C', "host\0"s + "4" + "\x04\xd2" + "127.0.0.1\0"s) + packet('H', "client\0"s) +
       packet('M', "<a@b>\0"s) + packet('T') + packet('L', "A\0b\0"s) + packet('N') +
       packet('B', "x") + packet('U', "NOOP\0"s));
  EXPECT_EQ(take().size(), 8u);
}

TEST_F(SessionTest, HostileInputClosesWithAReason) {
  struct Case {
    std::string name, bytes, reason;
  };
  std::vector<Case> cases = {
      {"unknown command", packet('Z', "abc"), "unknown milter command 'Z'"},
      {"binary command", packet('\x01'), "unknown milter command 0x01"},
      {"zero length", u32(0), "length 0"},
      {"oversize", u32(kMaxPacketBytes + 1), "over the limit"},
      {"MAIL without NUL", packet('M', "<a@b>"), "MAIL"},
      {"RCPT without NUL", packet('R', ""), "RCPT"},
      {"header without value", packet('L', "Subject\0"s), "header"},
      {"macro without value", packet('D', "Mi\0"s), "name but no value"},
      {"macro without stage", packet('D'), "without a stage"},
      {"short negotiation", packet('O', u32(6)), "option negotiation"},
  };
  for (const Case& c : cases) {
    Session s(SessionOptions{});
    std::string o;
    s.receive(postfix_negotiation());
    ASSERT_EQ(s.advance(o), Step::kNeedInput);
    s.receive(c.bytes);
    EXPECT_EQ(s.advance(o), Step::kClose) << c.name;
    EXPECT_NE(s.close_reason().find(c.reason), std::string::npos)
        << c.name << ": " << s.close_reason();
    // Once closed, it stays closed.
    s.receive(packet('Q'));
    EXPECT_EQ(s.advance(o), Step::kClose) << c.name;
  }
}

TEST_F(SessionTest, ATruncatedPacketWaitsForTheRest) {
  negotiate();
  std::string p = packet('R', "<a@b>\0"s);
  EXPECT_EQ(feed(p.substr(0, 3)), Step::kNeedInput);
  EXPECT_EQ(feed(p.substr(3, 5)), Step::kNeedInput);
  EXPECT_EQ(session.buffered(), 8u);
  EXPECT_EQ(feed(p.substr(8)), Step::kDecideRecipient);
}

}  // namespace
}  // namespace sendguard::milter
