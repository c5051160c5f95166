#include "address/address.h"

#include <gtest/gtest.h>
#include <libpsl.h>

namespace sendguard {
namespace {

Mailbox parse_ok(std::string_view input) {
  auto m = parse_mailbox(input);
  EXPECT_TRUE(m.has_value()) << input << ": " << (m ? "" : m.error().message);
  return m ? *m : Mailbox{};
}

std::string parse_error(std::string_view input) {
  auto m = parse_mailbox(input);
  EXPECT_FALSE(m.has_value()) << input << " parsed as " << (m ? m->domain.ascii : "");
  return m ? "" : m.error().message;
}

TEST(ParseMailbox, BareAddress) {
  Mailbox m = parse_ok("j.doe@example.com");
  EXPECT_EQ(m.local_part, "j.doe");
  EXPECT_EQ(m.domain.ascii, "example.com");
  EXPECT_TRUE(m.display_name.empty());
}

TEST(ParseMailbox, NameAndAngleBrackets) {
  Mailbox m = parse_ok("  Jane Doe <jane@Example.COM>  ");
  EXPECT_EQ(m.display_name, "Jane Doe");
  EXPECT_EQ(m.local_part, "jane");
  EXPECT_EQ(m.domain.ascii, "example.com");
}

TEST(ParseMailbox, QuotedDisplayNameWithAngleAndComma) {
  Mailbox m = parse_ok(R"("Doe, Jane <HR>" <jane@example.com>)");
  EXPECT_EQ(m.display_name, "Doe, Jane <HR>");
  EXPECT_EQ(m.domain.ascii, "example.com");
}

TEST(ParseMailbox, AngleBracketsOnlyAsMtasGiveThem) {
  EXPECT_EQ(parse_ok("<ops@army.mil>").domain.ascii, "army.mil");
}

TEST(ParseMailbox, QuotedLocalPartMayHoldAtAndSpaces) {
  Mailbox m = parse_ok(R"("john smith@hq"@example.org)");
  EXPECT_EQ(m.local_part, R"("john smith@hq")");
  EXPECT_EQ(m.domain.ascii, "example.org");
}

TEST(ParseMailbox, TrailingDotOnDomainIsDropped) {
  EXPECT_EQ(parse_ok("a@army.mil.").domain.ascii, "army.mil");
}

TEST(ParseMailbox, UnicodeDomainBecomesALabel) {
  Mailbox m = parse_ok("info@bücher.de");
  EXPECT_EQ(m.domain.ascii, "xn--bcher-kva.de");
  EXPECT_EQ(m.domain.unicode, "bücher.de");
}

TEST(ParseMailbox, PunycodeDomainKeepsALabelAndShowsULabel) {
  Mailbox m = parse_ok("info@XN--BCHER-KVA.de");
  EXPECT_EQ(m.domain.ascii, "xn--bcher-kva.de");
  EXPECT_EQ(m.domain.unicode, "bücher.de");
}

TEST(ParseMailbox, Utf8LocalPartIsAccepted) {
  EXPECT_EQ(parse_ok("josé@example.es").local_part, "josé");
}

TEST(ParseMailbox, AddressLiterals) {
  Mailbox v4 = parse_ok("root@[192.0.2.1]");
  EXPECT_TRUE(v4.is_address_literal);
  EXPECT_EQ(v4.domain.ascii, "[192.0.2.1]");
  EXPECT_TRUE(parse_ok("root@[IPv6:2001:db8::1]").is_address_literal);
  EXPECT_NE(parse_error("root@[192.0.2.999]").find("IPv4"), std::string::npos);
  EXPECT_NE(parse_error("root@[IPv6:zz::1]").find("IPv6"), std::string::npos);
}

TEST(ParseMailbox, MalformedInputIsExplained) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("<>").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("no-at-sign").find("no @"), std::string::npos);
  EXPECT_NE(parse_error("a@b@example.com").find("more than one @"), std::string::npos);
  EXPECT_NE(parse_error("@example.com").find("nothing before"), std::string::npos);
  EXPECT_NE(parse_error("a@").find("nothing after"), std::string::npos);
  EXPECT_NE(parse_error(".a@example.com").find("dot"), std::string::npos);
  EXPECT_NE(parse_error("a..b@example.com").find("two dots"), std::string::npos);
  EXPECT_NE(parse_error("a b@example.com").find("quoting"), std::string::npos);
  EXPECT_NE(parse_error("Jane <jane@example.com").find("'>'"), std::string::npos);
  EXPECT_NE(parse_error("\"unterminated@example.com").find("not closed"), std::string::npos);
  EXPECT_NE(parse_error("a@example..com").find("empty label"), std::string::npos);
  EXPECT_NE(parse_error("a@exa_mple.com").find("'_'"), std::string::npos);
  EXPECT_NE(parse_error("a@-example.com").find("hyphen"), std::string::npos);
  EXPECT_NE(parse_error("a@localhost").find("no top-level domain"), std::string::npos);
  EXPECT_NE(parse_error("a@192.0.2.1").find("number"), std::string::npos);
  EXPECT_NE(parse_error(std::string(65, 'a') + "@example.com").find("64"), std::string::npos);
  EXPECT_NE(parse_error("a@" + std::string(64, 'b') + ".com").find("63"), std::string::npos);
}

TEST(ParseMailbox, InvalidUtf8AndControlCharactersAreRejected) {
  EXPECT_NE(parse_error("a@exa\xff" "mple.com").find("UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("a@\xc0\xaf" "example.com").find("UTF-8"), std::string::npos);  // overlong
  EXPECT_NE(parse_error("a@\xed\xa0\x80.com").find("UTF-8"), std::string::npos);     // surrogate
  EXPECT_NE(parse_error(std::string("a\0b@example.com", 15)).find("control"), std::string::npos);
}

TEST(ParseMailbox, OversizedInputIsRejectedNotParsed) {
  std::string huge(1 << 20, 'a');
  EXPECT_NE(parse_error(huge + "@example.com").find("1024"), std::string::npos);
}

TEST(NormalizeDomain, FoldsCaseFullwidthAndSoftHyphen) {
  EXPECT_EQ(normalize_domain("ARMY.Mil")->ascii, "army.mil");
  EXPECT_EQ(normalize_domain("ＡＲＭＹ.mil")->ascii, "army.mil");       // fullwidth letters
  EXPECT_EQ(normalize_domain("ar\u00ADmy.mil")->ascii, "army.mil");     // soft hyphen
  EXPECT_EQ(normalize_domain("army\u3002mil")->ascii, "army.mil");      // ideographic full stop
}

TEST(NormalizeDomain, NonTransitionalKeepsEszett) {
  // UTS #46 non-transitional processing (IDNA2008): faß.de is not fass.de.
  EXPECT_EQ(normalize_domain("faß.de")->ascii, "xn--fa-hia.de");
}

TEST(NormalizeDomain, RejectsBrokenPunycode) {
  EXPECT_FALSE(normalize_domain("xn--abc.com").has_value());
  EXPECT_FALSE(normalize_domain("").has_value());
  EXPECT_FALSE(normalize_domain(".").has_value());
}

class PublicSuffixListTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    list_ = new PublicSuffixList(std::move(*loaded));
  }
  static void TearDownTestSuite() { delete list_; }
  static PublicSuffixList* list_;
};
PublicSuffixList* PublicSuffixListTest::list_ = nullptr;

TEST_F(PublicSuffixListTest, RegistrableDomainsAndSuffixes) {
  EXPECT_EQ(list_->registrable_domain("mail.army.mil"), "army.mil");
  EXPECT_EQ(list_->registrable_domain("hq.lloydsbank.co.uk"), "lloydsbank.co.uk");
  EXPECT_EQ(list_->public_suffix("hq.lloydsbank.co.uk"), "co.uk");
  EXPECT_EQ(list_->registrable_domain("co.uk"), "");
}

TEST_F(PublicSuffixListTest, KnowsWhichTopLevelDomainsExist) {
  EXPECT_TRUE(list_->has_known_top_level_domain("army.mil"));
  EXPECT_TRUE(list_->has_known_top_level_domain("army.ml"));
  EXPECT_TRUE(list_->has_known_top_level_domain("hotmail.co.za"));  // "za" is not listed alone
  EXPECT_FALSE(list_->has_known_top_level_domain("army.comm"));
  EXPECT_FALSE(list_->has_known_top_level_domain("webmail.co.yu"));  // retired in 2010
}

// Our rule table must answer as libpsl does: wildcards (*.kawasaki.jp), their exceptions
// (!city.kawasaki.jp), a listed suffix under an unlisted one (forgot.his.name), private-section
// rules, A-labels of rules written in Unicode, unlisted TLDs and more than nine labels.
TEST_F(PublicSuffixListTest, AnswersAsLibpslDoes) {
  psl_ctx_t* psl = psl_load_file(PublicSuffixList::kDefaultPath);
  ASSERT_NE(psl, nullptr);
  const char* domains[] = {"com", "a.com", "b.a.com", "co.uk", "x.co.uk", "kawasaki.jp",
                           "x.kawasaki.jp", "y.x.kawasaki.jp", "city.kawasaki.jp",
                           "a.city.kawasaki.jp", "his.name", "forgot.his.name",
                           "a.forgot.his.name", "x.blogspot.com", "a.x.github.io", "ck",
                           "www.ck", "a.www.ck", "x.ck", "xn--p1ai", "x.xn--p1ai",
                           "a.xn--90ae", "army.comm", "webmail.co.yu", "hotmail.co.za",
                           "za", "a.b.c.d.e.f.g.h.i.j.k.co.uk", "a-b.c0m.de", "a..com"};
  for (const char* d : domains) {
    const char* suffix = psl_unregistrable_domain(psl, d);
    const char* registrable = psl_registrable_domain(psl, d);
    EXPECT_EQ(list_->public_suffix(d), suffix ? suffix : "") << d;
    EXPECT_EQ(list_->public_suffix_view(d), suffix ? suffix : "") << d;
    EXPECT_EQ(list_->registrable_domain(d), registrable ? registrable : "") << d;
  }
  psl_free(psl);
}

TEST(PublicSuffixListLoad, MissingOrBogusFileIsAConfigError) {
  auto missing = PublicSuffixList::load("/nonexistent/public_suffix_list.dat");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfig);
  EXPECT_NE(missing.error().message.find("publicsuffix"), std::string::npos);
  auto bogus = PublicSuffixList::load(SENDGUARD_SOURCE_DIR "/README.md");
  ASSERT_FALSE(bogus.has_value());
  EXPECT_EQ(bogus.error().code, ErrorCode::kConfig);
}

}  // namespace
}  // namespace sendguard
