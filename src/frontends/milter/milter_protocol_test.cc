#include "frontends/milter/milter_protocol.h"
#include "frontends/milter/milter_test_packets.h"

#include <gtest/gtest.h>

#include <string>

namespace sendguard::milter {
namespace {

using namespace std::string_literals;

using test_packets::packet;
using test_packets::u32;

TEST(MilterFraming, ReadsOneCompletePacket) {
  std::string wire = packet('M', "<a@example.org>\0"s);
  std::size_t consumed = 0;
  auto p = next_packet(wire, &consumed);
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->command, 'M');
  EXPECT_EQ((*p)->data, "<a@example.org>\0"s);
  EXPECT_EQ(consumed, wire.size());
}

TEST(MilterFraming, ReadsPacketsOneAfterAnother) {
  std::string wire = packet('D', "Mi\0ABC\0"s) + packet('A') + packet('Q');
  std::string_view rest = wire;
  std::string commands;
  while (true) {
    std::size_t consumed = 0;
    auto p = next_packet(rest, &consumed);
    ASSERT_TRUE(p.has_value());
    if (!*p) break;
    commands += (*p)->command;
    rest.remove_prefix(consumed);
  }
  EXPECT_EQ(commands, "DAQ");
  EXPECT_TRUE(rest.empty());
}

TEST(MilterFraming, TruncatedPacketAsksForMore) {
  std::string wire = packet('B', std::string(100, 'x'));
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    std::size_t consumed = 99;
    auto p = next_packet(std::string_view(wire).substr(0, cut), &consumed);
    ASSERT_TRUE(p.has_value()) << cut;
    EXPECT_FALSE(p->has_value()) << cut;
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(MilterFraming, ZeroLengthIsAnError) {
  std::size_t consumed = 0;
  auto p = next_packet(u32(0) + "xyz", &consumed);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidInput);
}

TEST(MilterFraming, OversizePacketIsRefusedBeforeItArrives) {
  std::size_t consumed = 0;
  // Only the length has arrived: the limit is applied at once, not after 4 GiB.
  auto p = next_packet(u32(0xffffffff), &consumed);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, ErrorCode::kLimitExceeded);
  EXPECT_NE(p.error().message.find("over the limit"), std::string::npos);
  auto small = next_packet(packet('B', std::string(200, 'x')), &consumed, 100);
  EXPECT_FALSE(small.has_value());
  auto at_limit = next_packet(packet('B', std::string(99, 'x')), &consumed, 100);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_TRUE(at_limit->has_value());
}

TEST(MilterNegotiation, ParsesTheThreeFields) {
  auto n = parse_negotiation(u32(6) + u32(0x1ff) + u32(0x1fffff));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->version, 6u);
  EXPECT_EQ(n->actions, 0x1ffu);
  EXPECT_EQ(n->steps, 0x1fffffu);
  EXPECT_FALSE(parse_negotiation(u32(6) + u32(1)).has_value());
  EXPECT_FALSE(parse_negotiation("").has_value());
  // Fields a later version might add are ignored.
  EXPECT_TRUE(parse_negotiation(u32(6) + u32(1) + u32(2) + u32(3)).has_value());
}

TEST(MilterNegotiation, EncodesTheReply) {
  std::string out;
  append_negotiation(out, {6, 0x39, 0x000c4303});
  EXPECT_EQ(out, u32(13) + "O" + u32(6) + u32(0x39) + u32(0x000c4303));
}

TEST(MilterStrings, SplitsAtNul) {
  const std::string wire = "<a@b>\0SIZE=10\0"s;  // the views point into it
  auto s = parse_strings(wire);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0], "<a@b>");
  EXPECT_EQ((*s)[1], "SIZE=10");
  auto empty = parse_strings("\0"s);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->size(), 1u);
  EXPECT_EQ((*empty)[0], "");
}

TEST(MilterStrings, UnterminatedIsAnError) {
  EXPECT_FALSE(parse_strings("<a@b>").has_value());
  EXPECT_FALSE(parse_strings("").has_value());
}

TEST(MilterMacros, ParsesStageAndPairs) {
  const std::string wire = "Mi\0ABC123\0{mail_addr}\0a@example.org\0"s;
  auto m = parse_macros(wire);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->stage, 'M');
  ASSERT_EQ(m->values.size(), 2u);
  EXPECT_EQ(m->values[0].first, "i");
  EXPECT_EQ(m->values[0].second, "ABC123");
  EXPECT_EQ(m->values[1].first, "{mail_addr}");
  auto none = parse_macros("T");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->values.empty());
}

TEST(MilterMacros, MalformedListsAreErrors) {
  EXPECT_FALSE(parse_macros("").has_value());
  EXPECT_FALSE(parse_macros("Mi\0"s).has_value());       // a name without a value
  EXPECT_FALSE(parse_macros("Mi\0value"s).has_value());  // no terminating NUL
}

TEST(MilterHeader, ParsesNameAndValue) {
  const std::string wire = "Subject\0Hello\0"s;
  auto h = parse_header(wire);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->name, "Subject");
  EXPECT_EQ(h->value, "Hello");
  EXPECT_FALSE(parse_header("Subject\0"s).has_value());
  EXPECT_FALSE(parse_header("\0value\0"s).has_value());
  EXPECT_FALSE(parse_header("a\0b\0c\0"s).has_value());
  EXPECT_FALSE(parse_header("Subject\0Hello"s).has_value());
}

TEST(MilterReplies, EncodesEachAction) {
  std::string out;
  append_packet(out, reply::kContinue);
  EXPECT_EQ(out, u32(1) + "c");
  out.clear();
  append_reply_code(out, "550", "5.7.1", "Did you mean bob@army.mil?");
  EXPECT_EQ(out, packet('y', "550 5.7.1 Did you mean bob@army.mil?\0"s));
  out.clear();
  append_add_header(out, "X-Sendguard-Action", "tag");
  EXPECT_EQ(out, packet('h', "X-Sendguard-Action\0tag\0"s));
  out.clear();
  append_change_header(out, 1, "Subject", "[checked] Hi");
  EXPECT_EQ(out, packet('m', u32(1) + "Subject\0[checked] Hi\0"s));
  out.clear();
  append_delete_recipient(out, "dave@example.com");
  EXPECT_EQ(out, packet('-', "dave@example.com\0"s));
  out.clear();
  append_quarantine(out, "held: marking");
  EXPECT_EQ(out, packet('q', "held: marking\0"s));
}

TEST(MilterReplies, AnEmbeddedNulCannotSplitAString) {
  std::string out;
  append_add_header(out, "X-A", "one\0two"s);
  EXPECT_EQ(out, packet('h', "X-A\0one\0"s));
}

TEST(MilterReplies, ReplyTextIsOneLineWithPercentDoubled) {
  EXPECT_EQ(reply_text("100% sure\r\nsecond\tline"), "100%% sure  second line");
  std::string long_text(2000, 'a');
  std::string cut = reply_text(long_text);
  EXPECT_LT(cut.size(), 910u);
  EXPECT_TRUE(cut.ends_with("..."));
  EXPECT_EQ(header_value("caf\xc3\xa9\n"), "caf???");
}

}  // namespace
}  // namespace sendguard::milter
